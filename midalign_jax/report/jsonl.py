"""The JSON Lines loop of the report's readers: blank lines skipped, bad JSON named by file and line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from midalign_jax.report.errors import ReportInputError


def json_lines(path: Path, expected: str) -> Iterator[tuple[str, Any]]:
    """Yields ("<file> line <n>", parsed value) per non-blank line; `expected` goes into the invalid-JSON error."""
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path} line {line_number}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as error:
                raise ReportInputError(f"{where}: not valid JSON ({error.msg}); expected {expected}") from None
