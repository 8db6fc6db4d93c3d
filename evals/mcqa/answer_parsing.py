"""Reading which option a generated answer picks, without guessing.

`parse_choice(text, option_texts)` returns the displayed position (0 = "A") or None when the answer does not
name exactly one option. Rules, first match wins:
1. the whole answer is a letter: "B", "(B)", "b.", "**B**", "[B]";
2. the answer starts with a letter and a delimiter: "B. Tell the truth", "(A) ...", "B: ...", "B) ...";
3. an explicit phrase names one letter: "The answer is B", "Answer: (A)", "I choose option B";
4. exactly one distinct parenthesised letter "(B)" appears anywhere;
5. exactly one option's full text appears in the answer.
A letter beyond the listed options never counts. Ambiguous answers ("A or B") are None: counted as
unparseable, never as either option.
"""
from __future__ import annotations

import re
from typing import Sequence

from evals.mcqa.readers import LETTERS

_EMPHASIS = re.compile(r"[*_`\"]")
# Keywords in any case; the letter itself must be a capital so that "I choose a different..." is no answer.
_PHRASE = re.compile(
    r"(?i:answer|choice|option|choose|pick|select|go with)\s*(?i:is|would be|will be|:|=)?\s*"
    r"(?i:option\s+|choice\s+)?[\(\[]?([A-Z])(?![A-Za-z])"
)


def _valid(letter: str, num_options: int) -> int | None:
    letter = letter.upper()
    index = LETTERS.find(letter)
    return index if 0 <= index < num_options else None


def _single(indices: list[int | None]) -> int | None:
    distinct = {i for i in indices if i is not None}
    return distinct.pop() if len(distinct) == 1 else None


def parse_choice(text: str, option_texts: Sequence[str]) -> int | None:
    """Displayed position of the chosen option, or None when the answer is unparseable or ambiguous."""
    num_options = len(option_texts)
    clean = _EMPHASIS.sub("", text).strip()

    whole = re.fullmatch(r"[\(\[]?([A-Za-z])[\)\]]?[.:]?", clean)
    if whole:
        return _valid(whole.group(1), num_options)

    parenthesised = [_valid(m.group(1), num_options) for m in re.finditer(r"\(([A-Z])\)", clean)]
    leading = re.match(r"[\(\[]?([A-Z])(?:[\)\]:]|\.(?:\s|$)|\s+-\s)", clean)
    if leading and _valid(leading.group(1), num_options) is not None:
        first = _valid(leading.group(1), num_options)
        # "(A) and (B)" names two options: ambiguous, not A.
        return first if all(i in (None, first) for i in parenthesised) else None

    phrase = _single([_valid(m.group(1), num_options) for m in _PHRASE.finditer(clean)])
    if phrase is not None:
        return phrase

    if _single(parenthesised) is not None:
        return _single(parenthesised)

    lowered = " ".join(clean.lower().split())
    hits = [k for k, option in enumerate(option_texts)
            if len(option.strip()) >= 3 and " ".join(option.lower().split()) in lowered]
    return hits[0] if len(hits) == 1 else None
