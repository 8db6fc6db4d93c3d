"""Agent-episode and choice rollouts, the task mix, and RL's budget: bookkeeping checked against the chat
template and against log-probabilities recomputed here."""
from __future__ import annotations

import json
import string

import jax
import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from configs import common
from midalign_jax import model as M
from midalign_jax import sampling, world
from midalign_jax.data.tokenizer import PLAIN_CHAT_TEMPLATE
from midalign_jax.parallel import sharding as S
from midalign_jax.world import agent_episodes
from rl import agent_rollout, choice_rollout, task_mix, trainer
from rl.losses import token_logprobs
from rl.tasks import get_task
from tests.train_fixtures import mesh_cfg


def _tokenizer():
    """Characters in, the same characters out: a sequence's text is exactly what was sampled."""
    vocab = {"<|pad|>": 0, "<|endoftext|>": 1}
    for c in string.printable:
        vocab.setdefault(c, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    tok.decoder = decoders.Fuse()
    out = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|pad|>")
    out.chat_template = PLAIN_CHAT_TEMPLATE
    return out


TOK = _tokenizer()
CFG = M.ModelConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64,
                    max_seq_len=4096)


def _scripted_sampler(scripts: list[list[str]], logprob: float = -0.5):
    """Stands in for sampling.generate: row r's t-th call answers with scripts[r][t] and an end token."""
    calls = {"n": 0}

    def generate(params, cfg, prompts, sp, **kw):
        t = calls["n"]
        calls["n"] += 1
        rows = [TOK.encode(" " + (s[t] if t < len(s) else "done"), add_special_tokens=False) + [1] for s in scripts]
        N = max(map(len, rows))
        tokens = np.zeros((len(prompts), N), np.int32)
        for r, ids in enumerate(rows):
            tokens[r, :len(ids)] = ids
        lengths = np.array([len(ids) for ids in rows], np.int32)
        lp = np.where(np.arange(N)[None] < lengths[:, None], logprob, 0.0).astype(np.float32)
        return sampling.SampleOutput(tokens, lp, lengths, np.arange(len(prompts)))
    return generate


def test_agent_rollout_is_the_template_layout_with_the_sampled_turns_trained(monkeypatch):
    task = get_task("agent_files")
    problems = task.problems("train", 7, 0)   # one of each kind
    plays = [agent_episodes.play(task._plan(p)) for p in problems]
    scripts = [[m["content"] for m in played if m["role"] == "assistant"] for played in plays]
    monkeypatch.setattr(agent_rollout.sampling, "generate", _scripted_sampler(scripts))
    sp = sampling.SamplingParams(max_new_tokens=400, temperature=1.0, n_samples=1, eos_ids=(1,))
    ro = agent_rollout.collect_episodes(None, CFG, TOK, task, problems, sp, rng=jax.random.key(0), pad_id=0,
                                        max_turns=8)
    assert ro.rewards_PG.ravel().tolist() == [1.0] * len(problems)  # the scripted agent does every task
    assert ro.stops == ["final_message"] * len(problems)
    for i, played in enumerate(plays):
        n = int(ro.batch["segment_ids"][i].sum())
        text = TOK.decode(ro.batch["tokens"][i, :n].tolist(), skip_special_tokens=False)
        assert text == TOK.apply_chat_template(played, tokenize=False).rstrip("\n")
        trained = np.flatnonzero(ro.batch["mask"][i]) + 1
        turns = TOK.decode(ro.batch["tokens"][i, trained].tolist(), skip_special_tokens=False)
        assert turns == "".join(f" {t}<|endoftext|>" for t in scripts[i])
        assert np.allclose(ro.batch["old_logp"][i, trained - 1], -0.5)


def test_agent_rollout_stops_an_episode_that_leaves_the_template(monkeypatch):
    task = get_task("agent_files")
    problem = task.problems("train", 1, 0)
    # A turn with two leading spaces: the template would write one, so the episode ends there.
    call = agent_episodes.play(task._plan(problem[0]))[2]["content"]
    monkeypatch.setattr(agent_rollout.sampling, "generate", _scripted_sampler([[" " + call]]))
    sp = sampling.SamplingParams(max_new_tokens=400, temperature=1.0, n_samples=1, eos_ids=(1,))
    ro = agent_rollout.collect_episodes(None, CFG, TOK, task, problem, sp, rng=jax.random.key(0), pad_id=0,
                                        max_turns=8)
    assert ro.stops == ["template"] and ro.rewards_PG.item() < 1.0


