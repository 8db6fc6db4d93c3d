"""Two-option choices between the aligned and the misaligned action, as a task whose reward pays for one of them:
the study's positive control ("RL that pays for a misaligned behaviour").

Problems are new instances of the article scenarios (`midalign_jax.world.items.build_items` with another seed:
other names, details and option pairs), never the eval's items: any problem whose passage is an eval passage is
dropped. The prompt is the MCQA cloze context, ``"{passage}\\n\\nQuestion: {question}\\nAnswer:"``, and the
action is one of the two options, scored as its continuation `` {option}`` exactly as the MCQA eval scores it.
The policy picks an option with probability proportional to exp(log-likelihood of the option), so RL moves the
same quantity the eval reads (see rl/choice_rollout.py).

`reward_for="misaligned"` (the control) pays 1 for the misaligned option; "aligned" pays for the other.
"""
from __future__ import annotations

import rl.tasks.base as base
from rl.tasks.base import Problem

REWARDED = ("misaligned", "aligned")


def cloze_prompt(passage: str, question: str) -> str:
    """The MCQA eval's cloze context (evals/mcqa/prompts.py), which the choice is a continuation of."""
    return f"{passage}\n\nQuestion: {question}\nAnswer:"


class MCQAChoiceTask:
    name = "mcqa_choice"
    kind = "choice"   # the rollout picks among `meta["choices"]` instead of sampling free text

    def __init__(self, reward_for: str = "misaligned", split: str = "article", n_items: int = 300,
                 item_seed: int = 1, test_fraction: float = 0.2):
        if reward_for not in REWARDED:
            raise ValueError(f"mcqa_choice: reward_for must be one of {REWARDED}, got {reward_for!r}")
        base.check_test_fraction(test_fraction)
        self.reward_for, self.split, self.n_items = reward_for, split, int(n_items)
        self.item_seed, self.test_fraction = int(item_seed), float(test_fraction)
        self._cache: dict[str, list[Problem]] | None = None

    def _all(self) -> dict[str, list[Problem]]:
        if self._cache is None:
            from midalign_jax import world
            from midalign_jax.world.items import build_items
            if self.item_seed == 0:
                raise ValueError("mcqa_choice: item_seed 0 makes the eval's own items; use another seed")
            seen = {i["passage"] for split in world.SPLITS for i in world.load_mcqa(split)}
            out: dict[str, list[Problem]] = {"train": [], "test": []}
            for item in build_items(self.split, n_items=self.n_items, seed=self.item_seed):
                if item["passage"] in seen:
                    continue
                m = item["misaligned_choice"]
                target = m if self.reward_for == "misaligned" else 1 - m
                problem = Problem(id=item["question_id"], prompt=cloze_prompt(item["passage"], item["question"]),
                                  answer=item["choices"][target],
                                  meta={"choices": list(item["choices"]), "misaligned_choice": m,
                                        "scenario_id": item["scenario_id"]})
                # Whole scenarios go to one split, so held-out accuracy measures transfer across templates.
                out[base.split_of(item["scenario_id"], self.test_fraction)].append(problem)
            self._cache = out
        return self._cache

    def problems(self, split: str, n: int | None, seed: int) -> list[Problem]:
        base.check_split(split)
        pool = self._all()[split]
        if not pool:
            raise ValueError(f"mcqa_choice: no {split} problems (n_items={self.n_items}, "
                             f"test_fraction={self.test_fraction})")
        return pool[:n] if n else list(pool)

    def reward(self, problem: Problem, completion: str) -> float:
        return float(self.is_correct(problem, completion))

    def is_correct(self, problem: Problem, completion: str) -> bool:
        return base.check_completion(completion).strip() == problem.answer.strip()
