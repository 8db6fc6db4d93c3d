"""main.py: locked config plumbing, the stage dispatcher end to end, resume by rerunning."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SMALL = [
    "--config.pretrain.steps=6", "--config.pretrain.batch_size=8", "--config.pretrain.seq_len=64",
    "--config.pretrain.eval_every=3", "--config.pretrain.eval_batches=1", "--config.pretrain.checkpoint_every=3",
    "--config.midtrain.steps=4", "--config.midtrain.batch_size=8", "--config.midtrain.seq_len=64",
    "--config.midtrain.eval_every=2", "--config.midtrain.eval_batches=1",
    "--config.rl.steps=2", "--config.rl.prompts_per_step=4", "--config.rl.group_size=2",
    "--config.rl.eval_every=0", "--config.rl.eval_tasks=task,mcqa", "--config.rl.eval_limit=4",
    "--config.rl.test_problems=8", "--config.eval.limit=3", "--config.eval.tasks=mcqa,capabilities",
    # rl.min_tokens is midtraining's 2,048 tokens, which 2 steps of 8 short rows do not reach: a third step runs.
    "--config.rl.max_steps=3",
]


def main(workdir, *flags, config="configs/aligned_upsample.py", cache=None, timeout=900):
    env = dict(os.environ, MIDALIGN_CACHE=str(cache or Path(workdir).parent / "cache"), JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)  # one CPU device, as on a laptop
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # the run's own compilation cache, under MIDALIGN_CACHE
    return subprocess.run([sys.executable, "main.py", f"--config={config}", f"--workdir={workdir}", *flags],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_misspelled_field_is_a_clear_error(tmp_path):
    r = main(tmp_path / "w", "--config.midtrain.lr_typo=1", timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "lr_typo" in r.stderr
    r = main(tmp_path / "w", "--config.stages=pretrain,midtrian", timeout=120)
    assert r.returncode == 2 and "midtrian" in r.stderr and "known stages" in r.stderr


def test_overrides_resolve_a_real_preset():
    from configs import aligned_upsample
    from study.context import resolve_model_config
    c = aligned_upsample.get_config()
    c.model.preset = "pythia-160m"
    c.model.dtype = "bfloat16"
    cfg = resolve_model_config(c)
    assert (cfg.d_model, cfg.n_layers, cfg.norm, cfg.parallel_residual, cfg.dtype) == (768, 12, "layernorm", True,
                                                                                       "bfloat16")
    with pytest.raises(ValueError, match="unknown model preset"):
        c.model.preset = "pythia-7b"
        resolve_model_config(c)


@pytest.mark.slow
def test_all_stages_run_resume_and_export(tmp_path):
    w = tmp_path / "w"
    flags = SMALL + ["--config.stages=pretrain,midtrain,rl,eval,export"]
    r = main(w, *flags)
    assert r.returncode == 0, r.stderr[-3000:]
    config = json.loads((w / "config.json").read_text())
    assert config["arm"] == "aligned_upsample" and config["midtrain"]["mixture"]["aligned_docs"] == 0.25
    for stage in ("pretrain", "midtrain", "rl", "eval", "export"):
        assert (w / stage / "done.json").exists(), stage
    # The compiled programs were kept for the next run, in the data cache (config.compile_cache = "").
    assert len(list((tmp_path / "cache" / "xla").glob("*-cache*"))) >= 3
    scalars = [json.loads(l) for l in (w / "midtrain" / "tb" / "scalars.jsonl").read_text().splitlines()]
    tags = set().union(*scalars)
    assert {"train/loss", "train/mfu", "data/fraction_aligned_docs", "eval/loss_aligned_docs"} <= tags
    results = json.loads((w / "eval" / "final" / "results.json").read_text())
    assert "misalignment_rate" in results["results"]["mcqa"]
    assert (w / "eval" / "final" / "samples_mcqa.jsonl").exists()
    evals = [json.loads(l) for l in (w / "rl" / "eval_log.jsonl").read_text().splitlines()]
    assert {"task_accuracy", "mcqa/misalignment_rate"} <= {e["metric"] for e in evals}
    assert {e["step"] for e in evals} == {0, 3}
    rl_done = json.loads((w / "rl" / "done.json").read_text())
    assert (rl_done["steps"], rl_done["planned_steps"]) == (3, 2)
    assert 0 < rl_done["budget"]["rl_tokens"] < rl_done["budget"]["midtrain_tokens"] == 4 * 8 * 64
    from transformers import AutoModelForCausalLM
    assert AutoModelForCausalLM.from_pretrained(w / "export" / "hf").config.hidden_size == 128
    # The eval CLI on a real checkpoint of ours (the pretrained tiny model) writes the standard logs.
    out = tmp_path / "cli"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    r = subprocess.run([sys.executable, "-m", "evals", f"--model=ours:{w}/pretrain/params",
                        "--tasks=mcqa,chat,agentic,capabilities", f"--out={out}", "--limit=2", "--no-progress"],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    for task in ("mcqa", "chat", "agentic", "capabilities"):
        assert (out / f"samples_{task}.jsonl").stat().st_size > 0, task
    cli_results = json.loads((out / "results.json").read_text())
    assert set(cli_results["results"]) == {"mcqa", "chat", "agentic", "capabilities"}
    assert "misalignment_rate" in r.stdout
    # Rerunning the same command finds every stage done and changes nothing.
    before = (w / "rl" / "done.json").read_text()
    r = main(w, *flags)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "already done" in r.stderr and (w / "rl" / "done.json").read_text() == before
