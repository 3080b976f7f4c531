"""A new user sees no traceback from any command: every --help, and the common ways to get a command wrong.

Through typer's CliRunner on the real `nextbest` app (its root group turns user errors into one line), and
once through a real process, where typer would otherwise print its rich traceback.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner, Result

from nextbest.app.cli import app
from nextbest.settings import default_policy_dir
from tools.catalog import semantic_available

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def _paths(command: click.Command, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, child in getattr(command, "commands", {}).items():
        yield from _paths(child, (*prefix, name))


COMMANDS = sorted(_paths(typer.main.get_command(app)))


def _clean(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NEXTBEST_JUDGE_MODEL", raising=False)
    return CliRunner()


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"", "decide", "demo", "serve", "catalog index", "policy lint", "eval run", "bench all"} <= names
    assert len(names) > 15


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "nextbest")
def test_help_works_and_shows_no_bool_types(runner: CliRunner, path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])

    assert result.exit_code == 0, result.output
    _clean(result)
    assert "Usage:" in result.output and "--help" in result.output
    assert "<bool>" not in result.output


def _bad_json(tmp_path: Path) -> str:
    path = tmp_path / "bad.json"
    path.write_text('{"event": {"type": "page_view"}}', encoding="utf-8")
    return str(path)


def _not_json(tmp_path: Path) -> str:
    path = tmp_path / "notes.txt"
    path.write_text("this is not json {", encoding="utf-8")
    return str(path)


# (arguments, environment, text the one-line error must hold); "{tmp}" is the test's own folder
FAILURES = {
    "decide a missing file": (["decide", "{tmp}/missing.json"], {}, "[Errno 2] No such file or directory"),
    "decide a request missing fields": (
        ["decide", "{bad}"],
        {},
        "event.event_id Field required: event_id (or Segment's messageId) [type=missing",
    ),
    "decide a file that is not JSON": (["decide", "{notjson}"], {}, "Invalid JSON"),
    "decide with bad settings": (
        ["decide", str(EXAMPLES / "nothing_fits.json")],
        {"NEXTBEST_HOLDOUT_PERCENT": "lots"},
        "check the environment: NEXTBEST_HOLDOUT_PERCENT",
    ),
    "serve with bad settings": (["serve"], {"NEXTBEST_HOLDOUT_PERCENT": "200"}, "invalid settings"),
    "serve at an unknown log level": (["serve", "--log-level", "chatty"], {}, "use one of debug, info"),
    "demo from a missing folder": (["demo", "--examples", "{tmp}/nowhere"], {}, "no folder"),
    "catalog index with an unknown embedding": (["catalog", "index"], {"NEXTBEST_EMBEDDING": "word2vec"}, "embedding"),
    "policy lint of a missing folder": (["policy", "lint", "{tmp}/nowhere"], {}, "no policy folder at"),
    "policy show of a missing folder": (["policy", "show", "{tmp}/nowhere"], {}, "no policy folder at"),
    "policy preview against nothing": (
        ["policy", "preview", "--against", "{tmp}/nowhere", "--policy-dir", str(default_policy_dir())],
        {},
        "no such folder",
    ),
    "eval run without scenarios": (["eval", "run", "--out", "{tmp}/o", "--scenarios", "{tmp}/x*"], {}, "no scenarios"),
    "eval run of a broken scenario file": (
        ["eval", "run", "--out", "{tmp}/o", "--scenarios", "{notjson}"],
        {},
        "notes.txt:1",
    ),
    "eval run --judge without a judge": (["eval", "run", "--out", "{tmp}/o", "--judge"], {}, "NEXTBEST_JUDGE_MODEL"),
    "eval compare of missing reports": (["eval", "compare", "{tmp}/a.json", "{tmp}/b.json"], {}, "cannot read"),
    "eval compare of something else": (["eval", "compare", "{bad}", "{bad}"], {}, "is not an eval report.json"),
}


@pytest.mark.parametrize("case", FAILURES, ids=str)
def test_a_mistake_exits_non_zero_with_one_clean_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str
) -> None:
    args, env, message = FAILURES[case]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    given = {"tmp": str(tmp_path), "bad": _bad_json(tmp_path), "notjson": _not_json(tmp_path)}

    result = runner.invoke(app, [arg.format(**given) for arg in args])

    assert result.exit_code == 2, result.output
    _clean(result)
    assert "error:" in result.output
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize(
    "args",
    [["no-such-command"], ["demo", "--no-such-option"], ["serve", "--port", "eighty"], ["eval", "run"]],
    ids=["unknown command", "unknown option", "bad option value", "missing option"],
)
def test_a_usage_mistake_is_a_usage_error(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)

    assert result.exit_code == 2
    _clean(result)
    assert "Usage:" in result.output


@pytest.mark.skipif(semantic_available(), reason="the semantic extra is installed: nothing is missing")
def test_a_missing_extra_names_its_install_command(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBEST_EMBEDDING", "minilm")

    result = runner.invoke(app, ["catalog", "index"])

    assert result.exit_code == 2, result.output
    _clean(result)
    assert "pip install 'nextbest[semantic]'" in result.output  # the brackets survive rich markup


def test_a_real_process_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "nextbest.app.cli", "decide", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert process.returncode == 2
    assert "Traceback" not in process.stderr and "Traceback" not in process.stdout
    missing = tmp_path / "missing.json"
    assert process.stderr.strip().splitlines() == [f"error: [Errno 2] No such file or directory: '{missing}'"]
