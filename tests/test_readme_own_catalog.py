"""The README's "bring your own catalog" example is real: its four commands, parsed from the README and run as
written (from the repository root, in a fresh data dir), import `examples/own_catalog/` and decide over it."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from guardrails.holdout import in_holdout
from nextbest.settings import Settings
from nextbest.world import load_world

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "own_catalog"
BLOCK = re.compile(r"<!-- readme-own-catalog -->\s*```bash\n(.*?)```", re.DOTALL)
NEXTBEST = ".venv/bin/nextbest"


def _commands() -> list[list[str]]:
    found = BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, "the README lost its own-catalog example marker"
    return [shlex.split(line, comments=True) for line in found.group(1).splitlines() if line.strip()]


def _rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t" if name.endswith(".tsv") else ","))


def test_the_readme_shows_four_commands_over_the_example_files() -> None:
    commands = _commands()
    assert len(commands) == 4
    assert all(command[0] == NEXTBEST for command in commands)
    assert [command[1:3] for command in commands[:3]] == [["import", "stores"], ["import", "products"],
                                                          ["import", "inventory"]]  # fmt: skip
    assert all((ROOT / command[-1]).is_file() for command in commands)


def test_the_readme_commands_decide_over_the_example_retailer(tmp_path: Path) -> None:
    request = json.loads((EXAMPLE / "cart_abandoned.json").read_text(encoding="utf-8"))
    salt, percent = Settings.model_fields["holdout_salt"].default, Settings.model_fields["holdout_percent"].default
    assert not in_holdout(request["event"]["user_id"], percent, salt)  # the default holdout lets it through
    env = os.environ | {"NEXTBEST_DATA_DIR": str(tmp_path / "data"), "NEXTBEST_DATABASE_URL": "",
                        "NEXTBEST_REDIS_URL": "", "NEXTBEST_MODEL": "", "COLUMNS": "500"}  # fmt: skip
    outputs = []
    for command in _commands():
        done = subprocess.run(
            [sys.executable, "-m", "nextbest.app.cli", *command[1:]], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    decision = json.loads(outputs[-1])

    assert (decision["action"], decision["use_case"], decision["channel"]) == ("message", "cart_abandonment", "email")
    gloves = next(pick for pick in decision["products"] if pick["product_id"] == "BW-GLV-204")
    assert (gloves["size"], gloves["sku"]) == ("L", "BW-GLV-204-L")  # the cart named the variant
    assert "in your size" in decision["message"]["body"]
    products = _rows("products.tsv")
    known = {row["id"] for row in products} | {row["item_group_id"] for row in products}
    assert {pick["product_id"] for pick in decision["products"]} <= known
    assert {pick["sku"] for pick in decision["products"]} <= known
    demo = load_world()
    assert not {pick["product_id"] for pick in decision["products"]} & set(demo.products)
