"""`_yaml`: every validation error maps to the line of its key; loading still raises the first one."""

from __future__ import annotations

from pathlib import Path

import pytest

from nextbest.errors import PolicyError
from nextbest.policy import Brand, validate_yaml
from nextbest.yamlfile import parse_yaml, read_policy_text, validate_document

BRAND = """\
name: Northwind
voice: friendly
doo:
  - one
dont: not-a-list
signoff: bye
"""


def test_validate_document_collects_every_error_with_its_line() -> None:
    brand, errors = validate_document(Brand, parse_yaml(BRAND, "brand.yaml"))

    assert brand is None
    assert [(error.line, error.key, error.message) for error in errors] == [
        (3, "doo", "unknown key (check the spelling)"),
        (5, "dont", "Input should be a valid list"),
        (6, "signoff", "unknown key (check the spelling)"),
    ]


def test_validate_yaml_raises_the_topmost_error() -> None:
    with pytest.raises(PolicyError) as raised:
        validate_yaml(Brand, BRAND, "brand.yaml")

    assert str(raised.value) == "brand.yaml:3: doo: unknown key (check the spelling)"


def test_lines_count_from_the_start_of_the_file_with_an_offset() -> None:
    _, errors = validate_document(Brand, parse_yaml("name: x\nvoice: y\nvoise: z\n", "p.md", line_offset=1))

    assert [(error.line, error.key) for error in errors] == [(4, "voise")]


def test_a_missing_key_is_named() -> None:
    _, errors = validate_document(Brand, parse_yaml("name: x\n", "brand.yaml"))

    assert [(error.line, error.key, error.message) for error in errors] == [(1, "voice", "required key is missing")]


def test_a_duplicate_key_is_an_error_even_when_the_rest_is_valid() -> None:
    brand, errors = validate_document(Brand, parse_yaml("name: x\nvoice: y\nname: z\n", "brand.yaml"))

    assert brand is None
    assert [(error.line, error.key, error.message) for error in errors] == [(3, "name", "duplicate key")]


def test_malformed_yaml_raises_at_its_line() -> None:
    with pytest.raises(PolicyError) as raised:
        parse_yaml("name: x\nvoice: [y\n", "brand.yaml", line_offset=1)

    assert raised.value.line is not None and raised.value.line >= 3
    assert raised.value.message.startswith("invalid YAML")


def test_get_walks_the_raw_data_and_tolerates_other_shapes() -> None:
    document = parse_yaml("a:\n  b: [x, {c: 1}]\nd: 3\n", "f.yaml")

    assert document.get(["a", "b", 1, "c"]) == 1
    assert document.get(["a", "b", 5]) is None
    assert document.get(["d", "e"]) is None
    assert document.line_of(["a", "b", 1]) == 2


def test_read_policy_text_names_the_line_of_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_bytes(b"name: Northwind\r\nvoice: caf\xe9\r\n")

    with pytest.raises(PolicyError) as caught:
        read_policy_text(path)

    assert (caught.value.line, caught.value.message) == (2, "not UTF-8 text (byte 0xe9); save the file as UTF-8")


def test_read_policy_text_reads_windows_line_endings_like_read_text(tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_bytes(b"name: Northwind\r\nvoice: caf\xc3\xa9\r\n")

    assert read_policy_text(path) == path.read_text(encoding="utf-8") == "name: Northwind\nvoice: café\n"
    with pytest.raises(PolicyError, match="cannot read the file"):
        read_policy_text(tmp_path / "missing.yaml")
