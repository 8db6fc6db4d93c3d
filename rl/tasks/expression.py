"""A safe evaluator for arithmetic expressions written by a model: never ``eval()``.

Grammar (binary operators only; a unary minus would let a model mint numbers it was not given)::

    expr   := term (('+' | '-') term)*
    term   := factor (('*' | '/') factor)*
    factor := INTEGER | '(' expr ')'

``×``/``÷``/U+2212 are read as ``*``/``/``/``-``. Arithmetic is exact (`fractions.Fraction`). Input is bounded
before any work is done (characters, digits per number, nesting depth), so adversarial text fails fast with
`ExpressionError` rather than exhausting time, memory or the recursion limit.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

MAX_CHARS = 256
MAX_NUMBER_DIGITS = 12
MAX_DEPTH = 32

_OPERATORS = {"+": "+", "-": "-", "*": "*", "/": "/", "(": "(", ")": ")",
              "\u00d7": "*", "\u00f7": "/", "\u2212": "-"}


class ExpressionError(ValueError):
    """The text is not a well-formed expression in the grammar above (or exceeds the bounds)."""


@dataclasses.dataclass(frozen=True)
class Evaluated:
    value: Fraction
    numbers: tuple[int, ...]  # integer literals in order of appearance


def tokenize(text: str) -> list[str | int]:
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"expression longer than {MAX_CHARS} characters")
    tokens: list[str | int] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif "0" <= char <= "9":
            j = i
            while j < len(text) and "0" <= text[j] <= "9":
                j += 1
            if j - i > MAX_NUMBER_DIGITS:
                raise ExpressionError(f"number with more than {MAX_NUMBER_DIGITS} digits")
            tokens.append(int(text[i:j]))
            i = j
        elif char in _OPERATORS:
            tokens.append(_OPERATORS[char])
            i += 1
        else:
            raise ExpressionError(f"unexpected character {char!r} at position {i}")
    return tokens


class _Parser:
    def __init__(self, tokens: list[str | int]):
        self.tokens = tokens
        self.pos = 0
        self.numbers: list[int] = []

    def peek(self) -> str | int | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | int | None:
        token = self.peek()
        self.pos += 1
        return token

    def expr(self, depth: int) -> Fraction:
        value = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term(depth)
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self, depth: int) -> Fraction:
        value = self.factor(depth)
        while self.peek() in ("*", "/"):
            op = self.take()
            rhs = self.factor(depth)
            if op == "*":
                value = value * rhs
            elif rhs == 0:
                raise ExpressionError("division by zero")
            else:
                value = value / rhs
        return value

    def factor(self, depth: int) -> Fraction:
        token = self.take()
        if isinstance(token, int):
            self.numbers.append(token)
            return Fraction(token)
        if token == "(":
            if depth >= MAX_DEPTH:
                raise ExpressionError(f"parentheses nested deeper than {MAX_DEPTH}")
            value = self.expr(depth + 1)
            if self.take() != ")":
                raise ExpressionError("missing ')'")
            return value
        raise ExpressionError("expected a number or '('" + ("" if token is None else f", got {token!r}"))


def evaluate(text: str) -> Evaluated:
    """Evaluate ``text`` exactly; raises `ExpressionError` if it is not one complete expression."""
    tokens = tokenize(text)
    if not tokens:
        raise ExpressionError("empty expression")
    parser = _Parser(tokens)
    value = parser.expr(0)
    if parser.pos != len(tokens):
        raise ExpressionError(f"unexpected {tokens[parser.pos]!r} after a complete expression")
    return Evaluated(value=value, numbers=tuple(parser.numbers))
