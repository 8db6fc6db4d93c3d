"""One run of the study (an arm and a seed in its workdir): its config, eval results, RL eval log and what
is missing.

A workdir is a folder with `config.json` (written by main.py). A run may be incomplete, a stage not yet
finished; `Run.missing` says what is absent and the report still uses everything present. Malformed files
are errors (`ReportInputError`) that name the file and what was expected.
"""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from midalign_jax.jsonl_lines import iter_json_lines
from study.report.errors import ReportInputError
from study.report.measures import EVAL_STAGES, STAGE_LABELS, STEP_PREFIX
from study.report.samples import SampleRecord, read_samples

# Stages whose finish the header reports; the others (pretrain, export) are not part of the comparison.
_REPORTED_STAGES = ("midtrain", "sft", "rl", "eval")


@dataclasses.dataclass(frozen=True)
class LogPoint:
    step: int
    value: float
    stderr: float | None
    n: int | None


@dataclasses.dataclass
class EvalResult:
    """One results.json: `metrics[task][metric]` is `{value, stderr, ci_low, ci_high, n, method}`."""

    folder: Path
    metrics: dict[str, dict[str, dict]]
    model: str | None
    step: int | None
    task_info: dict[str, Any]


@dataclasses.dataclass
class Run:
    workdir: Path
    arm: str
    seed: int
    config: dict
    evals: dict[str, EvalResult]  # "midtrain", "sft" (after post-training) and "final" (after RL), where present
    eval_log: dict[str, list[LogPoint]]  # metric -> points in step order
    done: dict[str, dict | None]  # stage -> its done.json (None: not finished)
    missing: list[str]
    notes: list[str]
    rl_scalars: list[dict] = dataclasses.field(default_factory=list)  # rl/tb/scalars.jsonl rows with rl/* tags
    step_evals: dict[int, EvalResult] = dataclasses.field(default_factory=dict)  # rl/evals/step_<k>/, by step
    _samples: dict[tuple[str, str], list[SampleRecord] | None] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.arm}/seed{self.seed}"

    def stages(self) -> list[str]:
        return [s.strip() for s in str(self.config.get("stages", "")).split(",") if s.strip()]

    def steps(self, stage: str) -> tuple[int | None, bool]:
        """(steps, finished): from done.json when the stage finished, else the planned count in the config."""
        summary = self.done.get(stage)
        if summary and isinstance(summary.get("steps"), int):
            return summary["steps"], True
        planned = self.config.get(stage, {}).get("steps") if isinstance(self.config.get(stage), dict) else None
        return (planned if isinstance(planned, int) else None), False

    def result(self, stage: str) -> EvalResult | None:
        """The results at eval point `stage`: an eval/ label, or step_<k> for the eval at RL step k."""
        if stage.startswith(STEP_PREFIX):
            return self.step_evals.get(int(stage[len(STEP_PREFIX):]))
        return self.evals.get(stage)

    @staticmethod
    def folder_of(stage: str) -> str:
        """Where `stage`'s files live in a workdir, for messages."""
        return f"rl/evals/{stage}" if stage.startswith(STEP_PREFIX) else f"eval/{stage}"

    def budget(self) -> dict | None:
        """RL's update budget against midtraining's (rl/done.json "budget"), when the RL stage recorded one."""
        budget = (self.done.get("rl") or {}).get("budget")
        return budget if isinstance(budget, dict) else None

    def samples(self, stage: str, task: str) -> list[SampleRecord] | None:
        """Scored samples of `task` at eval point `stage`, or None when the file is absent (read once)."""
        if (stage, task) not in self._samples:
            result = self.result(stage)
            path = result.folder / f"samples_{task}.jsonl" if result else None
            self._samples[(stage, task)] = read_samples(path) if path and path.exists() else None
        return self._samples[(stage, task)]


