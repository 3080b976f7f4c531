"""Read the playbooks, brand and offers of a policy folder, each error at file:line (guardrails load theirs)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nextbest.errors import PolicyError
from nextbest.yamlfile import YamlDocument, parse_yaml, read_policy_text, validate_document, validate_yaml

from ._offers import OFFERS_FILE, OffersFile, check_offers_file
from ._playbook import Brand, Playbook
from ._templates import MESSAGE_TEMPLATE_FIELDS, template_errors

PLAYBOOK_DIR = "playbooks"
BRAND_FILE = "brand.yaml"


def split_front_matter(text: str, file: Path | str) -> tuple[str, str, int]:
    """Return (yaml, body, line offset of the yaml) of a Markdown file with `---` front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise PolicyError("a playbook must start with '---' YAML front matter", file=file, line=1)
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]).strip(), 1
    raise PolicyError("front matter is not closed with '---'", file=file, line=len(lines))


@dataclass(frozen=True)
class PlaybookCheck:
    """The outcome of reading one playbook file: the playbook when it is valid, and every error found."""

    path: Path
    playbook: Playbook | None
    errors: list[PolicyError]
    document: YamlDocument | None = None
    body_line: int | None = None


def check_playbook(path: Path) -> PlaybookCheck:
    """Read one playbook and collect every schema, id and template error instead of stopping at the first."""
    try:
        text = read_policy_text(path)
        front, body, offset = split_front_matter(text, path)
        document = parse_yaml(front, path, line_offset=offset)
    except PolicyError as exc:
        return PlaybookCheck(path, None, [exc])
    playbook, errors = validate_document(Playbook, document, extra={"instructions": body, "source": str(path)})
    data = document.data if isinstance(document.data, dict) else {}
    playbook_id = data.get("id")
    if isinstance(playbook_id, str) and playbook_id != path.stem:
        errors.append(document.error(f"id {playbook_id!r} must match the file name {path.stem!r}", ["id"]))
    errors.extend(_template_errors(data, document))
    errors.sort(key=lambda error: error.line or 0)
    body_line = offset + front.count("\n") + 2
    return PlaybookCheck(path, None if errors else playbook, errors, document, body_line)


def load_playbook(path: Path) -> Playbook:
    """Read one playbook; its first error raises PolicyError naming file:line."""
    checked = check_playbook(path)
    if checked.errors or checked.playbook is None:
        raise checked.errors[0]
    return checked.playbook


def _template_errors(data: dict[str, Any], document: YamlDocument) -> list[PolicyError]:
    # Read from the raw data, so a template mistake is reported even when another key fails the schema.
    fallback = data.get("fallback")
    message = fallback.get("message") if isinstance(fallback, dict) else None
    if not isinstance(message, dict):
        return []
    errors: list[PolicyError] = []
    for key, allowed in MESSAGE_TEMPLATE_FIELDS.items():
        value = message.get(key)
        if isinstance(value, str):
            location = ["fallback", "message", key]
            errors += template_errors(
                value, allowed=allowed, file=document.file, key=".".join(location), line=document.line_of(location)
            )
    return errors


def _content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class PlaybookFiles:
    """The playbooks (highest priority first), the brand and the marketer's offers of one folder, with the
    text of each file read."""

    brand: Brand
    playbooks: tuple[Playbook, ...]
    offers: OffersFile = field(default_factory=OffersFile)
    files: dict[str, str] = field(default_factory=dict, compare=False)


def content_hash(files: dict[str, str]) -> str:
    """A short hash of every file's name and text: the policy version."""
    return _content_hash(files)


def load_playbook_files(root: Path) -> PlaybookFiles:
    """Load and validate a folder's playbooks and brand; any error raises PolicyError naming file:line."""
    if not root.is_dir():
        raise PolicyError("policy folder does not exist", file=root)
    playbook_paths = sorted((root / PLAYBOOK_DIR).glob("*.md"))
    if not playbook_paths:
        raise PolicyError("no playbooks found", file=root / PLAYBOOK_DIR)
    brand_path = root / BRAND_FILE
    if not brand_path.is_file():
        raise PolicyError("brand file is missing", file=brand_path)
    brand = validate_yaml(Brand, read_policy_text(brand_path), brand_path)
    playbooks = [load_playbook(path) for path in playbook_paths]
    seen: set[str] = set()
    for playbook in playbooks:
        if playbook.id in seen:
            raise PolicyError(f"duplicate playbook id {playbook.id!r}", file=playbook.source, key="id")
        seen.add(playbook.id)
    offers = check_offers_file(root)
    if offers.errors or offers.file is None:
        raise offers.errors[0]
    files = {str(path.relative_to(root)): read_policy_text(path) for path in [brand_path, *playbook_paths]}
    if offers.text is not None:
        files[OFFERS_FILE] = offers.text
    ordered = sorted(playbooks, key=lambda playbook: (-playbook.priority, playbook.id))
    return PlaybookFiles(brand=brand, playbooks=tuple(ordered), offers=offers.file, files=files)
