"""Hot reload end to end: a real `nextbest serve` picks up a saved playbook edit and refuses a broken one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.policies import load_policy_set
from nextbest.settings import default_policy_dir

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "cart_abandonment.json"
STARTUP_S = 60
RELOAD_DEADLINE_S = 15
POLL_S = 0.05
OLD_TITLE = 'title: "{first_name}, your {product.title} is waiting"'
NEW_TITLE = 'title: "Still thinking it over, {first_name}?"'


@dataclass
class Server:
    base: str
    policy_dir: Path
    process: subprocess.Popen[bytes]
    events: Iterator[int]

    @property
    def playbook(self) -> Path:
        return self.policy_dir / "playbooks" / "cart_abandonment.md"

    def policies(self) -> dict[str, Any]:
        reply = httpx.get(f"{self.base}/v1/policies", timeout=5)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def decide(self) -> dict[str, Any]:
        """A fresh decision: a new event id each time (no idempotent replay), dry run (no caps consumed)."""
        request = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        request["event"]["event_id"] = f"evt-hot-reload-{next(self.events)}"
        request["dry_run"] = True
        reply = httpx.post(f"{self.base}/v1/decide", json=request, timeout=10)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def wait_for(self, what: str, ready: Callable[[], bool]) -> float:
        """Poll until `ready()` holds; return the seconds it took. Fails after RELOAD_DEADLINE_S."""
        started = time.monotonic()
        while time.monotonic() - started < RELOAD_DEADLINE_S:
            assert self.process.poll() is None, "nextbest serve exited"
            if ready():
                return time.monotonic() - started
            time.sleep(POLL_S)
        raise AssertionError(f"no {what} within {RELOAD_DEADLINE_S} s; /v1/policies: {self.policies()}")


@pytest.fixture
def server(tmp_path: Path, serve: Any) -> Iterator[Server]:
    policy_dir = Path(shutil.copytree(default_policy_dir(), tmp_path / "prompts"))
    env = {
        "NEXTBEST_DATA_DIR": str(tmp_path / "data"),
        "NEXTBEST_POLICY_DIR": str(policy_dir),
        "NEXTBEST_POLICY_WATCH": "true",
    }
    with serve(env, startup_s=STARTUP_S) as (base, process):
        yield Server(base, policy_dir, process, count(1))


def _save_atomically(path: Path, text: str) -> None:
    """Save the way many editors do: write a temporary file beside it, then rename it over the original."""
    scratch = path.with_name(f".{path.name}.swp-save")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def test_a_saved_edit_goes_live_and_a_broken_save_never_does(server: Server) -> None:
    shipped = load_policy_set(server.policy_dir).version
    before = server.decide()
    assert (before["policy_version"], before["action"]) == (shipped, "message")
    assert before["message"]["title"] == "Emma, your Kinetic Trail Pace Running Shoe, Teal is waiting"

    text = server.playbook.read_text(encoding="utf-8")
    assert OLD_TITLE in text
    edited_text = text.replace(OLD_TITLE, NEW_TITLE)
    server.playbook.write_text(edited_text, encoding="utf-8")
    edited = load_policy_set(server.policy_dir).version
    server.wait_for("new version", lambda: server.policies()["version"] == edited)
    after = server.decide()
    assert after["event_id"] != before["event_id"]
    assert after["policy_version"] == edited != shipped
    assert after["message"]["title"] == "Still thinking it over, Emma?"
    assert server.policies()["last_error"] is None

    _save_atomically(server.playbook, edited_text.replace("tone: warm", "tonne: warm"))
    server.wait_for("reload error", lambda: server.policies()["last_error"] is not None)
    view = server.policies()
    assert view["version"] == edited
    assert view["last_error"]["code"] == "policy_error"
    assert f"{server.playbook}:13: tonne: unknown key" in view["last_error"]["message"]
    still = server.decide()
    assert (still["policy_version"], still["message"]["title"]) == (edited, "Still thinking it over, Emma?")

    server.playbook.write_text(text, encoding="utf-8")
    server.wait_for("recovery", lambda: server.policies()["version"] == shipped)
    assert server.policies()["last_error"] is None
    assert server.decide()["policy_version"] == shipped
