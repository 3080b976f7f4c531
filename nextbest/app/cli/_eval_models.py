"""`nextbest eval models`: the reliability board of one model on one server, per output mode."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evals.model_board import BOARD_MODES, BoardTarget, ModelBoard, board_html, run_board
from evals.scenario import load_scenarios
from nextbest.settings import OutputMode
from nextbest.world import load_world

__all__ = ["eval_models"]

ALL_MODES = ",".join(mode.value for mode in BOARD_MODES)


def _modes(text: str) -> list[OutputMode]:
    try:
        modes = [OutputMode(name.strip()) for name in text.split(",") if name.strip()]
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}; choose from {', '.join(m.value for m in BOARD_MODES)}") from exc
    if OutputMode.AUTO in modes or not modes:
        raise typer.BadParameter(f"name one or more of {', '.join(m.value for m in BOARD_MODES)}")
    return modes


def _table(board: ModelBoard) -> Table:
    table = Table(
        "mode", "asked", "schema-valid", "accepted", "halluc. id", "unconsented", "repairs", "timeouts",
        "p50 ms", "p95 ms", "tokens in/out", title=f"{board.model} at {board.url}",
    )  # fmt: skip
    for row in board.modes:
        table.add_row(
            row.mode, str(row.asked), f"{row.schema_valid:.0%}", f"{row.accepted:.0%}",
            f"{row.hallucinated_id:.0%}", f"{row.unconsented_channel:.0%}", str(row.repairs), str(row.timeouts),
            f"{row.latency_p50_ms:.0f}", f"{row.latency_p95_ms:.0f}", f"{row.prompt_tokens}/{row.completion_tokens}",
        )  # fmt: skip
    return table


def eval_models(
    url: Annotated[str, typer.Option(help="The OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1")],
    model: Annotated[str, typer.Option(help="The model name the server knows")],
    modes: Annotated[str, typer.Option(help="Comma-separated output modes")] = ALL_MODES,
    api_key: Annotated[str | None, typer.Option(envvar="OPENAI_API_KEY", help="Bearer token, if any")] = None,
    deadline_ms: Annotated[int, typer.Option(min=1, max=60_000, help="Deadline of each decision")] = 10_000,
    profile: Annotated[str, typer.Option(help="Prompt profile: full or compact")] = "full",
    scenarios: Annotated[str | None, typer.Option(help="Glob of scenario jsonl files")] = None,
    out: Annotated[Path, typer.Option(help="Folder for board.json and board.html")] = Path("reports/models"),
) -> None:
    """Run the eval scenarios against a real server in each output mode and write the reliability board."""
    if profile not in ("full", "compact"):
        raise typer.BadParameter("profile is full or compact", param_hint="--profile")
    chosen = _modes(modes)
    target = BoardTarget(url=url, model=model, api_key=api_key, deadline_ms=deadline_ms, prompt_profile=profile)
    board = asyncio.run(run_board(load_scenarios(scenarios), load_world(), target, chosen))
    out.mkdir(parents=True, exist_ok=True)
    (out / "board.json").write_text(board.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out / "board.html").write_text(board_html(board), encoding="utf-8")
    Console().print(_table(board))
    Console().print(f"written: {out / 'board.json'}, {out / 'board.html'}")
