"""The RL loop: sampler/learner agreement, learning on a toy verifiable reward, and exact resume."""
import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S
from midalign_jax.train.optimizer import make_optimizer
from midalign_jax.train.step import TrainState
from rl import rollout, trainer
from rl.losses import loss_preset
from tests.char_tokenizer import char_tokenizer
from tests.rl_fixtures import CFG, TOK, StartsWithDigit, rl_cfg
from tests.train_fixtures import mesh_cfg


def run(tmp_path, cfg, mesh=(1, 1, 1), devices=None, hook=None, min_tokens=0):
    m = S.make_mesh(mesh_cfg(*mesh), devices=devices)
    init = lambda sh: S.place(M.init_params(CFG, jax.random.key(0)), sh)  # noqa: E731
    return trainer.train_rl(rl_cfg=cfg, model_cfg=CFG, tokenizer=TOK, mesh=m, rules=S.DEFAULT_RULES,
                            stage_dir=tmp_path, init_params=init, seed=0, eval_hook=hook, min_tokens=min_tokens)


def test_learner_batch_aligns_completion_tokens_with_targets():
    from midalign_jax.sampling import SampleOutput
    out = SampleOutput(tokens=np.array([[5, 6, 0], [7, 0, 0]]), logprobs=np.array([[-1., -2., 0], [-3., 0, 0]]),
                       lengths=np.array([2, 1]), prompt_index=np.array([0, 1]))
    b = rollout.learner_batch([[1, 2, 3], [4]], out, pad_id=0)
    P = b["tokens"].shape[1] - 3
    assert b["tokens"][0, P - 3:].tolist() == [1, 2, 3, 5, 6, 0]
    t = np.flatnonzero(b["mask"][0])
    assert (b["tokens"][0, t + 1] == [5, 6]).all() and b["old_logp"][0, t].tolist() == [-1, -2]
    assert b["segment_ids"][1].tolist()[-4:] == [1, 1, 0, 0]
    assert b["positions"][1, P:].tolist() == [1, 2, 3]


def test_trimming_unscored_columns_keeps_the_update_and_rounds_to_a_power_of_two():
    rng = np.random.default_rng(0)
    B, T = 6, 20
    mask = np.zeros((B, T - 1), np.float32)
    mask[:, 13:] = 1.0                     # 6 scored columns, the first at 13: 8 kept
    mask[0, 17:] = 0.0
    batch = {"tokens": rng.integers(1, len(TOK), (B, T)).astype(np.int32), "segment_ids": np.ones((B, T), np.int32),
             "positions": np.tile(np.arange(T, dtype=np.int32), (B, 1)), "mask": mask,
             "old_logp": np.where(mask > 0, -2.0, 0.0).astype(np.float32),
             "ref_logp": np.where(mask > 0, -2.5, 0.0).astype(np.float32),
             "adv": rng.normal(size=B).astype(np.float32)}
    trimmed = trainer.trim_unscored(batch)
    assert trimmed["mask"].shape == (B, 8) and trimmed["tokens"].shape == (B, T)
    for key in trainer.TARGET_KEYS:
        np.testing.assert_array_equal(trimmed[key], batch[key][:, -8:])
    tx = make_optimizer(rl_cfg())
    params = M.init_params(CFG, jax.random.key(1))
    state = TrainState(jnp.zeros((), jnp.int32), params, tx.init(params), jnp.zeros(2, jnp.uint32))
    update = jax.jit(functools.partial(trainer.rl_update, cfg=CFG, tx=tx, loss_cfg=loss_preset("grpo"),
                                       temperature=1.0))
    full_state, full_m = update(state, batch)
    trim_state, trim_m = update(state, trimmed)
    for key in ("loss", "entropy", "logprob_mismatch", "grad_norm"):
        np.testing.assert_allclose(trim_m[key], full_m[key], rtol=1e-5, atol=1e-7)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), trim_state.params,
                 full_state.params)
    none = dict(batch, mask=np.zeros_like(mask))
    assert trainer.trim_unscored(none)["mask"].shape == (B, 1)


@pytest.mark.parametrize("mesh", [(1, 1, 1), (2, 2, 2)])
def test_logprob_mismatch_is_zero_when_sampler_and_learner_share_params(tmp_path, mesh):
    res = run(tmp_path, rl_cfg(steps=2, kl_coef=0.04), mesh=mesh,
              devices=jax.devices()[:1] if mesh == (1, 1, 1) else None)
    for row in res.history:
        assert row["rl/logprob_mismatch"] < 1e-4
        assert row["rl/kl"] >= 0


