"""Eval output files and metric hooks, in the spirit of lm-evaluation-harness.

Per run directory:
- samples_<task>.jsonl: one record per scored unit (MCQA item with every option order, chat sample with the
  judge's scores and explanation, agentic episode with its transcript and actions);
- results.json: every metric as {value, stderr, ci_low, ci_high, n, method}, with the model name, the
  checkpoint step, the full config and the sha256 of each item file;
- eval_log.jsonl (via `JsonlMetricLog`): one line per (step, metric, value, stderr, n), appended across runs,
  which is what a training or RL loop keeps next to its TensorBoard events.

A metric hook is any callable `on_metric(step, name, value, stderr, n)`; `emit_metrics` calls it for each
reported number, named "<task>/<metric>".
"""
from __future__ import annotations

import datetime
import json
import math
from pathlib import Path
from typing import Any, Callable, Iterable

from evals.results import TaskResult

MetricHook = Callable[[int | None, str, float, float | None, int], None]
RESULTS_SCHEMA_VERSION = 1


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (NaN, +-inf) with None so every file is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_samples(out_dir: str | Path, task: str, samples: Iterable[dict]) -> Path:
    path = Path(out_dir) / f"samples_{task}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(json.dumps(json_safe({"task": task, **sample}), ensure_ascii=False, allow_nan=False) + "\n")
    return path


def build_results(model_name: str, step: int | None, config: dict, task_results: Iterable[TaskResult]) -> dict:
    """The results.json document."""
    task_results = list(task_results)
    item_files: dict[str, str] = {}
    for result in task_results:
        item_files.update(result.item_files)
    return json_safe({
        "schema_version": RESULTS_SCHEMA_VERSION,
        "model": model_name,
        "step": step,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "results": {r.task: {name: est.to_dict() for name, est in r.metrics.items()} for r in task_results},
        "task_info": {r.task: {**r.info, "num_samples": len(r.samples)} for r in task_results},
        "item_files": item_files,
        "config": config,
    })


def write_results(out_dir: str | Path, results: dict) -> Path:
    path = Path(out_dir) / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_safe(results), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return path


def emit_metrics(hook: MetricHook, step: int | None, task_results: Iterable[TaskResult]) -> None:
    """Call `hook` once per reported metric with a defined value."""
    for result in task_results:
        for name, est in result.metrics.items():
            if math.isnan(est.value):
                continue
            stderr = None if math.isnan(est.stderr) else est.stderr
            hook(step, f"{result.task}/{name}", est.value, stderr, est.n)


class JsonlMetricLog:
    """Metric hook appending {"step", "metric", "value", "stderr", "n"} lines to a JSONL file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: int | None, name: str, value: float, stderr: float | None, n: int) -> None:
        line = json.dumps(json_safe({"step": step, "metric": name, "value": value, "stderr": stderr, "n": n}))
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


class TensorBoardMetricLog:
    """Metric hook writing scalars to a TensorBoard writer (anything with `add_scalar(tag, value, step)`,
    e.g. tensorboardX.SummaryWriter). The standard error goes to "<name>/stderr" when defined."""

    def __init__(self, writer: Any, prefix: str = "eval/") -> None:
        self.writer = writer
        self.prefix = prefix

    def __call__(self, step: int | None, name: str, value: float, stderr: float | None, n: int) -> None:
        self.writer.add_scalar(f"{self.prefix}{name}", value, step)
        if stderr is not None:
            self.writer.add_scalar(f"{self.prefix}{name}/stderr", stderr, step)


def fan_out(*hooks: MetricHook | None) -> MetricHook:
    """One hook that calls each of `hooks` (None entries are skipped)."""
    live = [h for h in hooks if h is not None]

    def hook(step: int | None, name: str, value: float, stderr: float | None, n: int) -> None:
        for h in live:
            h(step, name, value, stderr, n)

    return hook
