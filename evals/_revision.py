"""The other side of a policy preview: a folder as it is, or the policy folder as it was at a git revision."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nextbest.errors import PolicyError

GIT_TIMEOUT_S = 30


@dataclass(frozen=True)
class PolicyFolder:
    """A policy folder to decide with, and how to name it to people."""

    path: Path
    label: str


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PolicyError(f"git could not run: {exc}", file=cwd) from exc


def _stderr(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def _commit_of(top: Path, revision: str) -> str:
    # A leading '-' would be read as an option by git, so it is never a revision here.
    found = (
        None if revision.startswith("-") else _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    )
    if found is None or found.returncode != 0:
        raise PolicyError(f"no such folder, nor a git revision of {top}", file=revision)
    return found.stdout.decode().strip()


def _extract(archive: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        # The "data" filter refuses absolute paths, links out of the folder and device files.
        tar.extractall(into, filter="data")


@contextmanager
def policy_folder_at(against: str, current: Path) -> Iterator[PolicyFolder]:
    """`against` as a folder when one exists, else the `current` folder's path at git revision `against`.

    A revision is materialised with `git archive` into a temporary folder that is removed on exit.
    Raises PolicyError when `against` names neither.
    """
    candidate = Path(against)
    if candidate.is_dir():
        yield PolicyFolder(candidate, str(candidate))
        return
    if candidate.exists():
        raise PolicyError("not a folder; give a policy folder or a git revision", file=against)
    folder = current.resolve()
    if not folder.is_dir():
        raise PolicyError("policy folder does not exist", file=current)
    top_found = _git(folder, "rev-parse", "--show-toplevel")
    if top_found.returncode != 0:
        raise PolicyError(
            f"not in a git repository, so {against!r} (not a folder) cannot be read as a revision", file=folder
        )
    top = Path(top_found.stdout.decode().strip()).resolve()
    commit = _commit_of(top, against)
    relative = folder.relative_to(top).as_posix()
    archived = _git(top, "archive", "--format=tar", commit, "--", relative)
    if archived.returncode != 0:
        raise PolicyError(f"not at revision {commit[:10]}: {_stderr(archived)}", file=f"{against}:{relative}")
    with tempfile.TemporaryDirectory(prefix="nextbest-policy-rev-") as scratch:
        _extract(archived.stdout, Path(scratch))
        try:
            yield PolicyFolder(Path(scratch) / relative, f"{against} ({commit[:10]})")
        except PolicyError as exc:
            raise _named_at(exc, Path(scratch), against) from exc


def _named_at(error: PolicyError, scratch: Path, revision: str) -> PolicyError:
    """The error with its temporary path shown as `REV:path`, the way git names a file at a revision."""
    if error.file is None or not Path(error.file).is_relative_to(scratch):
        return error
    where = Path(error.file).relative_to(scratch).as_posix()
    return PolicyError(error.message, file=f"{revision}:{where}", line=error.line, key=error.key)
