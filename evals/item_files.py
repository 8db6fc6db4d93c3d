"""Reading eval item files: JSONL or JSON arrays, with errors that name the file and the record.

Every reader in the suite goes through `read_records`, so a malformed file always fails the same way:
`ItemFileError: data/x.jsonl line 7: field 'choices': expected a list of 2 strings, got 'yes'`.
Blank lines in JSONL are allowed (they carry no data); anything else that is not a JSON object is an error.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Iterator


class ItemFileError(ValueError):
    """A record in an item file is malformed; the message names the file, the record and what was expected."""


@dataclasses.dataclass(frozen=True)
class Record:
    """One JSON object from an item file and where it came from."""

    data: dict
    location: str  # "path line N" for JSONL, "path record N" for JSON arrays (both 1-based)

    def error(self, message: str) -> ItemFileError:
        return ItemFileError(f"{self.location}: {message}")

    def get(self, field: str, expected: type | tuple[type, ...], what: str, *, optional: bool = False) -> Any:
        """Field value checked against `expected`; `what` describes the expectation for the error message."""
        if field not in self.data or (optional and self.data[field] is None):
            if optional:
                return None
            raise self.error(f"missing field {field!r} (expected {what})")
        value = self.data[field]
        # bool is an int in Python; never accept it where a number or string is expected.
        if isinstance(value, bool) and bool not in _as_tuple(expected):
            raise self.error(f"field {field!r}: expected {what}, got {value!r}")
        if not isinstance(value, expected):
            raise self.error(f"field {field!r}: expected {what}, got {_short(value)}")
        return value

    def string_list(self, field: str, *, length: int | None = None, min_length: int = 0, optional: bool = False):
        """A list of strings, optionally of an exact or minimum length."""
        if length is not None:
            what = f"a list of {length} strings"
        else:
            what = f"a list of at least {min_length} strings" if min_length else "a list of strings"
        value = self.get(field, list, what, optional=optional)
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            raise self.error(f"field {field!r}: expected {what}, got {_short(value)}")
        if (length is not None and len(value) != length) or len(value) < min_length:
            raise self.error(f"field {field!r}: expected {what}, got {len(value)} entries")
        return value


def _as_tuple(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_records(path: str | Path) -> list[Record]:
    """All records of a `.jsonl` file (one object per line) or a `.json` file (an array of objects)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"item file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json" or text.lstrip().startswith("["):
        return list(_json_array_records(path, text))
    return list(_jsonl_records(path, text))


def _jsonl_records(path: Path, text: str) -> Iterator[Record]:
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        location = f"{path} line {line_number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise ItemFileError(f"{location}: not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(data, dict):
            raise ItemFileError(f"{location}: expected a JSON object, got {type(data).__name__}")
        yield Record(data, location)


def _json_array_records(path: Path, text: str) -> Iterator[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ItemFileError(f"{path} line {error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(data, list):
        raise ItemFileError(f"{path}: expected a JSON array of objects, got {type(data).__name__}")
    for index, item in enumerate(data, start=1):
        location = f"{path} record {index}"
        if not isinstance(item, dict):
            raise ItemFileError(f"{location}: expected a JSON object, got {type(item).__name__}")
        yield Record(item, location)


def check_unique_ids(ids: list[str], locations: list[str]) -> None:
    """Duplicate item ids would silently merge items in per-item logs and paired comparisons."""
    seen: dict[str, str] = {}
    for item_id, location in zip(ids, locations):
        if item_id in seen:
            raise ItemFileError(f"{location}: duplicate item id {item_id!r} (first at {seen[item_id]})")
        seen[item_id] = location


def sha256_file(path: str | Path) -> str:
    """Hex digest of a file's bytes, recorded in results.json so a result names the exact items it used."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
