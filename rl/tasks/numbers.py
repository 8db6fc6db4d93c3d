"""Reading numbers out of model completions, exactly and defensively.

Rules shared by the math tasks (documented here once):
  * Only ASCII digits 0-9 form numbers. Fullwidth, Arabic-Indic or superscript digits are not numbers (Python's
    ``int()`` would accept some of them and reject others; one plain rule is easier to reason about).
  * A minus sign (``-`` or U+2212) counts only when it directly precedes the digits and does not follow a digit,
    letter or ``)``: ``-12`` is negative, ``20-5`` is the number 20 followed by the number 5.
  * Thousands separators are accepted only in well-formed groups (``1,234,567``); ``1,23`` reads as ``1``.
  * A decimal part is kept exactly (``75.0 == 75``, ``75.5 != 75``); ``75.`` is ``75`` followed by a period.
  * Values are `fractions.Fraction`, never floats, so nothing overflows or rounds.
  * A number with more than `MAX_DIGITS` digits is treated as no answer at all; this bounds the work an
    adversarial completion can cause (and Python refuses ``int()`` on very long strings anyway).
"""
from __future__ import annotations

import re
from fractions import Fraction

MAX_DIGITS = 64

_NUMBER_RE = re.compile(
    r"(?P<sign>(?<![0-9A-Za-z)])[-\u2212])?"
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)"
    r"(?:\.(?P<frac>[0-9]+))?"
)


def _value(match: re.Match[str]) -> Fraction | None:
    int_part = match.group("int").replace(",", "")
    frac_part = match.group("frac") or ""
    if len(int_part) + len(frac_part) > MAX_DIGITS:
        return None
    value = Fraction(int(int_part))
    if frac_part:
        value += Fraction(int(frac_part), 10 ** len(frac_part))
    return -value if match.group("sign") else value


def first_number(text: str) -> Fraction | None:
    """The first number in ``text``; None when there is none or it is longer than `MAX_DIGITS`."""
    match = _NUMBER_RE.search(text)
    return None if match is None else _value(match)


def last_number(text: str) -> Fraction | None:
    """The last number in ``text``; None when there is none or it is longer than `MAX_DIGITS`."""
    match = None
    for match in _NUMBER_RE.finditer(text):
        pass
    return None if match is None else _value(match)


def parse_exact(text: str) -> Fraction:
    """Parse a whole string that must be one number (``"1,234"``, ``"-5"``, ``"$12.50"``) or raise ValueError."""
    cleaned = text.strip().replace("$", "").strip()
    match = _NUMBER_RE.fullmatch(cleaned)
    value = None if match is None else _value(match)
    if value is None:
        raise ValueError(f"expected a number, got {text!r}")
    return value


def format_number(value: Fraction | int) -> str:
    """Canonical string form: ``75``, ``-12``, ``12.5``; non-terminating fractions as ``p/q``."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    scaled = abs(value.numerator * 10**places // value.denominator)
    digits = str(scaled).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"
