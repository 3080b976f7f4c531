"""`nextbest learning reset PLAYBOOK [--arm ID]`: forget what a learning playbook's arms earned, on purpose."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from nextbest.errors import NextbestError
from nextbest.settings import Settings

from ._output import fail

__all__ = ["learning_app"]

learning_app = typer.Typer(no_args_is_help=True, help="The posteriors of learning playbooks.")


@learning_app.command("reset")
def reset(
    playbook: Annotated[str, typer.Argument(help="The playbook id")],
    arm: Annotated[str | None, typer.Option("--arm", help="Only this arm; default every arm")] = None,
) -> None:
    """Forget the statistics of one arm, or of every arm, of a playbook in every segment."""
    from nextbest.learning import open_arm_store

    async def go() -> int:
        store = await open_arm_store(Settings())
        try:
            return await store.reset(playbook, arm)
        finally:
            await store.close()

    try:
        forgotten = asyncio.run(go())
    except (NextbestError, OSError) as exc:
        fail(str(exc))
    what = f"arm {arm}" if arm else "every arm"
    Console().print(f"{playbook}: forgot {what} ({forgotten} arm-segment statistics)", highlight=False)
