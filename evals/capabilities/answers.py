"""Reading numbers out of model answers and gold labels."""
from __future__ import annotations

import re

_NUMBER = r"-?\d[\d,]*(?:\.\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
_HASH_ANSWER = re.compile(rf"####\s*\$?\s*({_NUMBER})")
_ANSWER_PHRASE = re.compile(rf"answer is\s*:?\s*\$?\s*({_NUMBER})", re.IGNORECASE)


def canonical_number(text: str) -> str | None:
    """"1,234" -> "1234", "75.0" -> "75", "-3.50" -> "-3.5"; None when `text` is not a number."""
    text = text.strip().replace(",", "")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return None
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def exact_match_answer(output: str) -> str:
    """The first line of a short answer, trimmed of spaces and a final full stop, numbers canonicalised."""
    first_line = output.strip().split("\n", 1)[0].strip().rstrip(".").strip()
    number = canonical_number(first_line)
    return number if number is not None else first_line


def gold_from_gsm8k(answer: str) -> str | None:
    """The number after the last "####" in a GSM8K-style answer, or None."""
    matches = _HASH_ANSWER.findall(answer)
    return canonical_number(matches[-1]) if matches else None


def final_number(output: str) -> str | None:
    """The model's final answer in a worked solution: "#### N", else "the answer is N", else the last number."""
    for pattern in (_HASH_ANSWER, _ANSWER_PHRASE):
        matches = pattern.findall(output)
        if matches:
            return canonical_number(matches[-1])
    numbers = _NUMBER_RE.findall(output)
    return canonical_number(numbers[-1].rstrip(",")) if numbers else None
