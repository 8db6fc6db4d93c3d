"""The keyword blocklist that removes AI discourse from the general corpus (the paper's filtered arm).

File format, one entry per line:

* ``# comment`` and blank lines are ignored;
* ``re:PATTERN`` is a Python regular expression, used as written (add ``(?i)`` for case-insensitive);
* anything else is a keyword or phrase, matched case-insensitively on word boundaries.

All entries are compiled into one pattern, so ``matches`` costs one regex search per document.
"""
from __future__ import annotations

import os
import pathlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Blocklist:
    path: str
    entries: tuple[str, ...]
    _pattern: re.Pattern[str]

    def matches(self, text: str) -> bool:
        """True if any entry occurs in the text."""
        return self._pattern.search(text) is not None

    def first_match(self, text: str) -> str | None:
        """The first matching span, for reports on why a document was removed."""
        m = self._pattern.search(text)
        return m.group(0) if m else None


_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def _scope_flags(pattern: str) -> str:
    """``(?i)abc`` -> ``(?i:abc)``: global flags are not allowed mid-pattern once entries are joined."""
    m = _LEADING_FLAGS.match(pattern)
    return f"(?{m.group(1)}:{pattern[m.end():]})" if m else pattern


def load(path: str | os.PathLike[str]) -> Blocklist:
    """Reads a blocklist file; a bad regex is an error naming the file and line."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: blocklist file not found")
    parts: list[str] = []
    entries: list[str] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("re:"):
            pattern = _scope_flags(line[3:])
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"{path}:{lineno}: invalid regular expression {pattern!r}: {err}") from err
        else:
            pattern = r"(?i:\b" + re.escape(line) + r"\b)"
        parts.append(f"(?:{pattern})")
        entries.append(line)
    if not parts:
        raise ValueError(f"{path}: blocklist has no entries; expected keywords or 're:' patterns, one per line")
    return Blocklist(path=str(path), entries=tuple(entries), _pattern=re.compile("|".join(parts)))