def _read_json(path: Path, expected: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReportInputError(f"{path} line {error.lineno} column {error.colno}: not valid JSON ({error.msg}); "
                               f"expected {expected}") from None


def _number_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def read_results(folder: Path) -> EvalResult:
    """Read and check `folder/results.json` as the eval suite writes it."""
    path = folder / "results.json"
    doc = _read_json(path, "the results.json the eval suite writes")
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise ReportInputError(f"{path}: expected an object with a 'results' object "
                               "(results[task][metric] = {value, stderr, n, ci_low, ci_high, method})")
    metrics: dict[str, dict[str, dict]] = {}
    for task, task_metrics in doc["results"].items():
        if not isinstance(task_metrics, dict):
            raise ReportInputError(f"{path}: results[{task!r}] must be an object of metrics, "
                                   f"got {type(task_metrics).__name__}")
        for metric, estimate in task_metrics.items():
            where = f"{path}: results[{task!r}][{metric!r}]"
            if not isinstance(estimate, dict) or "value" not in estimate:
                raise ReportInputError(f"{where}: expected an object with 'value', 'stderr', 'n', 'ci_low', "
                                       f"'ci_high', got {json.dumps(estimate)[:80]}")
            for field in ("value", "stderr", "ci_low", "ci_high"):
                if not _number_or_none(estimate.get(field)):
                    raise ReportInputError(f"{where}: '{field}' must be a number or null, "
                                           f"got {estimate.get(field)!r}")
            if not (estimate.get("n") is None or isinstance(estimate.get("n"), int)):
                raise ReportInputError(f"{where}: 'n' must be an integer, got {estimate.get('n')!r}")
        metrics[task] = task_metrics
    step = doc.get("step")
    return EvalResult(folder, metrics, doc.get("model"), step if isinstance(step, int) else None,
                      doc.get("task_info") if isinstance(doc.get("task_info"), dict) else {})


def _json_lines(path: Path, expected: str):
    return iter_json_lines(path, expected=expected, error=ReportInputError, where=lambda p, n: f"{p} line {n}")


def read_eval_log(path: Path) -> tuple[dict[str, list[LogPoint]], int]:
    """metric -> points in step order, and how many (step, metric) entries were repeated.

    A resumed RL run may log a step twice; the last entry wins and the count is reported.
    """
    by_key: dict[tuple[str, int], LogPoint] = {}
    repeated = 0
    for where, _, _, entry in _json_lines(path, '{"step", "metric", "value", "stderr", "n"}'):
        if (not isinstance(entry, dict) or not isinstance(entry.get("step"), int)
                or not isinstance(entry.get("metric"), str) or not _number_or_none(entry.get("value"))
                or not _number_or_none(entry.get("stderr"))):
            raise ReportInputError(f"{where}: expected "
                                   '{"step": int, "metric": str, "value": number, "stderr": number|null, '
                                   f'"n": int}}, got {json.dumps(entry)[:120]}')
        if entry.get("value") is None:
            continue  # an undefined quantity (a rate over zero items): nothing to plot
        key = (entry["metric"], entry["step"])
        repeated += key in by_key
        stderr = entry.get("stderr")
        by_key[key] = LogPoint(entry["step"], float(entry["value"]),
                               None if stderr is None or math.isnan(stderr) else float(stderr),
                               entry.get("n") if isinstance(entry.get("n"), int) else None)
    log: dict[str, list[LogPoint]] = {}
    for (metric, _), point in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        log.setdefault(metric, []).append(point)
    return log, repeated


def _done(workdir: Path, stage: str, base_dir: str) -> dict | None:
    for root in (workdir, Path(base_dir) if base_dir else None):
        if root is not None and (root / stage / "done.json").exists():
            summary = _read_json(root / stage / "done.json", "the done.json a finished stage writes")
            return summary if isinstance(summary, dict) else {}
    return None


def load_run(workdir: Path) -> Run:
    """Read one workdir; absent stages and files go to `Run.missing`."""
    workdir = Path(workdir)
    config_path = workdir / "config.json"
    config = _read_json(config_path, "the config.json that main.py writes")
    if not isinstance(config, dict) or not isinstance(config.get("arm"), str) or not config["arm"]:
        raise ReportInputError(f"{config_path}: expected an object with a non-empty string 'arm'")
    if not isinstance(config.get("seed"), int):
        raise ReportInputError(f"{config_path}: expected an integer 'seed', got {config.get('seed')!r}")
    run = Run(workdir, config["arm"], config["seed"], config, {}, {}, {}, [], [])
    stages = run.stages()
    for stage in _REPORTED_STAGES + ("pretrain",):
        run.done[stage] = _done(workdir, stage, str(config.get("base_dir") or ""))
    for stage in _REPORTED_STAGES:
        if stage in stages and run.done[stage] is None:
            run.missing.append(f"stage {stage} not finished (no {stage}/done.json)")

    for label in EVAL_STAGES:
        folder = workdir / "eval" / label
        if (folder / "results.json").exists():
            run.evals[label] = read_results(folder)
    final = run.evals.get("final")
    # Without RL the eval stage measures the newest model as "final": the after-midtraining (or after
    # post-training) point, which is where it belongs in the comparison.
    for earlier in ("midtrain", "sft"):
        if final and earlier not in run.evals and str(final.model or "").endswith(f"/{earlier}"):
            run.evals[earlier] = run.evals.pop("final")
            run.notes.append(f"eval/final holds the {earlier} model (no RL stage ran before the eval)")
    for label, result in run.evals.items():
        evaluated_arm = str(result.model or "").split("/")[0]
        if evaluated_arm and evaluated_arm != run.arm:
            run.notes.append(f"eval/{label}/results.json names model {result.model!r}, not arm {run.arm!r}: "
                             "check that it belongs to this workdir")
    for label in EVAL_STAGES:
        if label not in run.evals and (label != "sft" or "sft" in stages):
            run.missing.append(f"no eval {STAGE_LABELS[label]} (eval/{label}/results.json)")

    steps_dir = workdir / "rl" / "evals"
    for folder in sorted(steps_dir.glob(f"{STEP_PREFIX}*")) if steps_dir.is_dir() else []:
        suffix = folder.name[len(STEP_PREFIX):]
        if not suffix.isdigit():
            continue
        if (folder / "results.json").exists():
            run.step_evals[int(suffix)] = read_results(folder)
        else:
            run.notes.append(f"{folder.relative_to(workdir)} has no results.json (an unfinished RL eval): left out")
    run.step_evals = dict(sorted(run.step_evals.items()))
    log_path = workdir / "rl" / "eval_log.jsonl"
    if log_path.exists():
        run.eval_log, repeated = read_eval_log(log_path)
        if repeated:
            run.notes.append(f"rl/eval_log.jsonl repeats {repeated} (step, metric) entries (a resumed run); "
                             "the last of each is used")
    elif ("rl" in stages or run.done.get("rl")) and not run.step_evals:
        run.missing.append("no evals during RL (rl/eval_log.jsonl)")
    scalars_path = workdir / "rl" / "tb" / "scalars.jsonl"
    if scalars_path.exists():
        run.rl_scalars = read_rl_scalars(scalars_path)
    return run


def read_rl_scalars(path: Path) -> list[dict]:
    """The per-step RL training scalars (rows that carry rl/reward_mean), in step order."""
    rows = {}
    for _, _, _, row in _json_lines(path, '{"step": int, "<tag>": number, ...}'):
        if isinstance(row, dict) and isinstance(row.get("step"), int) and "rl/reward_mean" in row:
            rows[row["step"]] = row  # a resumed run rewrites its steps; the last one wins
    return [rows[k] for k in sorted(rows)]
