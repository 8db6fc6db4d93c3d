"""The JSON Lines loop shared by readers that skip blank lines: bad JSON is an error naming file and line."""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterator


def iter_json_lines(path: str | os.PathLike[str], *, expected: str, error: type[Exception] = ValueError,
                    where: Callable[[Any, int], str] = lambda path, n: f"{path}:{n}",
                    ) -> Iterator[tuple[str, int, str, Any]]:
    """Yields (where, line number, raw line, parsed value) for each non-blank line. `expected` says what a line
    should hold, for the invalid-JSON error, raised as `error`; `where(path, line)` names the place."""
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            place = where(path, line_no)
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise error(f"{place}: invalid JSON ({e.msg}); expected {expected}") from None
            yield place, line_no, line, record
