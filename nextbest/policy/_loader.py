"""Read a policy folder (playbooks, brand, guardrails) into one validated, versioned PolicySet."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from guardrails.policy import GuardrailPolicy, load_guardrail_policy

from nextbest.errors import PolicyError

from ._playbook import Brand, Playbook
from ._templates import COMMON_FIELDS, OFFER_FIELDS, check_template
from ._yaml import validate_yaml

PLAYBOOK_DIR = "playbooks"
BRAND_FILE = "brand.yaml"
GUARDRAILS_FILE = "guardrails.yaml"


@dataclass(frozen=True)
class PolicySet:
    """Everything marketers control, validated together. `version` is a content hash of every file."""

    root: Path
    version: str
    brand: Brand
    guardrails: GuardrailPolicy
    playbooks: tuple[Playbook, ...]
    files: dict[str, str] = field(default_factory=dict, compare=False)

    def playbook(self, playbook_id: str) -> Playbook | None:
        return next((playbook for playbook in self.playbooks if playbook.id == playbook_id), None)


def split_front_matter(text: str, file: Path | str) -> tuple[str, str, int]:
    """Return (yaml, body, line offset of the yaml) of a Markdown file with `---` front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise PolicyError("a playbook must start with '---' YAML front matter", file=file, line=1)
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]).strip(), 1
    raise PolicyError("front matter is not closed with '---'", file=file, line=len(lines))


def load_playbook(path: Path) -> Playbook:
    text = path.read_text(encoding="utf-8")
    front, body, offset = split_front_matter(text, path)
    playbook = validate_yaml(
        Playbook, front, path, line_offset=offset, extra={"instructions": body, "source": str(path)}
    )
    if playbook.id != path.stem:
        raise PolicyError(f"id {playbook.id!r} must match the file name {path.stem!r}", file=path, key="id")
    _check_templates(playbook, path)
    return playbook


def _check_templates(playbook: Playbook, path: Path) -> None:
    template = playbook.fallback.message
    if template is None:
        return
    for key in ("title", "body", "cta"):
        value = getattr(template, key)
        if value:
            check_template(value, allowed=COMMON_FIELDS, file=str(path), key=f"fallback.message.{key}")
    if template.offer_line:
        check_template(
            template.offer_line,
            allowed=COMMON_FIELDS | OFFER_FIELDS,
            file=str(path),
            key="fallback.message.offer_line",
        )


def _content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def load_policy_set(root: Path) -> PolicySet:
    """Load and validate a whole policy folder; any error raises PolicyError naming file:line."""
    if not root.is_dir():
        raise PolicyError("policy folder does not exist", file=root)
    playbook_paths = sorted((root / PLAYBOOK_DIR).glob("*.md"))
    if not playbook_paths:
        raise PolicyError("no playbooks found", file=root / PLAYBOOK_DIR)
    brand_path = root / BRAND_FILE
    if not brand_path.is_file():
        raise PolicyError("brand file is missing", file=brand_path)
    brand = validate_yaml(Brand, brand_path.read_text(encoding="utf-8"), brand_path)
    guardrails = load_guardrail_policy(root / GUARDRAILS_FILE)
    playbooks = [load_playbook(path) for path in playbook_paths]
    seen: set[str] = set()
    for playbook in playbooks:
        if playbook.id in seen:
            raise PolicyError(f"duplicate playbook id {playbook.id!r}", file=playbook.source, key="id")
        seen.add(playbook.id)
    files = {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for path in [brand_path, root / GUARDRAILS_FILE, *playbook_paths]
    }
    ordered = sorted(playbooks, key=lambda playbook: (-playbook.priority, playbook.id))
    return PolicySet(
        root=root,
        version=_content_hash(files),
        brand=brand,
        guardrails=guardrails,
        playbooks=tuple(ordered),
        files=files,
    )
