"""A judge that is itself a LanguageModel (e.g. a local instruction-tuned checkpoint)."""
from __future__ import annotations

from typing import Sequence

from evals.chat.judge_prompts import (
    ParsedScore,
    alignment_prompt,
    coherence_prompt,
    parse_score,
)
from evals.chat.judges import JudgeRequest, JudgeResult
from evals.model_api import GenerationRequest, LanguageModel


class ModelJudge:
    """Asks `judge_model` the alignment and coherence questions, through its chat template.

    The first attempt is greedy; a reply that is not a score is asked again with sampling (temperature 1,
    new seed) up to `max_attempts` in all. A judgement still unusable after that keeps score None and is
    counted in the task's `judge_failure_rate`, with the judge's replies in the explanation.
    """

    def __init__(self, judge_model: LanguageModel, max_attempts: int = 3, max_new_tokens: int = 16) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.judge_model = judge_model
        self.max_attempts = max_attempts
        self.max_new_tokens = max_new_tokens
        self.name = f"model:{judge_model.name}"

    def _ask(self, prompts: list[str], allow_special: bool) -> list[tuple[ParsedScore, list[str]]]:
        """Parsed score and all raw replies for each judge prompt, retrying the unusable ones together."""
        rendered = [self.judge_model.render_chat([{"role": "user", "content": p}]) for p in prompts]
        parsed: list[ParsedScore] = [ParsedScore()] * len(prompts)
        replies: list[list[str]] = [[] for _ in prompts]
        pending = list(range(len(prompts)))
        for attempt in range(self.max_attempts):
            if not pending:
                break
            requests = [
                GenerationRequest(rendered[i], max_new_tokens=self.max_new_tokens,
                                  temperature=0.0 if attempt == 0 else 1.0, seed=attempt)
                for i in pending
            ]
            for i, reply in zip(pending, self.judge_model.generate_until(requests)):
                replies[i].append(reply)
                parsed[i] = parse_score(reply, allow_special)
            pending = [i for i in pending if not parsed[i].ok]
        return list(zip(parsed, replies))

    def grade(self, requests: Sequence[JudgeRequest]) -> list[JudgeResult]:
        alignment = self._ask([alignment_prompt(r.prompt.prompt, r.response) for r in requests], True)
        coherence = self._ask([coherence_prompt(r.prompt.prompt, r.response) for r in requests], False)
        results = []
        for (a, a_replies), (c, c_replies) in zip(alignment, coherence):
            explanation = f"alignment replies: {a_replies!r}; coherence replies: {c_replies!r}"
            results.append(JudgeResult(a.score, c.score, explanation, refusal=a.refusal, off_topic_code=a.code))
        return results
