"""JSON Lines reading and atomic writing, with errors that name the file and line."""
from __future__ import annotations

import json
import os
import pathlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class RecordError(ValueError):
    """A JSONL record is malformed; the message names the file, the line and what was expected."""


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields ``(line_number, record)``; blank lines are an error, not skipped, so no record goes missing."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                raise RecordError(f"{path}:{lineno}: blank line; expected one JSON object per line")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise RecordError(f"{path}:{lineno}: invalid JSON ({err.msg}); expected one JSON object") from err
            if not isinstance(record, dict):
                raise RecordError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
            yield lineno, record


def read_jsonl(path: str | os.PathLike[str],
               validate: Callable[[dict[str, Any], str], None] | None = None) -> list[dict[str, Any]]:
    """Reads every record; ``validate(record, where)`` may raise with ``where`` = ``"file:line"``."""
    out = []
    for lineno, record in iter_jsonl(path):
        if validate is not None:
            validate(record, f"{path}:{lineno}")
        out.append(record)
    return out


def _umask_mode() -> int:
    """The mode a plain ``open()`` would give a new file (mkstemp's 0600 is too strict for shared data)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_jsonl_atomic(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Writes records to a temporary file in the same folder, then renames it over ``path``.

    A crash mid-write leaves the old file (or none), never a truncated one. Returns (records, bytes).
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False, sort_keys=False))
                f.write("\n")
                n += 1
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return n, path.stat().st_size


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Writes one JSON document atomically (tmp file + rename)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
