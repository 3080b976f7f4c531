"""The decision graph, generated from the one step list in `agent.steps`.

`build_graph()` compiles that list into a LangGraph graph (the model path, and what the drawing shows);
`run_steps()` walks the very same list with plain awaits, for requests that never ask a model (no model
configured, shadow mode), where LangGraph's per-invoke cost would be most of the decision. There is no
second, hand-kept copy of the flow: both read `STEPS`.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END as GRAPH_END
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from .context import DecisionContext
from .steps import END, STEPS, DecisionState, Node, Step

__all__ = ["DecisionState", "build_graph", "run_steps"]

_BY_NAME = {step.name: step for step in STEPS}
FIRST = STEPS[0].name


async def _run_node(name: str, node: Node, state: DecisionState, ctx: DecisionContext) -> dict[str, Any]:
    """Run one step, inside a `node.<name>` span when the context carries a tracer: the one tracing hook."""
    if ctx.tracer is None:
        return await node(state, ctx)
    with ctx.tracer.start_as_current_span(f"node.{name}"):
        return await node(state, ctx)


def _graph_node(name: str, node: Node) -> Any:
    async def run(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
        return await _run_node(name, node, state, runtime.context)

    run.__name__ = node.__name__
    return run


def _target(name: str) -> str:
    return GRAPH_END if name == END else name


def _add(graph: StateGraph[Any, Any, Any, Any], step: Step) -> None:
    graph.add_node(step.name, _graph_node(step.name, step.run))
    if isinstance(step.then, str):
        graph.add_edge(step.name, _target(step.then))
    else:
        graph.add_conditional_edges(step.name, step.then, {road: _target(road) for road in step.roads})


def build_graph() -> Any:
    """Build and compile the decision graph. No checkpointer: it would cost ~10 ms on every decision."""
    graph = StateGraph(DecisionState, context_schema=DecisionContext)
    for step in STEPS:
        _add(graph, step)
    graph.add_edge(START, FIRST)
    return graph.compile(name="nextbest-decision")


async def run_steps(state: DecisionState, ctx: DecisionContext) -> DecisionState:
    """Walk `STEPS` from the first step to the end without LangGraph; the same nodes, the same roads."""
    name = FIRST
    while name != END:
        step = _BY_NAME[name]
        state.update(await _run_node(name, step.run, state, ctx))  # type: ignore[typeddict-item]
        name = step.then if isinstance(step.then, str) else await step.then(state)
        if not isinstance(step.then, str) and name not in step.roads:
            raise RuntimeError(f"step {step.name} routed to {name!r}, not one of its roads {step.roads}")
    return state
