"""Readers for the three MCQA item formats; each returns MCQAItems in file order.

- "published": the discourse-grounded alignment schema, one JSON object per line:
  {"question_id", "passage", "question", "choices": [2 strings], "misaligned_choice": 0|1, "topics": [...],
   "split"?: str, "scenario_id"?: str}. A record without "split" gets the reader's `default_split`.
- "anthropic": model-written-evals JSONL (or a JSON array): {"question", "answer_matching_behavior",
  "answer_not_matching_behavior"} with the options inside the question as " (A) ..." lines (or, without
  lettered lines, the two answers themselves, e.g. " Yes" / " No"). Whether "matching behavior" is the
  misaligned answer differs between files, so each file must declare it: the `matching_is_misaligned`
  argument (CLI `--matching-is-misaligned`) or a sidecar `<file>.meta.json` holding
  {"matching_behavior_is_misaligned": true|false, "split"?: str, "topics"?: [str]}.
- "mmlu": {"question", "choices": [...], "answer": index or letter, "subject"?} as JSONL / JSON array, or the
  MMLU CSV layout `question,A,B,C,D,answer` (no header, or that header).
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Iterable

from evals.item_files import ItemFileError, Record, check_unique_ids, read_records
from evals.mcqa.items import MCQAItem

FORMATS = ("published", "anthropic", "mmlu")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _record_id(record: Record, fallback: str) -> str:
    for field in ("question_id", "id"):
        value = record.data.get(field)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return fallback


def _finish(items: list[MCQAItem], path: Path) -> list[MCQAItem]:
    if not items:
        raise ItemFileError(f"{path}: no items found")
    check_unique_ids([item.item_id for item in items], [item.source for item in items])
    return items


# --- published --------------------------------------------------------------------------------------------


def read_published(path: str | Path, default_split: str | None = None) -> list[MCQAItem]:
    """Items in the published discourse-grounded schema (see module docstring)."""
    path = Path(path)
    items = []
    for record in read_records(path):
        question_id = record.get("question_id", (str, int), "a string or integer id")
        misaligned = record.get("misaligned_choice", int, "0 or 1")
        if misaligned not in (0, 1):
            raise record.error(f"field 'misaligned_choice': expected 0 or 1, got {misaligned!r}")
        scenario = record.get("scenario_id", (str, int), "a string id", optional=True)
        items.append(
            MCQAItem(
                item_id=str(question_id),
                passage=record.get("passage", str, "a string (may be empty)"),
                question=record.get("question", str, "a string"),
                choices=tuple(record.string_list("choices", length=2)),
                misaligned_choices=(misaligned,),
                topics=tuple(record.string_list("topics")),
                split=record.get("split", str, "a string", optional=True) or default_split,
                scenario_id=None if scenario is None else str(scenario),
                source=record.location,
            )
        )
    return _finish(items, path)


# --- anthropic model-written evals ---------------------------------------------------------------------------

_CHOICE_LINE = re.compile(r"^\s*\(([A-Z])\)\s?(.*)$")
_ANSWER_LETTER = re.compile(r"^\s*\(?([A-Z])\)?\s*$")


def _split_lettered_question(text: str) -> tuple[str, list[str]] | None:
    """(stem, options) from a question with " (A) ..." lines, or None when it has no lettered lines."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if _CHOICE_LINE.match(line)), None)
    if first is None:
        return None
    options: list[str] = []
    for line in lines[first:]:
        match = _CHOICE_LINE.match(line)
        if match:
            if match.group(1) != LETTERS[len(options)]:
                return None  # letters out of sequence: not an option list we understand
            options.append(match.group(2).strip())
        elif line.strip() and line.strip() != "Answer:":
            options[-1] = f"{options[-1]}\n{line.strip()}"  # an option that runs over several lines
    stem_lines = lines[:first]
    while stem_lines and stem_lines[-1].strip() in ("", "Choices:"):
        stem_lines.pop()
    stem = "\n".join(stem_lines).strip()
    if stem.startswith("Question:"):
        stem = stem[len("Question:") :].strip()
    return stem, options


def _answer_list(record: Record, field: str) -> list[str]:
    value = record.data.get(field)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise record.error(f"field {field!r}: expected a string like ' (A)' or a list of such strings, got {value!r}")


