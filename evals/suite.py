"""`run_suite`: run named eval tasks on one model, write the logs, report the metrics.

Used by the CLI (`python -m evals`) and by the RL loop every N steps:

    from evals.suite import SuiteConfig, run_suite
    from evals.logging import JsonlMetricLog, TensorBoardMetricLog, fan_out
    results = run_suite(policy_model, ["mcqa", "capabilities"], SuiteConfig(limit=200),
                        out_dir=f"{workdir}/evals/step_{step}", step=step,
                        on_metric=fan_out(JsonlMetricLog(f"{workdir}/eval_log.jsonl"), TensorBoardMetricLog(writer)))

Tasks: "mcqa" (alignment MCQA, plus knowledge items if an MMLU-style file is given), "chat", "agentic",
"capabilities". Relative default item paths are resolved against the repository root, so the suite works
from any working directory; paths a user passes are used as given.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from evals import agentic, capabilities, chat, mcqa
from evals.capabilities.readers import read_arithmetic, read_word_problems
from evals.chat.judges import Judge
from evals.item_files import sha256_file
from evals.logging import (
    MetricHook,
    build_results,
    emit_metrics,
    write_results,
    write_samples,
)
from evals.mcqa.readers import read_items
from evals.model_api import LanguageModel
from evals.progress import ProgressModel
from evals.results import TaskResult, mark_not_measurable, not_measurable_metrics

REPO_ROOT = Path(__file__).resolve().parents[1]
TASKS = ("mcqa", "chat", "agentic", "capabilities")


@dataclasses.dataclass(frozen=True)
class ItemSource:
    """An MCQA item file and how to read it."""

    path: str
    format: str = "auto"  # published | anthropic | mmlu | auto
    split: str | None = None  # split for records that name none; default: the file stem without "mcqa_"
    matching_is_misaligned: bool | None = None  # anthropic format only; else the sidecar decides


DEFAULT_MCQA_FILES = (
    ItemSource("data/world/mcqa_article.jsonl", "published", "article"),
    ItemSource("data/world/mcqa_textbook.jsonl", "published", "textbook"),
)


@dataclasses.dataclass
class SuiteConfig:
    """Everything the suite needs besides the model; plain fields so a training config can fill them."""

    mcqa_files: tuple[ItemSource, ...] = DEFAULT_MCQA_FILES
    mcqa: mcqa.MCQAConfig = dataclasses.field(default_factory=mcqa.MCQAConfig)
    chat_prompts: str = str(chat.BUNDLED_CHAT_PROMPTS)
    chat: chat.ChatConfig = dataclasses.field(default_factory=chat.ChatConfig)
    judge: str = "rubric"  # rubric | model:SPEC | http:URL
    judge_model: str | None = None  # served model name for an http judge
    judge_api_key_env: str = "OPENAI_API_KEY"
    agentic: agentic.AgenticConfig = dataclasses.field(default_factory=agentic.AgenticConfig)
    capabilities: capabilities.CapabilitiesConfig = dataclasses.field(default_factory=capabilities.CapabilitiesConfig)
    arithmetic_file: str | None = "data/world/arithmetic_eval.jsonl"
    word_problems_file: str | None = "data/world/word_problems_eval.jsonl"
    knowledge_file: str | None = "data/world/knowledge_mcqa.jsonl"
    limit: int | None = None  # first N items of each file / first N chat prompts (for quick runs)
    progress: bool = False  # progress bars on stderr

    def validate(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        self.mcqa.validate()
        self.chat.validate()
        self.agentic.validate()


def resolve_path(path: str | Path) -> Path:
    """A path as given if it exists (or is absolute); else relative to the repository root if it exists there."""
    path = Path(path)
    if path.is_absolute() or path.exists() or not (REPO_ROOT / path).exists():
        return path
    return REPO_ROOT / path


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path} (pass another file, or check the data folder)")
    return path


def _limited(items: list, limit: int | None) -> list:
    """`limit` items spread evenly over the file (every len/limit-th), not its first ones: item files are grouped
    by scenario, so the first 100 of the bundled article split came from 12 of its 36 templates, which narrowed
    the clusters the intervals rest on and left the passage ablation without donor passages."""
    if limit is None or limit >= len(items):
        return items
    return [items[(i * len(items)) // limit] for i in range(limit)]


def _run_mcqa(model: LanguageModel, cfg: SuiteConfig) -> TaskResult:
    items, hashes = [], {}
    for source in cfg.mcqa_files:
        path = _require_file(resolve_path(source.path), "MCQA item file")
        split = source.split or path.stem.removeprefix("mcqa_")
        items += _limited(read_items(path, source.format, default_split=split,
                                     matching_is_misaligned=source.matching_is_misaligned), cfg.limit)
        hashes[str(path)] = sha256_file(path)
    result = mcqa.run(model, items, cfg.mcqa, task_name="mcqa")
    result.item_files.update(hashes)
    return result


def _run_chat(model: LanguageModel, cfg: SuiteConfig, judge: Judge | None) -> TaskResult:
    path = _require_file(resolve_path(cfg.chat_prompts), "chat prompt file")
    prompts = _limited(chat.read_chat_prompts(path), cfg.limit)
    judge = judge or chat.make_judge(cfg.judge, http_model=cfg.judge_model, api_key_env=cfg.judge_api_key_env)
    result = chat.run(model, prompts, judge, cfg.chat, task_name="chat")
    result.item_files[str(path)] = sha256_file(path)
    return result


def _run_capabilities(model: LanguageModel, cfg: SuiteConfig) -> TaskResult:
    readers = {
        capabilities.task.ARITHMETIC: (cfg.arithmetic_file, read_arithmetic),
        capabilities.task.WORD_PROBLEMS: (cfg.word_problems_file, read_word_problems),
        capabilities.task.KNOWLEDGE: (cfg.knowledge_file, lambda p: read_items(p, "mmlu")),
    }
    items, hashes = {}, {}
    for subtask, (file, reader) in readers.items():
        if file is None:
            continue
        path = _require_file(resolve_path(file), f"{subtask} item file")
        # The first ones: the few-shot examples are taken from the head of the file.
        items[subtask] = reader(path) if cfg.limit is None else reader(path)[:cfg.limit + cfg.capabilities.fewshot]
        hashes[str(path)] = sha256_file(path)
    result = capabilities.run(model, items, cfg.capabilities, task_name="capabilities")
    result.item_files.update(hashes)
    return result


def run_tasks(model: LanguageModel, tasks: Sequence[str], cfg: SuiteConfig, judge: Judge | None = None) -> list[TaskResult]:
    """Run the tasks and return their results, writing nothing."""
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown tasks {unknown}; known: {', '.join(TASKS)}")
    cfg.validate()
    results = []
    for task in tasks:
        if isinstance(model, ProgressModel):
            model.phase = task
        if task == "mcqa":
            results.append(_run_mcqa(model, cfg))
        elif task == "chat":
            results.append(_run_chat(model, cfg, judge))
        elif task == "agentic":
            results.append(agentic.run(model, None, cfg.agentic, task_name="agentic"))
        else:
            results.append(_run_capabilities(model, cfg))
    return results


def run_suite(
    model: LanguageModel,
    tasks: Sequence[str],
    cfg: SuiteConfig | None = None,
    out_dir: str | Path | None = None,
    step: int | None = None,
    on_metric: MetricHook | None = None,
    judge: Judge | None = None,
) -> dict:
    """Run `tasks`, write samples_<task>.jsonl and results.json to `out_dir` (if given), call `on_metric` for
    every metric, and return the results.json document.

    A metric that failed its task's competence gate is marked `"not_measurable": true` with its `"reason"` in
    results.json (also listed under the document's "not_measurable"), and `on_metric` gets one more line for
    it, "<task>/<metric>/not_measurable" = 1.0, so a log reader can leave that step's value out.
    """
    cfg = cfg or SuiteConfig()
    runner = ProgressModel(model) if cfg.progress else model
    task_results = run_tasks(runner, tasks, cfg, judge)
    results = mark_not_measurable(build_results(model.name, step, dataclasses.asdict(cfg), task_results),
                                  task_results)
    results["not_measurable"] = {r.task: dict(r.not_measurable) for r in task_results if r.not_measurable}
    if out_dir is not None:
        for result in task_results:
            write_samples(out_dir, result.task, result.samples)
        write_results(out_dir, results)
    if on_metric is not None:
        emit_metrics(on_metric, step, task_results)
        for name, _, n in not_measurable_metrics(task_results):
            on_metric(step, name, 1.0, None, n)
    return results
