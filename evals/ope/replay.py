"""Replaying a policy on the decision log: its probability of each open arm on each logged decision.

The log holds what a replay needs per row: the playbook, the segment, the arms the guardrails left open
(`masked_arms`), the served arm, its propensity and the reward the ledger stored when the feedback came
(never recomputed here, so the estimate values exactly what the learner was credited). A playbook that
learns is replayed with its policy on the given posteriors (Thompson by simulation, epsilon-greedy in
closed form); one that does not is replayed as the rules: the first open arm in the playbook's own order of
channels or placements. The rules' offer choice depends on discounts the log
does not hold, so offer arms replay only through a learning policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from nextbest.contracts import ArmKind, DecisionRow, OpeReport
from nextbest.errors import ConfigError
from nextbest.learning import ArmStats, probabilities
from nextbest.policy import Learning, Playbook

from . import BanditLog, evaluate

__all__ = [
    "Posteriors",
    "evaluate_folder",
    "evaluate_playbooks",
    "read_decisions",
    "target_for",
]

Posteriors = Mapping[tuple[str, str], ArmStats]
"""(segment, arm) → the arm's statistics, for one playbook."""


def _records(path: Path) -> list[dict[str, object]]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        records = table.to_pylist()
        # arrow gives a map column back as (key, value) pairs; the rows take a mapping
        for name in [f.name for f in table.schema if pa.types.is_map(f.type)]:
            for record in records:
                if isinstance(pairs := record[name], list):
                    record[name] = dict(pairs)
        return records
    import orjson

    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def read_decisions(path: Path) -> list[DecisionRow]:
    """A `nextbest export decisions` file: JSON lines, or Parquet by its suffix."""
    return [DecisionRow.model_validate(record) for record in _records(path)]


def _rules_arm(playbook: Playbook, kind: ArmKind, open_arms: Sequence[str]) -> str:
    if kind is ArmKind.OFFER:
        raise ConfigError(
            f"{playbook.id}: the rules pick offers by discount, which the decision log does not hold;"
            " evaluate offer arms against a learning policy"
        )
    order = [c.value for c in playbook.channels] if kind is ArmKind.CHANNEL else playbook.placements
    return min(open_arms, key=lambda arm: order.index(arm) if arm in order else len(order))


def target_for(
    log: BanditLog, playbook: Playbook, kind: ArmKind, posteriors: Posteriors | None, *, seed: int = 0
) -> NDArray[np.float64]:
    """The replayed policy's probability of each of `log.arms` on each row, (n, k)."""
    rng = np.random.default_rng(seed)
    learning: Learning = playbook.learning
    target = np.zeros((len(log), len(log.arms)))
    index = {arm: i for i, arm in enumerate(log.arms)}
    combos: dict[tuple[int, tuple[bool, ...]], list[int]] = {}
    for row, (segment, mask) in enumerate(zip(log.contexts.tolist(), log.open_arms.tolist(), strict=True)):
        combos.setdefault((segment, tuple(mask)), []).append(row)
    for (segment, mask), rows in combos.items():
        open_arms = [arm for arm, on in zip(log.arms, mask, strict=True) if on]
        if learning.on and posteriors is not None:
            stats = [posteriors.get((log.segments[segment], arm), ArmStats()) for arm in open_arms]
            probs, _ = probabilities(learning, stats, rng)
            for arm, p in zip(open_arms, probs, strict=True):
                target[rows, index[arm]] = p
        else:
            target[rows, index[_rules_arm(playbook, kind, open_arms)]] = 1.0
    return target


def evaluate_playbooks(
    rows: Sequence[DecisionRow],
    playbooks: Mapping[str, Playbook],
    posteriors: Mapping[str, Posteriors],
    *,
    rules: bool = False,
    rounds: int = 200,
) -> dict[str, OpeReport]:
    """OPE per learning playbook in the log, of `playbooks` (with their posteriors, or as the rules)."""
    reports: dict[str, OpeReport] = {}
    for name in sorted({row.use_case for row in rows if row.use_case and row.masked_arms}):
        playbook = playbooks.get(name)
        if playbook is None:
            raise ConfigError(f"the log has playbook {name!r}, which the evaluated policy does not")
        logged = [row for row in rows if row.use_case == name and not row.holdout]
        log = BanditLog.from_rows(logged)
        if len(log) == 0:
            continue
        kind = playbook.learning.arms.kind if playbook.learning.arms else ArmKind.CHANNEL
        target = target_for(log, playbook, kind, None if rules else posteriors.get(name))
        reports[name] = evaluate(log, target, rounds=rounds)
    return reports


def evaluate_folder(
    folder: Path, rows: Sequence[DecisionRow], posteriors: Mapping[str, Posteriors], *, rules: bool = False
) -> dict[str, OpeReport]:
    """`evaluate_playbooks` of the playbooks in a prompts/ folder."""
    from agent.policies import load_policy_set

    playbooks = {playbook.id: playbook for playbook in load_policy_set(folder).playbooks}
    return evaluate_playbooks(rows, playbooks, posteriors, rules=rules)
