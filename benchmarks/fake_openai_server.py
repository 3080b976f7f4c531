"""A fake OpenAI-compatible chat server, run as its own process: the model baseline of the benchmarks.

    python -m benchmarks.fake_openai_server --port 8765 --latency-ms 50 --jitter-ms 10 --fail-rate 0 \\
        --hang-rate 0 --prompt-tokens auto --reject-json-schema --no-tools --garbage-rate 0 --invent-ids-rate 0

It answers `POST /v1/chat/completions` (and `/chat/completions`) in json_schema, json_object, tools and
prompt modes by picking the first candidates of the prompt (see `agent.testing` for the convention), and
`GET /v1/models`. `--reject-json-schema` answers json_schema like llama.cpp (HTTP 500), `--no-tools`
refuses tools like llama.cpp without --jinja (HTTP 400). Fail means HTTP 500, rate-limit HTTP 429, hang
no answer at all, garbage non-JSON text, invent-ids a product id that is not a candidate.
`--prompt-tokens` is `auto` (about four characters a token), `none` (no usage reported) or a number.
"""

from __future__ import annotations

import argparse
import dataclasses
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

import httpx
import uvicorn

from ._fake_openai import FakeOpenAIApp, FakeServerOptions

__all__ = ["FakeOpenAIApp", "FakeServerOptions", "main", "serve", "start_fake_server"]

READY_PREFIX = "READY "
_OPTION_NAMES = frozenset(field.name for field in dataclasses.fields(FakeServerOptions))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fake_openai_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port, printed on stdout")
    defaults = FakeServerOptions()
    for field in dataclasses.fields(FakeServerOptions):
        flag = "--" + field.name.replace("_", "-")
        default = getattr(defaults, field.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true")
        elif field.name == "seed":
            parser.add_argument(flag, type=int, default=None)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    return parser


def serve(options: FakeServerOptions, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted. Prints `READY host:port` once the socket accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Connections queue in the backlog from here on, so READY is true before uvicorn's loop starts.
    sock.listen(4096)
    print(f"{READY_PREFIX}{host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        FakeOpenAIApp(options),
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
        backlog=4096,
    )
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: Sequence[str] | None = None) -> None:
    arguments = vars(_parser().parse_args(argv))
    host, port = arguments.pop("host"), arguments.pop("port")
    serve(FakeServerOptions(**arguments), host=host, port=port)


def _cli_arguments(options: dict[str, Any]) -> list[str]:
    unknown = set(options) - _OPTION_NAMES
    if unknown:
        raise TypeError(f"unknown fake server options: {sorted(unknown)}")
    arguments: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            arguments += [flag] if value else []
        elif value is not None:
            arguments += [flag, str(value)]
    return arguments


def _read_ready_line(process: subprocess.Popen[str], deadline: float, stderr: IO[bytes]) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if selector.select(remaining):
                line = process.stdout.readline()
                if line.startswith(READY_PREFIX):
                    return line[len(READY_PREFIX) :].strip()
                if not line:  # EOF: the process died before it was ready
                    break
    process.kill()
    process.wait()
    stderr.seek(0)
    raise RuntimeError(f"the fake OpenAI server did not start: {stderr.read().decode(errors='replace')[-2000:]}")


@contextmanager
def start_fake_server(*, startup_timeout: float = 30.0, **options: Any) -> Iterator[str]:
    """Run the fake server in a subprocess on a free loopback port; yield its base URL (ending in /v1).

    `options` are FakeServerOptions fields (`latency_ms=0`, `reject_json_schema=True`, ...).
    """
    command = [sys.executable, "-m", "benchmarks.fake_openai_server", "--port", "0", *_cli_arguments(options)]
    deadline = time.monotonic() + startup_timeout
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            address = _read_ready_line(process, deadline, stderr)
            base_url = f"http://{address}/v1"
            # The socket is listening, so this waits for uvicorn to serve instead of polling with sleeps.
            httpx.get(f"{base_url}/models", timeout=max(deadline - time.monotonic(), 0.1)).raise_for_status()
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


if __name__ == "__main__":
    main()
