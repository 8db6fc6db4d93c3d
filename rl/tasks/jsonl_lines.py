"""The JSON Lines loop shared by the task readers: blank lines skipped, bad JSON named by file and line."""
from __future__ import annotations

import json
import os
from typing import Any, Iterator


def iter_json_lines(path: str | os.PathLike[str], *, expected: str) -> Iterator[tuple[str, int, str, Any]]:
    """Yields (where, line number, raw line, parsed value) for each non-blank line; `where` is "file:line".
    `expected` says what a line should hold, for the invalid-JSON error."""
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}: invalid JSON ({e.msg}); expected {expected}") from e
            yield where, line_no, line, record
