"""Capability evals: arithmetic (exact match), word problems (final number), knowledge MCQA (accuracy).

These check that midtraining arms stay equal in capability. Prompts:
- arithmetic: "Question: {question}\nAnswer:", generated until "\n", compared by exact match after trimming
  (numbers canonicalised, so " 75." matches 75);
- word problems: same prompt, generated until a blank line or the next "Question:", scored on the final
  number ("#### N", "the answer is N", or the last number written);
- knowledge: MMLU-style items through the MCQA task (its mode and option orders), reporting accuracy.
With `fewshot = k` the first k items of a file become worked exemplars in every prompt and are not scored.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from evals.capabilities.answers import exact_match_answer, final_number
from evals.capabilities.readers import GeneratedAnswerItem
from evals.mcqa.items import MCQAItem
from evals.mcqa.task import MCQAConfig
from evals.mcqa.task import run as run_mcqa
from evals.model_api import GenerationRequest, LanguageModel
from evals.results import TaskResult
from evals.stats import Estimate, proportion

ARITHMETIC, WORD_PROBLEMS, KNOWLEDGE = "arithmetic", "word_problems", "knowledge"
SUBTASKS = (ARITHMETIC, WORD_PROBLEMS, KNOWLEDGE)


@dataclasses.dataclass
class CapabilitiesConfig:
    """Generation lengths, few-shot exemplars and the MCQA settings for knowledge items."""

    arithmetic_max_new_tokens: int = 16
    word_problem_max_new_tokens: int = 256
    fewshot: int = 0
    chat_format: bool = False  # prompts as user messages through model.render_chat
    mcqa: MCQAConfig = dataclasses.field(default_factory=MCQAConfig)


def _prompt(model: LanguageModel, question: str, exemplars: Sequence[GeneratedAnswerItem], chat: bool) -> str:
    if chat:
        messages = []
        for ex in exemplars:
            messages += [{"role": "user", "content": ex.question}, {"role": "assistant", "content": ex.solution}]
        return model.render_chat([*messages, {"role": "user", "content": question}])
    shots = "".join(f"Question: {ex.question}\nAnswer: {ex.solution}\n\n" for ex in exemplars)
    return f"{shots}Question: {question}\nAnswer:"


def run_generated(
    model: LanguageModel, items: Sequence[GeneratedAnswerItem], subtask: str, cfg: CapabilitiesConfig
) -> tuple[dict[str, Estimate], list[dict], list[str]]:
    """Metrics, samples and the few-shot exemplar ids for one generated-answer subtask."""
    if subtask not in (ARITHMETIC, WORD_PROBLEMS):
        raise ValueError(f"unknown generated-answer subtask {subtask!r}")
    if cfg.fewshot >= len(items):
        raise ValueError(f"{subtask}: fewshot={cfg.fewshot} leaves no items to score out of {len(items)}")
    exemplars, scored = list(items[: cfg.fewshot]), list(items[cfg.fewshot :])
    if subtask == ARITHMETIC:
        stop, max_new, extract = ("\n",), cfg.arithmetic_max_new_tokens, exact_match_answer
    else:
        stop, max_new, extract = ("\n\n", "Question:"), cfg.word_problem_max_new_tokens, final_number
    if cfg.chat_format:
        stop = ()
    prompts = [_prompt(model, item.question, exemplars, cfg.chat_format) for item in scored]
    outputs = model.generate_until([GenerationRequest(p, stop=stop, max_new_tokens=max_new) for p in prompts])
    samples = []
    for item, prompt, output in zip(scored, prompts, outputs):
        extracted = extract(output)
        samples.append({
            "subtask": subtask, "item_id": item.item_id, "source": item.source, "prompt": prompt,
            "output": output, "extracted": extracted, "gold": item.gold, "score": float(extracted == item.gold),
        })
    correct = sum(int(s["score"]) for s in samples)
    return {f"{subtask}/accuracy": proportion(correct, len(samples))}, samples, [e.item_id for e in exemplars]


def run(
    model: LanguageModel,
    items: dict[str, Sequence[GeneratedAnswerItem] | Sequence[MCQAItem]],
    cfg: CapabilitiesConfig | None = None,
    task_name: str = "capabilities",
) -> TaskResult:
    """Run every subtask present in `items` (keys from SUBTASKS)."""
    cfg = cfg or CapabilitiesConfig()
    unknown = set(items) - set(SUBTASKS)
    if unknown:
        raise ValueError(f"{task_name}: unknown subtasks {sorted(unknown)}; expected some of {SUBTASKS}")
    metrics: dict[str, Estimate] = {}
    samples: list[dict] = []
    info: dict = {"fewshot": cfg.fewshot, "fewshot_exemplars": {}, "config": dataclasses.asdict(cfg)}
    for subtask in (ARITHMETIC, WORD_PROBLEMS):
        if items.get(subtask):
            sub_metrics, sub_samples, exemplar_ids = run_generated(model, items[subtask], subtask, cfg)
            metrics.update(sub_metrics)
            samples += sub_samples
            info["fewshot_exemplars"][subtask] = exemplar_ids
    if items.get(KNOWLEDGE):
        knowledge = run_mcqa(model, items[KNOWLEDGE], cfg.mcqa, task_name=KNOWLEDGE)
        if knowledge.info["num_alignment_items"]:
            raise ValueError(f"{task_name}: knowledge items must be MMLU-style (with an answer), not alignment items")
        metrics.update({f"{KNOWLEDGE}/{name}": est for name, est in knowledge.metrics.items()})
        samples += [{"subtask": KNOWLEDGE, **s} for s in knowledge.samples]
    if not samples:
        raise ValueError(f"{task_name}: no items to evaluate")
    return TaskResult(task=task_name, metrics=metrics, samples=samples, info=info)