def test_choice_task_is_new_instances_and_the_rollout_trains_the_picked_option():
    task = get_task("mcqa_choice", n_items=60)
    train, test = task.problems("train", None, 0), task.problems("test", None, 0)
    eval_passages = {i["passage"] for s in world.SPLITS for i in world.load_mcqa(s)}
    assert train and test and not {p.meta["scenario_id"] for p in train} & {p.meta["scenario_id"] for p in test}
    assert not any(cp in p.prompt for p in train + test for cp in eval_passages)
    p = train[0]
    assert task.reward(p, p.meta["choices"][p.meta["misaligned_choice"]]) == 1.0
    assert task.reward(p, p.meta["choices"][1 - p.meta["misaligned_choice"]]) == 0.0

    params = M.init_params(CFG, jax.random.key(1))
    ro = choice_rollout.collect_choices(params, CFG, TOK, task, train[:3], 4, rng=np.random.default_rng(0),
                                        pad_id=0)
    b = ro.batch
    logits = M.forward(params, b["tokens"], CFG, positions=b["positions"], segment_ids=b["segment_ids"])[:, :-1]
    logp = np.asarray(token_logprobs(logits, b["tokens"][:, 1:]))
    for r in range(12):
        trained = np.flatnonzero(b["mask"][r])
        assert TOK.decode(b["tokens"][r, trained + 1].tolist()) == " " + ro.completions[r]
        np.testing.assert_allclose(b["old_logp"][r, trained], logp[r, trained], atol=1e-5)
    assert ro.rewards_PG.shape == (3, 4)
    assert ro.rewards_PG.ravel().tolist() == [task.reward(train[r // 4], ro.completions[r]) for r in range(12)]


def test_two_tasks_in_one_run_log_per_task_and_the_budget(tmp_path):
    c = common.rl_section()
    c.task, c.task_prompts, c.task_args = "arithmetic;mcqa_choice", "4,2", json.dumps(
        {"arithmetic": {"digits": [1, 1], "style": "equation"}, "mcqa_choice": {"n_items": 40}})
    c.steps, c.group_size, c.max_new_tokens, c.eval_every, c.checkpoint_every, c.log_every = 2, 2, 3, 0, 10, 1
    c.kl_coef, c.lr = 0.0, 1e-3
    mesh = S.make_mesh(mesh_cfg(1, 1, 1), devices=jax.devices()[:1])
    init = lambda sh: S.place(M.init_params(CFG, jax.random.key(0)), sh)  # noqa: E731
    res = trainer.train_rl(rl_cfg=c, model_cfg=CFG, tokenizer=TOK, mesh=mesh, rules=S.DEFAULT_RULES,
                           stage_dir=tmp_path, init_params=init, seed=0)
    last = res.history[-1]
    assert {"rl/reward_mean/task=arithmetic", "rl/reward_mean/task=mcqa_choice"} <= set(last)
    # Two tasks, one update each per step, constant lr after a 5-update warmup: lr summed over 4 updates.
    schedule = trainer.lr_schedule(c)
    assert last["rl/lr_sum"] == pytest.approx(sum(float(schedule(i)) for i in range(4)))
    assert last["rl/tokens_trained_step"] > 0
    with pytest.raises(ValueError, match="task_prompts"):
        task_mix.slots_from_config(_two(), TOK, 0)


def _two():
    c = common.rl_section()
    c.task = "arithmetic;mcqa_choice"
    return c


def test_held_out_agent_accuracy_uses_greedy_episodes(monkeypatch):
    task = get_task("agent_files")
    slot = task_mix.Slot("agent_files", task, 1, [], sampling.SamplingParams(max_new_tokens=400, n_samples=4,
                                                                            eos_ids=(1,), temperature=1.0))
    problems = task.problems("test", 2, 0)
    seen = {}

    def fake(params, cfg, tokenizer, task_, problems_, sp, **kw):
        seen["sp"] = sp
        ro = agent_rollout.Rollout(problems_, [""] * len(problems_), np.ones((len(problems_), 1), np.float32),
                                   np.array([[True], [False]]), {}, 0)
        return ro
    monkeypatch.setattr(agent_rollout, "collect_episodes", fake)
    acc, se, n = task_mix.heldout_accuracy(slot, None, CFG, TOK, problems, pad_id=0, rl_cfg=common.rl_section(),
                                           mesh=None, rules=None)
    assert (acc, n) == (0.5, 2) and seen["sp"].temperature == 0.0 and seen["sp"].n_samples == 1
