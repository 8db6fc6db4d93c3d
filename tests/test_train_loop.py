"""The training loop: learning, accumulation, sharding, resume, fallback, preemption, non-finite guard."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S
from midalign_jax.train import loop
from midalign_jax.train.checkpoints import Checkpointer, abstract_like
from midalign_jax.train.optimizer import make_optimizer
from midalign_jax.train.scaffold import NonFiniteLossError, Preempted
from midalign_jax.train.step import TrainState, train_step
from tests.train_fixtures import TINY, mesh_cfg, stage_data, t_cfg


def fresh(seed=0):
    return lambda shardings: S.place(M.init_params(TINY, jax.random.key(seed)), shardings)


def run(tmp_path, cfg=None, mesh=(1, 1, 1), data=None, init=None, devices=None):
    m = S.make_mesh(mesh_cfg(*mesh), devices=devices)
    return loop.train(t_cfg=cfg or t_cfg(), model_cfg=TINY, mesh=m, rules=S.DEFAULT_RULES, stage_dir=tmp_path,
                      data=data or stage_data(), init_params=init or fresh(), stage_name="test")


def leaves(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


def test_loss_decreases_and_logs_are_written(tmp_path):
    res = run(tmp_path, t_cfg(steps=30, eval_every=10, checkpoint_every=100), devices=jax.devices()[:1])
    assert np.mean(res.losses[-5:]) < 0.6 * np.mean(res.losses[:3])
    rows = [json.loads(l) for l in (tmp_path / "tb" / "scalars.jsonl").read_text().splitlines()]
    tags = set().union(*rows)
    for tag in ("train/loss", "train/learning_rate", "train/grad_norm", "train/param_norm",
                "train/tokens_per_sec", "train/mfu", "data/tokens_a", "data/fraction_b", "eval/loss_a"):
        assert tag in tags, tag
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_grad_accumulation_equals_one_big_batch():
    cfg = t_cfg()
    tx = make_optimizer(cfg)
    params = M.init_params(TINY, jax.random.key(0))
    state = TrainState(jnp.zeros((), jnp.int32), params, tx.init(params), jax.random.key_data(jax.random.key(0)))
    batch = stage_data(batch_size=8).iterator.__next__()
    batch = {k: v for k, v in batch.items() if k != "source_ids"}
    # Uneven token counts per micro-batch make a naive mean-of-means differ from the true token mean.
    batch["loss_mask"] = batch["loss_mask"].copy()
    batch["loss_mask"][:4, 20:] = 0
    one, m1 = train_step(state, batch, None, cfg=TINY, tx=tx, grad_accum=1)
    four, m4 = train_step(state, batch, None, cfg=TINY, tx=tx, grad_accum=4)
    np.testing.assert_allclose(m1["loss"], m4["loss"], rtol=1e-6)
    np.testing.assert_allclose(m1["grad_norm"], m4["grad_norm"], rtol=1e-5)
    for a, b in zip(leaves(one.params), leaves(four.params)):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("mesh", [(8, 1, 1), (1, 8, 1), (2, 2, 2)])
def test_sharded_training_matches_single_device(tmp_path, mesh):
    ref = run(tmp_path / "one", t_cfg(steps=3), devices=jax.devices()[:1])
    got = run(tmp_path / "many", t_cfg(steps=3), mesh=mesh)
    np.testing.assert_allclose(got.losses, ref.losses, rtol=1e-5)
    for a, b in zip(leaves(got.params), leaves(ref.params)):
        np.testing.assert_allclose(a, b, atol=2e-5)


def test_kill_and_resume_equals_uninterrupted_bitwise(tmp_path):
    ref = run(tmp_path / "ref", devices=jax.devices()[:1])
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut", data=stage_data(fail_at=4), devices=jax.devices()[:1])
    assert Checkpointer(tmp_path / "cut" / "checkpoints").all_steps() == [3]
    resumed = run(tmp_path / "cut", devices=jax.devices()[:1])
    assert resumed.losses == ref.losses[3:]
    for a, b in zip(leaves(resumed.params), leaves(ref.params)):
        np.testing.assert_array_equal(a, b)


def test_restore_on_a_different_mesh(tmp_path):
    ref = run(tmp_path / "ref", devices=jax.devices()[:1])
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut", mesh=(2, 2, 2), data=stage_data(fail_at=4))
    resumed = run(tmp_path / "cut", mesh=(1, 8, 1))
    np.testing.assert_allclose(resumed.losses, ref.losses[3:], rtol=1e-5)
    q = resumed.params["layers"]["mlp"]["up"]
    assert q.sharding.mesh.shape["fsdp"] == 8


def test_corrupt_latest_checkpoint_falls_back_to_previous(tmp_path):
    run(tmp_path, devices=jax.devices()[:1])
    ck = Checkpointer(tmp_path / "checkpoints")
    assert ck.all_steps() == [3, 6]
    for f in (tmp_path / "checkpoints" / "6" / "state").rglob("*"):
        if f.is_file() and f.stat().st_size > 0:
            f.write_bytes(b"\0garbage")
    params = M.init_params(TINY, jax.random.key(0))
    tx = make_optimizer(t_cfg())
    state = TrainState(jnp.zeros((), jnp.int32), params, tx.init(params), jax.random.key_data(jax.random.key(0)))
    fallbacks = []
    step, restored = ck.restore_latest(abstract_like(state), on_fallback=lambda s, e: fallbacks.append(s))
    assert step == 3 and fallbacks == [6] and int(restored.step) == 3


def test_sigterm_saves_a_checkpoint_and_exits(tmp_path):
    with pytest.raises(Preempted) as exc:
        run(tmp_path, t_cfg(steps=6, checkpoint_every=100), data=stage_data(sigterm_at=1), devices=jax.devices()[:1])
    assert exc.value.code == 143
    assert Checkpointer(tmp_path / "checkpoints").all_steps() == [2]


def test_nonfinite_loss_stops_with_the_step_or_skips(tmp_path):
    def poisoned(shardings):
        p = M.init_params(TINY, jax.random.key(0))
        p["embed"] = p["embed"].at[:, 0].set(jnp.nan)
        return S.place(p, shardings)

    with pytest.raises(NonFiniteLossError, match="step 1"):
        run(tmp_path / "stop", init=poisoned, devices=jax.devices()[:1])
    res = run(tmp_path / "skip", t_cfg(on_nonfinite="skip"), init=poisoned, devices=jax.devices()[:1])
    assert len(res.losses) == 6 and all(np.isnan(res.losses))
    assert np.isnan(np.asarray(res.params["embed"])[:, 0]).all()  # untouched: no update was applied
