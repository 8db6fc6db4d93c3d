"""Synthetic workdirs for the report tests, written the way main.py and the eval suite write them: results.json
values come from `evals.stats.rate` over the per-sample scores, so tables can be checked against the files and
paired differences against a hand computation. (No tests here: the helpers that tests/test_report*.py share.)
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from evals.stats import rate

N_ITEMS = 200


def ones(k: int, n: int = N_ITEMS, start: int = 0) -> list[float]:
    """n scores with items start .. start+k-1 equal to 1."""
    return [1.0 if start <= i < start + k else 0.0 for i in range(n)]


def _mcqa_files(folder: Path, splits: dict, ablated: dict, clusters: int | None) -> dict:
    """results["mcqa"] and samples_mcqa.jsonl for {split: scores}; `ablated` {split: scores} adds the passage
    control; with `clusters`, item i belongs to scenario i % clusters."""
    results, samples = {}, []
    for split, scores in splits.items():
        ids = [f"{split}-s{i % clusters}" if clusters else None for i in range(len(scores))]
        results[f"misalignment_rate/split={split}"] = rate(scores, ids if clusters else None).to_dict()
        for i, score in enumerate(scores):
            sample = {"item_id": f"{split}-{i:03d}", "kind": "alignment", "split": split, "scenario_id": ids[i],
                      "score": score}
            if split in ablated:
                sample["ablated"] = {"score": ablated[split][i]}
            samples.append(sample)
        if split in ablated:
            results[f"ablated_misalignment_rate/split={split}"] = rate(ablated[split]).to_dict()
    if samples:
        (folder / "samples_mcqa.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    return {"mcqa": results} if results else {}


_MODEL_OF = {"midtrain": "midtrain", "sft": "sft", "final": "rl"}


def write_workdir(root: Path, arm: str, seed: int = 0, mcqa: dict | None = None, caps: dict | None = None,
                  task_accuracy: list[tuple[int, float, int]] | None = None, rl_done: bool = True,
                  ablated: dict | None = None, rl_steps: dict | None = None, budget: dict | None = None,
                  config: dict | None = None, clusters: int | None = None,
                  rl_done_fields: dict | None = None) -> Path:
    """mcqa: {stage: {split: scores}} (stage midtrain, sft or final; sft adds the stage to the config);
    caps: {stage: {subtask: scores}}; task_accuracy: [(step, value, n)]; ablated: {stage: {split: scores}} with
    another scenario's passage; rl_steps: {step: {split: scores}} written to rl/evals/step_<k>/; budget: rl/done.json
    "budget"; config: merged into config.json (one level deep); clusters: items per split in that many scenarios;
    rl_done_fields: merged into rl/done.json."""
    workdir = root / arm / f"seed{seed}"
    workdir.mkdir(parents=True)
    stages = "midtrain,sft,rl,eval" if "sft" in (mcqa or {}) else "midtrain,rl,eval"
    cfg = {"arm": arm, "seed": seed, "stages": stages, "model": {"preset": "tiny"},
           "midtrain": {"steps": 10}, "rl": {"steps": 20}}
    for key, value in (config or {}).items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) and isinstance(cfg.get(key), dict) else value
    (workdir / "config.json").write_text(json.dumps(cfg))
    for stage in ("midtrain", "sft") if "sft" in stages else ("midtrain",):
        (workdir / stage).mkdir()
        (workdir / stage / "done.json").write_text(json.dumps({"stage": stage, "steps": 10}))
    if rl_done:
        (workdir / "rl").mkdir()
        done = {"stage": "rl", "steps": 20, **({"budget": budget} if budget else {}), **(rl_done_fields or {})}
        (workdir / "rl" / "done.json").write_text(json.dumps(done))
    for stage in sorted(set(mcqa or {}) | set(caps or {})):
        folder = workdir / "eval" / stage
        folder.mkdir(parents=True)
        results = _mcqa_files(folder, (mcqa or {}).get(stage, {}), (ablated or {}).get(stage, {}), clusters)
        cap_samples = []
        for subtask, scores in (caps or {}).get(stage, {}).items():
            results.setdefault("capabilities", {})[f"{subtask}/accuracy"] = rate(scores).to_dict()
            cap_samples += [{"subtask": subtask, "item_id": f"{subtask}-{i:03d}", "score": s}
                            for i, s in enumerate(scores)]
        if cap_samples:
            (folder / "samples_capabilities.jsonl").write_text("".join(json.dumps(s) + "\n" for s in cap_samples))
        if stage == "final":
            (workdir / "eval" / "done.json").write_text(json.dumps({"stage": "eval"}))
        (folder / "results.json").write_text(json.dumps({"schema_version": 1, "model": f"{arm}/{_MODEL_OF[stage]}",
                                                         "step": 0, "results": results, "task_info": {}}))
    for step, splits in (rl_steps or {}).items():
        folder = workdir / "rl" / "evals" / f"step_{step}"
        folder.mkdir(parents=True)
        results = _mcqa_files(folder, splits, {}, clusters)
        (folder / "results.json").write_text(json.dumps({"model": f"{arm}/rl@{step}", "step": step,
                                                         "results": results, "task_info": {}}))
    if task_accuracy:
        (workdir / "rl").mkdir(exist_ok=True)
        lines = [{"step": step, "metric": "task_accuracy", "value": v, "stderr": math.sqrt(v * (1 - v) / n), "n": n}
                 for step, v, n in task_accuracy]
        lines += [{"step": step, "metric": "mcqa/misalignment_rate/split=article", "value": 0.3, "stderr": 0.03,
                   "n": N_ITEMS} for step, _, _ in task_accuracy]
        (workdir / "rl" / "eval_log.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return workdir
