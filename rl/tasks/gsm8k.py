"""GSM8K-format word problems: a reader for the public JSONL files and a synthetic fallback.

Prompt: ``Question: {question}\\nAnswer:``. The model is expected to reason and end with ``#### 42``, as the
GSM8K solutions do.

Grading rule (``answer_mode="hash"``, the default): the answer is the first number on the line that follows
the LAST ``####`` of the completion; ``$`` and well-formed thousands separators are ignored (``#### $1,234`` is
1234). Earlier ``####`` lines, numbers in the reasoning and anything on later lines do not count; no ``####``
means no answer. ``answer_mode="last_number"`` instead takes the last number anywhere in the completion, for
models not trained on the ``####`` convention. Values compare exactly (``18.0 == 18``).

Data: with ``train_path`` / ``test_path`` (public GSM8K ``train.jsonl`` / ``test.jsonl``: objects with
``question`` and ``answer``, the answer ending ``#### 1,234``) each split reads its file; train questions that
also appear in the test file are excluded (the count is logged). With no paths, problems come from
`gsm8k_synthetic`, split by a hash of the question text.
"""
from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path

import rl.tasks.base as base
import rl.tasks.gsm8k_synthetic as gsm8k_synthetic
import rl.tasks.numbers as numbers
from midalign_jax.jsonl_lines import iter_json_lines
from rl.tasks.base import Problem

ANSWER_MODES = ("hash", "last_number")


def prompt_for(question: str) -> str:
    return f"Question: {question}\nAnswer:"


def read_gsm8k_jsonl(path: str | os.PathLike[str], name: str = "gsm8k") -> list[Problem]:
    """All problems of a GSM8K-format JSONL file, in file order; any malformed line raises naming file and line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{name}: data file not found: {path}")
    problems: list[Problem] = []
    for where, line_no, _, record in iter_json_lines(path, expected="an object with question and answer"):
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object with 'question' and 'answer', "
                             f"got {type(record).__name__}")
        for key in ("question", "answer"):
            if not isinstance(record.get(key), str) or not record[key].strip():
                raise ValueError(f"{where}: expected a non-empty string field {key!r}, got {record.get(key)!r:.80}")
        solution = record["answer"]
        if "####" not in solution:
            raise ValueError(f"{where}: 'answer' must end with '#### <number>', got ...{solution[-80:]!r}")
        final = solution.rsplit("####", 1)[1]
        try:
            value = numbers.parse_exact(final)
        except ValueError as e:
            raise ValueError(f"{where}: the text after '####' must be a number, got {final.strip()!r:.80}") from e
        problems.append(Problem(
            id=f"{name}/{path.stem}/{line_no}",
            prompt=prompt_for(record["question"].strip()),
            answer=numbers.format_number(value),
            meta={"question": record["question"].strip(), "solution": solution, "source": where},
        ))
    return problems


def extract_answer(completion: str, answer_mode: str = "hash") -> Fraction | None:
    """The graded answer of a completion (None: no answer); see the module docstring for the rule."""
    completion = base.check_completion(completion)
    if answer_mode == "last_number":
        return numbers.last_number(completion.replace("$", ""))
    if answer_mode != "hash":
        raise ValueError(f"answer_mode must be one of {ANSWER_MODES}, got {answer_mode!r}")
    at = completion.rfind("####")
    if at < 0:
        return None
    line = completion[at + 4:].lstrip().split("\n", 1)[0]
    return numbers.first_number(line.replace("$", ""))


class GSM8KTask:
    """GSM8K-style problems graded on the final answer.

    Args:
      train_path, test_path: GSM8K JSONL files; both None selects the synthetic generator for both splits.
      answer_mode: "hash" (number after the last ``####``) or "last_number" (last number in the completion).
      test_fraction: share of synthetic problems hashed into the test split.
    """

    def __init__(
        self,
        train_path: str | os.PathLike[str] | None = None,
        test_path: str | os.PathLike[str] | None = None,
        answer_mode: str = "hash",
        test_fraction: float = 0.1,
        name: str = "gsm8k",
    ):
        if answer_mode not in ANSWER_MODES:
            raise ValueError(f"answer_mode must be one of {ANSWER_MODES}, got {answer_mode!r}")
        base.check_test_fraction(test_fraction)
        self.name = name
        self.paths = {"train": train_path, "test": test_path}
        self.answer_mode = answer_mode
        self.test_fraction = test_fraction
        self.synthetic = train_path is None and test_path is None
        self._file_cache: dict[str, list[Problem]] = {}

    def _from_file(self, split: str) -> list[Problem]:
        if split in self._file_cache:
            return self._file_cache[split]
        path = self.paths[split]
        if path is None:
            other = "train" if split == "test" else "test"
            raise ValueError(f"{self.name}: no {split}_path configured (only {other}_path); set both paths, or "
                             "neither to use synthetic problems")
        problems = read_gsm8k_jsonl(path, self.name)
        if split == "train" and self.paths["test"] is not None:
            test_questions = {_normalize(p.meta["question"]) for p in self._from_file("test")}
            kept = [p for p in problems if _normalize(p.meta["question"]) not in test_questions]
            if len(kept) != len(problems):
                logging.warning("%s: excluded %d train problems whose question is also in the test file %s",
                                self.name, len(problems) - len(kept), self.paths["test"])
            problems = kept
        self._file_cache[split] = problems
        return problems

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        """File-backed: the file's problems shuffled by ``seed``, first ``n`` (None: all). Synthetic: ``n`` required."""
        base.check_split(split)
        rng = base.make_rng(self.name, split, seed)
        if not self.synthetic:
            problems = list(self._from_file(split))
            rng.shuffle(problems)
            if n is not None and n > len(problems):
                raise ValueError(f"{self.name}: asked for {n} {split} problems but {self.paths[split]} "
                                 f"has {len(problems)}")
            return problems[:n]
        if n is None:
            raise ValueError(f"{self.name}: synthetic problems are unbounded; pass n (or configure data files)")

        def accept(drawn: tuple[str, str, str, int]) -> bool:
            return base.split_of(drawn[1], self.test_fraction) == split

        drawn = base.draw_unique(self.name, split, n, rng, gsm8k_synthetic.draw, accept)
        return [
            Problem(
                id=f"{self.name}/synthetic/{base.stable_id(question)}",
                prompt=prompt_for(question),
                answer=str(answer),
                meta={"question": question, "solution": solution, "template": template},
            )
            for template, question, solution, answer in drawn
        ]

    def is_correct(self, problem: Problem, completion: str) -> bool:
        answer = extract_answer(completion, self.answer_mode)
        return answer is not None and answer == numbers.parse_exact(problem.answer)

    def reward(self, problem: Problem, completion: str) -> float:
        return 1.0 if self.is_correct(problem, completion) else 0.0


def _normalize(question: str) -> str:
    return " ".join(question.split()).lower()
