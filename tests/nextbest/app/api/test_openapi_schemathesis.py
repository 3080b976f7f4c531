"""Schemathesis (all checks, every phase, the decide → decision → feedback links) against a real `nextbest serve`,
once open and once with keys: the OpenAPI document must describe what the server really does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from nextbest.app.api._openapi import LINKS

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = 25
SEED = 18

# 413 is a rejection too: a generated body can exceed the server's size limit whether it is valid or not.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "413", "429", "5xx"]

# A write is checked against the stored data too (an unknown variant or store, a variant of another product):
# a schema-valid item can still be a 422 naming it.
[[operations]]
include-path-regex = "^/v1/(inventory|stores|catalog/products/.*)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "413", "422", "429", "5xx"]
"""


def _schemathesis(base: str, tmp_path: Path, key: str | None) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{base}/openapi.json", "--checks", "all"]
    command += ["--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--generation-database", "none"]
    command += ["--workers", "1", "--no-color", "--request-timeout", "10"]
    if key is not None:
        command += ["--header", f"Authorization: Bearer {key}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=100, check=False)


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("key", [None, "st-secret-key"], ids=["open", "keyed"])
def test_schemathesis_finds_no_disagreement(tmp_path: Path, serve: Any, key: str | None) -> None:
    env = {"NEXTBEST_DATA_DIR": str(tmp_path / "data"), "NEXTBEST_API_KEYS": key or ""}
    with serve(env) as (base, _):
        operations = sum(len(methods) for methods in httpx.get(f"{base}/openapi.json").json()["paths"].values())
        run = _schemathesis(base, tmp_path, key)
    output = run.stdout + run.stderr
    # On failure schemathesis prints, per failure, "Reproduce with:" and the curl command.
    assert run.returncode == 0, output
    assert f"{operations} selected / {operations} total" in output, output
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    assert links is not None, output
    assert int(links[1]) >= sum(len(chain) for chain in LINKS.values()), output  # decide → decision, → feedback
