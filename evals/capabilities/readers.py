"""Readers for the generated-answer capability evals.

- arithmetic: {"question": "What is 48 + 27?", "answer": 75} (answer an integer, a number or a string);
- word problems (GSM8K layout): {"question": ..., "answer": "...worked solution...\n#### 42"}.
Optional "id" / "question_id" fields name items; otherwise the file stem and record number do.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from evals.capabilities.answers import canonical_number, gold_from_gsm8k
from evals.item_files import ItemFileError, Record, check_unique_ids, read_records


@dataclasses.dataclass(frozen=True)
class GeneratedAnswerItem:
    """A question whose answer the model writes; `gold` is compared after canonicalisation."""

    item_id: str
    question: str
    gold: str
    solution: str = ""  # worked solution, used only for few-shot exemplars
    source: str = ""


def _item_id(record: Record, path: Path, number: int) -> str:
    for field in ("id", "question_id"):
        if isinstance(record.data.get(field), (str, int)) and not isinstance(record.data.get(field), bool):
            return str(record.data[field])
    return f"{path.stem}-{number:05d}"


def _finish(items: list[GeneratedAnswerItem], path: Path) -> list[GeneratedAnswerItem]:
    if not items:
        raise ItemFileError(f"{path}: no items found")
    check_unique_ids([i.item_id for i in items], [i.source for i in items])
    return items


def read_arithmetic(path: str | Path) -> list[GeneratedAnswerItem]:
    path = Path(path)
    items = []
    for number, record in enumerate(read_records(path), start=1):
        question = record.get("question", str, "a string")
        answer = record.get("answer", (int, float, str), "a number or a string")
        gold = canonical_number(str(answer))
        if gold is None:
            gold = str(answer).strip()
        if not gold:
            raise record.error("field 'answer': expected a non-empty answer")
        items.append(GeneratedAnswerItem(_item_id(record, path, number), question, gold, str(answer), record.location))
    return _finish(items, path)


def read_word_problems(path: str | Path) -> list[GeneratedAnswerItem]:
    path = Path(path)
    items = []
    for number, record in enumerate(read_records(path), start=1):
        question = record.get("question", str, "a string")
        solution = record.get("answer", str, 'a worked solution ending "#### N"')
        gold = gold_from_gsm8k(solution)
        if gold is None:
            raise record.error(f"field 'answer': expected a solution ending '#### N', got {solution[-60:]!r}")
        items.append(GeneratedAnswerItem(_item_id(record, path, number), question, gold, solution, record.location))
    return _finish(items, path)
