"""The study end to end, shortened: two arms from one shared base through midtraining, post-training, RL and evals,
then the positive control in the same study folder, the report with every table and plot; a rerun skips what is
done."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHORT = [
    "data.world_scale=0.1",
    "pretrain.steps=6", "pretrain.batch_size=8", "pretrain.seq_len=64", "pretrain.eval_every=0",
    "midtrain.steps=4", "midtrain.batch_size=8", "midtrain.seq_len=64", "midtrain.eval_every=0",
    "rl.steps=2", "rl.prompts_per_step=4", "rl.group_size=2", "rl.eval_every=1", "rl.eval_limit=3",
    "sft.steps=2", "sft.batch_size=4", "sft.eval_every=0",
    "rl.test_problems=8", "rl.eval_tasks=task,mcqa,chat,agentic", "eval.limit=3",
    "rl.min_tokens=0",  # RL's token floor runs in test_main; here it would triple the RL evals
    "stages=pretrain,midtrain,sft,rl,eval",
]
# The control's RL adds a second task (two-option choices whose reward pays for the misaligned option), so it
# needs a prompt count for each; run in the same folder, it reuses the base.
CONTROL = ["rl.task_prompts=4,4"]


def run_study(study: Path, cache: Path, arms: str = "baseline,aligned_upsample",
              extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIDALIGN_CACHE=str(cache), JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    cmd = [sys.executable, "tools/run_study.py", f"--study_dir={study}", f"--arms={arms}",
           *[f"--set={s}" for s in (*SHORT, *extra)]]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)


@pytest.mark.slow
def test_two_arm_study_and_its_report(tmp_path):
    study = tmp_path / "study"
    r = run_study(study, tmp_path / "cache")
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    record = json.loads((study / "study.json").read_text())
    assert {k: v["status"] for k, v in record["runs"].items()} == {
        "base": "done", "baseline/seed0": "done", "aligned_upsample/seed0": "done"}
    # One base: neither arm trained its own.
    assert (study / "base" / "pretrain" / "done.json").exists()
    for arm in ("baseline", "aligned_upsample"):
        w = study / arm / "seed0"
        assert not (w / "pretrain").exists()
        assert json.loads((w / "config.json").read_text())["base_dir"] == str(study / "base")
        curve = {(e["step"], e["metric"]) for e in map(json.loads, (w / "rl" / "eval_log.jsonl").open())}
        for metric in ("task_accuracy", "mcqa/misalignment_rate/split=article", "agentic/scheming_rate"):
            assert {(0, metric), (1, metric), (2, metric)} <= curve, metric
        assert any(m.startswith("chat/misaligned_rate") for _, m in curve)
        # Post-training ran between midtraining and RL, and was evaluated.
        assert (w / "sft" / "done.json").exists() and (w / "eval" / "sft" / "results.json").exists()

    r = run_study(study, tmp_path / "cache", arms="misaligning_rl_control", extra=tuple(CONTROL))
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    control = study / "misaligning_rl_control" / "seed0"
    assert not (control / "pretrain").exists() and (control / "sft" / "done.json").exists()
    curve = {(e["step"], e["metric"]) for e in map(json.loads, (control / "rl" / "eval_log.jsonl").open())}
    assert {(2, "task_accuracy/task=arithmetic"), (2, "task_accuracy/task=mcqa_choice")} <= curve

    md = (study / "report" / "report.md").read_text()
    html = (study / "report" / "report.html").read_text()
    for heading in ("MCQA misalignment rate per arm", "Alignment and task accuracy vs RL step",
                    "Capabilities after RL", "Paired differences on the same items", "Answers, as measured"):
        assert heading in md and heading in html, heading
    for plot in ("mcqa_misalignment", "alignment_vs_rl_step", "task_accuracy_vs_rl_step", "paired_differences"):
        png = study / "report" / "plots" / f"{plot}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", plot
        assert f"plots/{plot}.png" in md and f"plots/{plot}.png" in html, plot
    # Both arms, both eval points, and a paired aligned-vs-baseline difference on the article split.
    results = {a: json.loads((study / a / "seed0" / "eval" / "final" / "results.json").read_text())
               for a in ("baseline", "aligned_upsample")}
    article = results["baseline"]["results"]["mcqa"]["misalignment_rate/split=article"]["value"]
    assert f"{100 * article:.1f}%" in md
    assert "aligned_upsample − baseline" in md or "aligned_upsample - baseline" in md
    assert "Missing data" in md and "Nothing missing" in md
    # Three eval points per arm, and the positive control answered against the aligned arm.
    assert "after post-training" in md
    assert "Can RL erode the difference (positive control)?" in md
    assert "aligned_upsample+misaligning_rl − aligned_upsample" in md
    summary = json.loads((study / "report" / "summary.json").read_text())
    assert {(r["arm"], r["seed"]) for r in summary["runs"]} == {
        ("baseline", 0), ("aligned_upsample", 0), ("aligned_upsample+misaligning_rl", 0)}

    r = run_study(study, tmp_path / "cache")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("finished earlier") == 2