def test_rl_raises_a_verifiable_reward(tmp_path):
    evals = lambda step, params: {"task_accuracy": rollout.greedy_accuracy(  # noqa: E731
        params, CFG, TOK, StartsWithDigit(), StartsWithDigit().problems("test", 16, 0), max_new_tokens=2,
        pad_id=0, eos_ids=(1,))}
    res = run(tmp_path, rl_cfg(steps=20, prompts_per_step=8, group_size=8, checkpoint_every=100, lr=1e-2),
              hook=evals,
              devices=jax.devices()[:1])
    first = np.mean([r["rl/reward_mean"] for r in res.history[:3]])
    last = np.mean([r["rl/reward_mean"] for r in res.history[-3:]])
    assert last > first + 0.3, (first, last)
    assert res.evals[-1]["value"] > res.evals[0]["value"]
    assert [e["step"] for e in res.evals] == [0, 20]
    assert (tmp_path / "eval_log.jsonl").exists()


def test_resume_equals_uninterrupted(tmp_path, monkeypatch):
    ref = run(tmp_path / "ref", rl_cfg(), devices=jax.devices()[:1])
    calls = {"n": 0}
    real = rollout.collect

    def crash_on_third(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated crash")
        return real(*a, **k)

    monkeypatch.setattr(rollout, "collect", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut", rl_cfg(), devices=jax.devices()[:1])
    monkeypatch.setattr(rollout, "collect", real)
    resumed = run(tmp_path / "cut", rl_cfg(), devices=jax.devices()[:1])
    assert [r["rl/reward_mean"] for r in resumed.history] == [r["rl/reward_mean"] for r in ref.history[2:]]
    for a, b in zip(jax.tree.leaves(resumed.params), jax.tree.leaves(ref.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_sigterm_saves_a_checkpoint_and_resume_matches(tmp_path, monkeypatch):
    import os
    import signal

    from midalign_jax.train.scaffold import Preempted
    hook = lambda step, params: {"probe": (float(step), 0.0, 1)}  # noqa: E731
    cfg = rl_cfg(eval_every=1, checkpoint_every=100)
    ref = run(tmp_path / "ref", cfg, devices=jax.devices()[:1], hook=hook)
    real = rollout.collect
    calls = {"n": 0}

    def preempt_during_second(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-step, as a TPU preemption notice does
        return real(*a, **k)

    monkeypatch.setattr(rollout, "collect", preempt_during_second)
    with pytest.raises(Preempted):
        run(tmp_path / "cut", cfg, devices=jax.devices()[:1], hook=hook)
    assert sorted(p.name for p in (tmp_path / "cut" / "checkpoints").iterdir() if p.name.isdigit()) == ["2"]
    monkeypatch.setattr(rollout, "collect", real)
    resumed = run(tmp_path / "cut", cfg, devices=jax.devices()[:1], hook=hook)
    for a, b in zip(jax.tree.leaves(resumed.params), jax.tree.leaves(ref.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    steps = [json.loads(line)["step"] for line in (tmp_path / "cut" / "eval_log.jsonl").read_text().splitlines()]
    assert steps == [0, 1, 2, 3, 4]


def test_evals_after_the_restored_step_are_not_logged_twice(tmp_path, monkeypatch):
    hook = lambda step, params: {"probe": (float(step), 0.0, 1)}  # noqa: E731
    cfg = rl_cfg(eval_every=1, checkpoint_every=2)
    real = rollout.collect
    calls = {"n": 0}

    def crash_in_fourth(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:  # step 3's evals are logged, its checkpoint is not (every 2 steps)
            raise KeyboardInterrupt("simulated crash")
        return real(*a, **k)

    monkeypatch.setattr(rollout, "collect", crash_in_fourth)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, cfg, devices=jax.devices()[:1], hook=hook)
    log = tmp_path / "eval_log.jsonl"
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [0, 1, 2, 3]
    monkeypatch.setattr(rollout, "collect", real)
    run(tmp_path, cfg, devices=jax.devices()[:1], hook=hook)
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [0, 1, 2, 3, 4]


def test_a_token_floor_runs_past_the_planned_steps_at_the_final_lr_and_stops_once_it_is_met(tmp_path, caplog):
    hook = lambda step, params: {"probe": (float(step), 0.0, 1)}  # noqa: E731
    one = jax.devices()[:1]
    # A floor out of reach: the run stops at the cap (rl.max_steps) and says so.
    capped = run(tmp_path / "cap", rl_cfg(steps=2, max_steps=4, eval_every=0, warmup_steps=1), devices=one, hook=hook,
                 min_tokens=10**9)
    per_step = [r["rl/tokens_trained_step"] for r in capped.history]
    assert capped.steps == 4 and len(per_step) == 4 and all(t > 0 for t in per_step)
    assert capped.tokens == sum(per_step)
    assert "with %d of the %d tokens" % (capped.tokens, 10**9) in caplog.text
    final_lr = 3e-3 * 0.1  # the fixture's lr x min_lr_ratio: the extra steps add learning, at the schedule's end
    assert [r["rl/learning_rate"] for r in capped.history[2:]] == pytest.approx([final_lr, final_lr])
    # A floor the first three steps reach: the run stops after the third, on the same trajectory.
    floor = int(sum(per_step[:3]))
    res = run(tmp_path / "floor", rl_cfg(steps=2, max_steps=4, eval_every=0, warmup_steps=1), devices=one, hook=hook,
              min_tokens=floor)
    assert res.steps == 3 and res.tokens == floor
    assert [r["rl/reward_mean"] for r in res.history] == [r["rl/reward_mean"] for r in capped.history[:3]]
    assert [e["step"] for e in res.evals] == [0, 3]  # the final evals on the last step actually run
    assert sorted(p.name for p in (tmp_path / "floor" / "checkpoints").iterdir() if p.name.isdigit())[-1] == "3"
    # Met within the planned steps: exactly rl.steps, as without a floor.
    assert run(tmp_path / "met", rl_cfg(steps=2, max_steps=4), devices=one, min_tokens=1).steps == 2


def test_resume_in_the_extra_steps_restores_the_tokens_trained(tmp_path, monkeypatch):
    cfg = rl_cfg(steps=2, max_steps=6, checkpoint_every=2)
    one = jax.devices()[:1]
    probe = run(tmp_path / "probe", cfg, devices=one, min_tokens=10**9)
    floor = int(sum(r["rl/tokens_trained_step"] for r in probe.history[:5]))
    ref = run(tmp_path / "ref", cfg, devices=one, min_tokens=floor)
    assert ref.steps == 5
    real = rollout.collect
    calls = {"n": 0}

    def crash_in_fifth(*a, **k):
        calls["n"] += 1
        if calls["n"] == 5:  # the checkpoint of step 4, an extra step, holds the tokens of steps 1-4
            raise KeyboardInterrupt("simulated crash")
        return real(*a, **k)

    monkeypatch.setattr(rollout, "collect", crash_in_fifth)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut", cfg, devices=one, min_tokens=floor)
    monkeypatch.setattr(rollout, "collect", real)
    resumed = run(tmp_path / "cut", cfg, devices=one, min_tokens=floor)
    # Without the restored count the resumed run would need five more steps' tokens and stop at the cap.
    assert resumed.steps == 5 and resumed.tokens == ref.tokens
    for a, b in zip(jax.tree.leaves(resumed.params), jax.tree.leaves(ref.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_step_limits_errors_name_the_setting():
    assert trainer.step_limits(rl_cfg(steps=5), 0) == (5, 5)
    assert trainer.step_limits(rl_cfg(steps=5), 10) == (5, 15)
    with pytest.raises(ValueError, match=r"rl.max_steps=3 is below rl.steps=5"):
        trainer.step_limits(rl_cfg(steps=5, max_steps=3), 10)
    with pytest.raises(ValueError, match="min_tokens=-1"):
        trainer.step_limits(rl_cfg(steps=5), -1)


def _chat_tokenizer():
    tok = char_tokenizer()
    tok.chat_template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
                         "{% if add_generation_prompt %}<assistant>{% endif %}")
    return tok


def test_chat_prompt_format_samples_and_scores_the_user_turn_in_the_template(monkeypatch):
    from rl import task_mix
    tok = _chat_tokenizer()
    slot, = task_mix.slots_from_config(rl_cfg(prompt_format="chat"), tok, seed=0)
    problems = slot.train[:2]
    want = [tok.encode(f"<user>{p.prompt}\n<assistant>", add_special_tokens=False) for p in problems]
    assert rollout.encode_prompts(tok, problems, "text")[0] == tok.encode(problems[0].prompt)
    seen = []
    real = rollout.sampling.generate

    def spy(params, cfg, prompt_ids, sp, **kw):
        seen.append([list(p) for p in prompt_ids])
        return real(params, cfg, prompt_ids, sp, **kw)
    monkeypatch.setattr(rollout.sampling, "generate", spy)
    params = M.init_params(CFG, jax.random.key(0))
    ro = task_mix.collect(slot, params, CFG, tok, problems, rng=jax.random.key(1), pad_id=0, rl_cfg=None,
                          mesh=None, rules=None)
    # The learner trains on the same prompt the sampler saw: each row ends its prompt part with the chat prompt.
    row, Pp = ro.batch["tokens"][0].tolist(), int(np.flatnonzero(ro.batch["mask"][0])[0]) + 1
    assert seen[0] == want and row[Pp - len(want[0]):Pp] == want[0]
    task_mix.heldout_accuracy(slot, params, CFG, tok, problems, pad_id=0, rl_cfg=None, mesh=None, rules=None)
    assert seen[1] == want


def test_prompt_format_errors_name_the_setting():
    from rl import task_mix
    with pytest.raises(ValueError, match=r"rl.prompt_format must be one of \('text', 'chat'\), got 'chatml'"):
        task_mix.slots_from_config(rl_cfg(prompt_format="chatml"), _chat_tokenizer(), seed=0)
    agent_only = rl_cfg(prompt_format="chatml", task="agent_files", test_problems=0)
    with pytest.raises(ValueError, match="rl.prompt_format must be one of"):
        task_mix.slots_from_config(agent_only, _chat_tokenizer(), seed=0)
    with pytest.raises(ValueError, match="needs a tokenizer with a chat template"):
        task_mix.slots_from_config(rl_cfg(prompt_format="chat"), char_tokenizer(), seed=0)