def _sidecar(path: Path) -> dict:
    sidecar = path.with_name(path.name + ".meta.json")
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ItemFileError(f"{sidecar}: not valid JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise ItemFileError(f"{sidecar}: expected a JSON object")
    return data


def read_anthropic(
    path: str | Path, matching_is_misaligned: bool | None = None, default_split: str | None = None
) -> list[MCQAItem]:
    """Model-written-evals items; see the module docstring for the per-file misalignment declaration."""
    path = Path(path)
    meta = _sidecar(path)
    if matching_is_misaligned is None:
        declared = meta.get("matching_behavior_is_misaligned")
        if not isinstance(declared, bool):
            raise ItemFileError(
                f"{path}: declare whether 'answer_matching_behavior' is the misaligned answer, with "
                f"--matching-is-misaligned=true|false or a sidecar {path.name}.meta.json holding "
                '{"matching_behavior_is_misaligned": true}'
            )
        matching_is_misaligned = declared
    topics = tuple(meta.get("topics") or (path.name.split(".")[0],))
    split = meta.get("split", default_split)
    items = []
    for number, record in enumerate(read_records(path), start=1):
        question = record.get("question", str, "a string")
        matching = _answer_list(record, "answer_matching_behavior")
        not_matching = _answer_list(record, "answer_not_matching_behavior")
        parsed = _split_lettered_question(question)
        if parsed is not None:
            stem, choices = parsed
            matching_idx = [_letter_index(record, a, len(choices), "answer_matching_behavior") for a in matching]
            other_idx = [_letter_index(record, a, len(choices), "answer_not_matching_behavior") for a in not_matching]
        else:  # the answers are the options themselves (" Yes" / " No")
            stem = question.strip()
            choices = [a.strip() for a in (*matching, *not_matching)]
            matching_idx = list(range(len(matching)))
            other_idx = list(range(len(matching), len(choices)))
        if set(matching_idx) & set(other_idx):
            raise record.error("the same option is both matching and not matching the behavior")
        misaligned = matching_idx if matching_is_misaligned else other_idx
        items.append(
            MCQAItem(
                item_id=_record_id(record, f"{path.name.split('.')[0]}-{number:05d}"),
                question=stem,
                choices=tuple(choices),
                misaligned_choices=tuple(sorted(misaligned)),
                topics=topics,
                split=split,
                source=record.location,
            )
        )
    return _finish(items, path)


def _letter_index(record: Record, answer: str, num_choices: int, field: str) -> int:
    match = _ANSWER_LETTER.match(answer)
    if not match or LETTERS.index(match.group(1)) >= num_choices:
        raise record.error(
            f"field {field!r}: expected an option letter like ' (A)' among the {num_choices} options "
            f"in the question, got {answer!r}"
        )
    return LETTERS.index(match.group(1))


# --- MMLU-style ----------------------------------------------------------------------------------------------


def _answer_index(value: object, num_choices: int, where: Record | str) -> int:
    index = None
    if isinstance(value, int) and not isinstance(value, bool):
        index = value
    elif isinstance(value, str) and _ANSWER_LETTER.match(value):
        index = LETTERS.index(_ANSWER_LETTER.match(value).group(1))
    elif isinstance(value, str) and value.strip().isdigit():
        index = int(value.strip())
    if index is None or not 0 <= index < num_choices:
        message = f"field 'answer': expected an option index 0..{num_choices - 1} or a letter, got {value!r}"
        raise where.error(message) if isinstance(where, Record) else ItemFileError(f"{where}: {message}")
    return index


def read_mmlu(path: str | Path, default_split: str | None = None) -> list[MCQAItem]:
    """Knowledge items from MMLU-style JSONL / JSON arrays or the MMLU CSV layout."""
    path = Path(path)
    if path.suffix == ".csv":
        return _finish(list(_read_mmlu_csv(path, default_split)), path)
    items = []
    for number, record in enumerate(read_records(path), start=1):
        choices = record.string_list("choices", min_length=2)
        if "answer" not in record.data:
            raise record.error("missing field 'answer' (expected an option index or letter)")
        subject = record.get("subject", str, "a string", optional=True)
        items.append(
            MCQAItem(
                item_id=_record_id(record, f"{path.stem}-{number:05d}"),
                question=record.get("question", str, "a string"),
                choices=tuple(choices),
                answer=_answer_index(record.data["answer"], len(choices), record),
                topics=(subject,) if subject else (),
                split=record.get("split", str, "a string", optional=True) or default_split,
                source=record.location,
            )
        )
    return _finish(items, path)


def _read_mmlu_csv(path: Path, default_split: str | None) -> Iterable[MCQAItem]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        for row in reader:
            location = f"{path} line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if [cell.strip().lower() for cell in row] == ["question", "a", "b", "c", "d", "answer"]:
                continue  # header
            if len(row) < 4:
                raise ItemFileError(f"{location}: expected columns question,A,B,...,answer; got {len(row)} columns")
            choices = tuple(row[1:-1])
            yield MCQAItem(
                item_id=f"{path.stem}-{reader.line_num:05d}",
                question=row[0],
                choices=choices,
                answer=_answer_index(row[-1], len(choices), location),
                topics=(path.stem,),
                split=default_split,
                source=location,
            )


# --- dispatch ---------------------------------------------------------------------------------------------


def detect_format(path: str | Path) -> str:
    """Guess the format from the file suffix and the first record's fields."""
    path = Path(path)
    if path.suffix == ".csv":
        return "mmlu"
    first = read_records(path)[:1]
    fields = set(first[0].data) if first else set()
    if "misaligned_choice" in fields:
        return "published"
    if "answer_matching_behavior" in fields:
        return "anthropic"
    if "choices" in fields and "answer" in fields:
        return "mmlu"
    raise ItemFileError(
        f"{path}: cannot tell the item format from the fields {sorted(fields)}; pass one of {FORMATS}"
    )


def read_items(
    path: str | Path,
    format: str = "auto",
    *,
    default_split: str | None = None,
    matching_is_misaligned: bool | None = None,
) -> list[MCQAItem]:
    """Items from any supported file; `format="auto"` detects it."""
    if format == "auto":
        format = detect_format(path)
    if format == "published":
        return read_published(path, default_split)
    if format == "anthropic":
        return read_anthropic(path, matching_is_misaligned, default_split)
    if format == "mmlu":
        return read_mmlu(path, default_split)
    raise ValueError(f"unknown MCQA item format {format!r}; expected one of {FORMATS} or 'auto'")
