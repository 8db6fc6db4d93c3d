"""TensorBoard reads what our loops write: every tag README.md documents for training and RL, found by tensorboard's
own EventAccumulator in the tb/ folders of real short runs of the train loop and the RL loop."""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import jax
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S
from midalign_jax.train import loop
from tests.train_fixtures import TINY, mesh_cfg, stage_data, t_cfg

README = Path(__file__).resolve().parents[1] / "README.md"
SOURCES, EVAL_SOURCES = ("a", "b"), ("a",)  # the fixture's data sources, and those with held-out batches


def documented_tags(heading: str, until: str) -> set[str]:
    """The `prefix/name` tags README.md names between two headings; `<source>` expanded per source."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading):text.index(until, text.index(heading))]
    tags = set()
    for tag in re.findall(r"`((?:train|data|eval|rl)/[A-Za-z0-9_<>]+)`", section):
        if "<source>" in tag:
            sources = EVAL_SOURCES if tag.startswith("eval/") else SOURCES
            tags.update(tag.replace("<source>", s) for s in sources)
        else:
            tags.add(tag)
    return tags


def read_tb(logdir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_train_loop_tags_read_back_by_tensorboard(tmp_path):
    expected = documented_tags("## Training, checkpoints, logging", "Multi-host:")
    assert {"train/loss", "train/mfu", "data/fraction_b", "eval/loss_a"} <= expected  # the README parse works
    m = S.make_mesh(mesh_cfg(), devices=jax.devices()[:1])
    loop.train(t_cfg=t_cfg(steps=4, eval_every=2, log_every=2), model_cfg=TINY, mesh=m, rules=S.DEFAULT_RULES,
               stage_dir=tmp_path, data=stage_data(),
               init_params=lambda sh: S.place(M.init_params(TINY, jax.random.key(0)), sh), stage_name="midtrain")
    acc = read_tb(tmp_path / "tb")
    missing = expected - set(acc.Tags()["scalars"])
    assert not missing, f"documented in README.md but not in TensorBoard: {sorted(missing)}"
    # TensorBoard's values are the ones the loop logged (the JSONL copy is written from the same dict).
    rows = [json.loads(line) for line in (tmp_path / "tb" / "scalars.jsonl").read_text().splitlines()]
    logged = [(r["step"], r["train/loss"]) for r in rows if "train/loss" in r]
    assert [(e.step, pytest.approx(e.value)) for e in acc.Scalars("train/loss")] == logged and len(logged) == 2
    assert [e.step for e in acc.Scalars("eval/loss_a")] == [0, 2, 4]
    assert "train/mfu_peak_source/text_summary" in acc.Tags()["tensors"]  # "peak source in the text tab"


def test_rl_loop_tags_read_back_by_tensorboard(tmp_path):
    from rl import trainer
    from tests.rl_fixtures import CFG, TOK, rl_cfg

    expected = documented_tags("## RLVR", "## Evals")
    expected |= {"eval/task_accuracy", "eval/mcqa/misalignment_rate"}  # eval/<metric> for the hook's metrics
    assert {"rl/reward_mean", "rl/kl", "rl/tokens_per_sec"} <= expected
    hook = lambda step, params: {"task_accuracy": (0.25, 0.1, 16), "mcqa/misalignment_rate": (0.5, 0.2, 8)}  # noqa
    m = S.make_mesh(mesh_cfg(), devices=jax.devices()[:1])
    trainer.train_rl(rl_cfg=rl_cfg(steps=2, kl_coef=0.04), model_cfg=CFG, tokenizer=TOK, mesh=m,
                     rules=S.DEFAULT_RULES, stage_dir=tmp_path,
                     init_params=lambda sh: S.place(M.init_params(CFG, jax.random.key(0)), sh), seed=0,
                     eval_hook=hook)
    acc = read_tb(tmp_path / "tb")
    missing = expected - set(acc.Tags()["scalars"])
    assert not missing, f"documented in README.md but not in TensorBoard: {sorted(missing)}"
    assert [e.step for e in acc.Scalars("rl/reward_mean")] == [1, 2]
    assert [(e.step, e.value) for e in acc.Scalars("eval/mcqa/misalignment_rate")] == [(0, 0.5), (2, 0.5)]


def test_tensorboard_is_installed_with_the_project():
    """The README's `tensorboard --logdir ...` needs the tensorboard package and its console script."""
    from importlib.metadata import requires

    assert any(re.match(r"tensorboard\b", r) for r in requires("midalign-jax"))
    assert shutil.which("tensorboard", path=str(Path(sys.executable).parent)) is not None
