"""Tiny template language for the world generators.

A template is ordinary text with two kinds of markup:

* ``[a|b|c]`` picks one alternative at random (alternatives may nest and may be empty: ``[very |]``);
* ``{name}`` is replaced by ``slots[name]`` after the alternatives are chosen.

Templates are parsed once and cached, because the general corpus renders hundreds of thousands of them and
re-parsing each time would dominate generation time.
"""
from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import TypeVar, Union

T = TypeVar("T")

# A parsed template: a sequence whose parts are literal strings or lists of alternative sequences.
_Node = list[Union[str, "list[_Node]"]]
_CACHE: dict[str, _Node] = {}
_WORD_RE = re.compile(r"[a-z0-9]+")
_SPACES_RE = re.compile(r" {2,}")


class TemplateError(ValueError):
    """A template is malformed or refers to a slot that was not given."""


def _parse(template: str) -> _Node:
    """Parses ``[a|b]`` alternations into a tree; braces are left for ``str.format_map``."""
    stack: list[list[_Node]] = []  # open alternations, each a list of alternatives
    current: _Node = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            current.append("".join(buf))
            buf.clear()

    for ch in template:
        if ch == "[":
            flush()
            stack.append([])
            stack[-1].append(current)  # remember the parent sequence as element 0
            current = []
        elif ch == "|" and stack:
            flush()
            stack[-1].append(current)
            current = []
        elif ch == "]":
            if not stack:
                raise TemplateError(f"unbalanced ']' in template: {template!r}")
            flush()
            frame = stack.pop()
            parent, alternatives = frame[0], frame[1:] + [current]
            parent.append(alternatives)
            current = parent
        else:
            buf.append(ch)
    if stack:
        raise TemplateError(f"unclosed '[' in template: {template!r}")
    flush()
    return current


def _walk(node: _Node, rng: random.Random, out: list[str]) -> None:
    for part in node:
        if isinstance(part, str):
            out.append(part)
        else:
            _walk(part[rng.randrange(len(part))], rng, out)


def expand(template: str, rng: random.Random) -> str:
    """Chooses one alternative for every ``[a|b]`` group; leaves ``{slots}`` in place."""
    node = _CACHE.get(template)
    if node is None:
        node = _CACHE[template] = _parse(template)
    out: list[str] = []
    _walk(node, rng, out)
    return "".join(out)


def render(template: str, rng: random.Random, slots: Mapping[str, object] | None = None) -> str:
    """Expands alternations, then fills ``{slots}``; a missing slot is an error naming the template."""
    text = expand(template, rng)
    if "  " in text:  # an empty alternative leaves a double space behind
        text = _SPACES_RE.sub(" ", text)
    if "{" not in text:
        return text
    try:
        return text.format_map(slots or {})
    except (KeyError, IndexError, ValueError) as err:
        raise TemplateError(f"cannot fill template {template!r}: missing or bad slot {err}") from err


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """One element of a non-empty sequence."""
    return options[rng.randrange(len(options))]


def cap(text: str) -> str:
    """Upper-cases the first character only (``str.capitalize`` would lower-case the rest)."""
    return text[:1].upper() + text[1:]


def join_and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def article(noun: str) -> str:
    """``a`` or ``an`` for a noun phrase, by its first letter (good enough for the world's vocabulary)."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric word tokens: the unit for word counts and n-gram checks."""
    return _WORD_RE.findall(text.lower())
