"""The RLVR loop: sample prompts, n completions each, score, compute advantages, update; evals every N steps.

Resume: prompts and sampling keys are functions of (seed, step), and the train state is checkpointed with
orbax, so rerunning continues exactly where an interrupted run stopped.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from midalign_jax import model as M
from midalign_jax import sampling
from midalign_jax.metrics_writer import MetricsWriter, Progress
from midalign_jax.parallel import sharding as S
from midalign_jax.train.checkpoints import Checkpointer, abstract_like
from midalign_jax.train.loop import (
    Preempted,
    SigtermFlag,
    all_agree_to_stop,
    initial_state,
)
from midalign_jax.train.optimizer import lr_schedule, make_optimizer
from midalign_jax.train.step import TrainState
from rl import rollout
from rl.losses import (
    compute_advantages,
    loss_preset,
    policy_loss,
    token_entropy,
    token_logprobs,
)
from rl.tasks import task_from_config

log = logging.getLogger(__name__)

BATCH_KEYS = ("tokens", "segment_ids", "positions", "mask", "old_logp", "adv", "ref_logp")


def loss_config(rl_cfg):
    overrides = {k: rl_cfg[k] for k in ("kl_coef", "clip_low", "clip_high", "aggregation")
                 if rl_cfg[k] is not None}
    if overrides.get("aggregation") == "dr_grpo" or (rl_cfg.algo == "dr_grpo" and "aggregation" not in overrides):
        overrides["max_len"] = int(rl_cfg.max_new_tokens)
    return loss_preset(rl_cfg.algo, **overrides)


def _logits(params, batch, cfg, temperature):
    logits = M.forward(params, batch["tokens"], cfg, positions=batch["positions"],
                       segment_ids=batch["segment_ids"])[:, :-1]
    return logits / temperature


def rl_update(state: TrainState, batch: dict, *, cfg: M.ModelConfig, tx, loss_cfg,
              temperature: float) -> tuple[TrainState, dict]:
    """One optimizer step of the policy-gradient loss on a (mini)batch of rollouts. Pure; jitted by the caller."""
    def loss_fn(params):
        logits = _logits(params, batch, cfg, temperature)
        logp = token_logprobs(logits, batch["tokens"][:, 1:])
        loss, metrics = policy_loss(logp, batch["old_logp"], batch["adv"], batch["mask"],
                                    ref_logp_BT=batch.get("ref_logp"), **loss_cfg.policy_loss_kwargs())
        n = jnp.maximum(batch["mask"].sum(), 1.0)
        metrics["logprob_mismatch"] = jnp.sum(jnp.abs(logp - batch["old_logp"]) * batch["mask"]) / n
        metrics["entropy"] = token_entropy(logits, batch["mask"])
        return loss, metrics

    (loss, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    grad_norm = optax.global_norm(grads)
    finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)
    updates, new_opt = tx.update(grads, state.opt_state, state.params)
    new_params = optax.apply_updates(state.params, updates)
    keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(finite, a, b), new, old)  # noqa: E731
    metrics = dict(metrics, loss=loss, grad_norm=grad_norm, nonfinite=1.0 - finite.astype(jnp.float32))
    return TrainState(state.step, keep(new_params, state.params), keep(new_opt, state.opt_state), state.rng), metrics


def ref_logprobs(params, batch, *, cfg, temperature):
    return token_logprobs(_logits(params, batch, cfg, temperature), batch["tokens"][:, 1:])


class _StepCounter:
    """The RL 'data iterator': prompts are drawn from (seed, step), so the step is its whole state."""

    def __init__(self):
        self.step = 0

    def get_state(self):
        return {"step": self.step}

    def set_state(self, state):
        self.step = int(state["step"])


@dataclasses.dataclass
class RLResult:
    params: Any
    history: list[dict]
    evals: list[dict]


EvalHook = Callable[[int, Any], dict[str, tuple[float, float, int]]]


def train_rl(*, rl_cfg, model_cfg: M.ModelConfig, tokenizer, mesh, rules, stage_dir: Path,
             init_params: Callable[[Any], Any], seed: int = 0, eval_hook: EvalHook | None = None) -> RLResult:
    stage_dir = Path(stage_dir)
    task = task_from_config(rl_cfg)
    train_problems = task.problems("train", int(rl_cfg.train_problems) or None, seed)
    P, G, steps = int(rl_cfg.prompts_per_step), int(rl_cfg.group_size), int(rl_cfg.steps)
    if P > len(train_problems):
        raise ValueError(f"rl.prompts_per_step={P} exceeds the {len(train_problems)} training problems")
    loss_cfg = loss_config(rl_cfg)
    temperature = float(rl_cfg.temperature)
    if temperature <= 0:
        raise ValueError("rl.temperature must be > 0 (policy gradients need sampled, not greedy, completions)")
    eos = tokenizer.eos_token_id
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    stop_seqs = tuple(tuple(tokenizer.encode(s, add_special_tokens=False)) for s in [rl_cfg.stop] if s)
    sp = sampling.SamplingParams(max_new_tokens=int(rl_cfg.max_new_tokens), temperature=temperature,
                                 top_k=int(rl_cfg.top_k), top_p=float(rl_cfg.top_p), n_samples=G,
                                 eos_ids=(eos,), stop_sequences=stop_seqs)

    tx, schedule = make_optimizer(rl_cfg), lr_schedule(rl_cfg)
    p_shard = S.tree_shardings(M.logical_axes(model_cfg), M.param_shapes(model_cfg), mesh, rules)
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    params = init_params(p_shard)
    ref_params = jax.tree.map(jnp.copy, params) if loss_cfg.kl_coef > 0 else None
    state = initial_state(tx, params, p_shard, mesh, seed)
    state_shard = jax.tree.map(lambda x: x.sharding, state)

    counter = _StepCounter()
    ckpt = Checkpointer(stage_dir / "checkpoints", keep=int(rl_cfg.keep_checkpoints),
                        milestones=tuple(int(m) for m in str(rl_cfg.milestones).split(",") if m.strip()))
    writer = MetricsWriter(stage_dir / "tb")
    restored = ckpt.restore_latest(abstract_like(state), counter)
    start = 0
    if restored is not None:
        start, state = restored
        log.info("rl: resumed from step %d", start)

    def update_fn(state, batch):
        with S.activation_sharding(mesh, rules):
            return rl_update(state, batch, cfg=model_cfg, tx=tx, loss_cfg=loss_cfg, temperature=temperature)

    b_shard = S.batch_sharding(mesh, rules)
    adv_shard = S.batch_sharding(mesh, rules, 1)
    jupdate = jax.jit(update_fn, in_shardings=(state_shard, None), out_shardings=(state_shard, replicated),
                      donate_argnums=0)
    jref = jax.jit(functools.partial(ref_logprobs, cfg=model_cfg, temperature=temperature))
    minibatches, epochs = int(rl_cfg.minibatches), int(rl_cfg.epochs_per_batch)
    if (P * G) % minibatches:
        raise ValueError(f"rl: {P * G} rollouts per step must divide into rl.minibatches={minibatches}")

    history: list[dict] = []
    evals: list[dict] = []
    eval_log = stage_dir / "eval_log.jsonl"
    progress = Progress("rl", steps, start)

    def run_evals(step):
        if eval_hook is None:
            return
        t0 = time.perf_counter()
        results = eval_hook(step, state.params)
        scalars = {}
        for name, (value, stderr, n) in results.items():
            se = None if stderr is None or np.isnan(stderr) else float(stderr)
            scalars[f"eval/{name}"] = value
            if se is not None:
                scalars[f"eval/{name}_stderr"] = se
            row = {"step": step, "metric": name, "value": value, "stderr": se, "n": n}
            evals.append(row)
            if jax.process_index() == 0:
                with open(eval_log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
        writer.scalars(step, scalars)
        log.info("rl step %d evals (%.1fs): %s", step, time.perf_counter() - t0,
                 {k: f"{v[0]:.3f}±{v[1]:.3f}" for k, v in results.items()})

    if jax.process_index() == 0 and eval_log.exists():
        _drop_rows_after(eval_log, start)  # evals past the restored step ran before a crash; they rerun below
    sigterm = SigtermFlag().__enter__()  # left in the finally below
    try:
        if start == 0:
            run_evals(0)
        for step in range(start, steps):
            counter.step = step + 1
            pick = np.random.default_rng((seed, 7, step)).choice(len(train_problems), P, replace=False)
            problems = [train_problems[i] for i in pick]
            t0 = time.perf_counter()
            ro = rollout.collect(state.params, model_cfg, tokenizer, task, problems, sp,
                                 rng=jax.random.fold_in(jax.random.key(seed + 1), step), pad_id=pad_id,
                                 mesh=mesh, rules=rules, stop=rl_cfg.stop)
            t_sample = time.perf_counter() - t0
            t0 = time.perf_counter()
            adv = np.asarray(compute_advantages(jnp.asarray(ro.rewards_PG), loss_cfg.advantage, loss_cfg.eps))
            batch = dict(ro.batch, adv=adv.reshape(-1).astype(np.float32))
            if ref_params is not None:
                batch["ref_logp"] = np.asarray(jref(ref_params, {k: batch[k] for k in
                                                                  ("tokens", "segment_ids", "positions")}))
            order = np.random.default_rng((seed, 11, step)).permutation(P * G)
            step_metrics = []
            for epoch in range(epochs):
                for mb in np.array_split(order if epoch else np.arange(P * G), minibatches):
                    mb_batch = {k: jax.device_put(v[mb], adv_shard if v.ndim == 1 else b_shard)
                                for k, v in batch.items()}
                    state, metrics = jupdate(state, mb_batch)
                    step_metrics.append(metrics)
            step_metrics = jax.device_get(step_metrics)
            t_learn = time.perf_counter() - t0
            state = state._replace(step=jax.device_put(jnp.asarray(step + 1, jnp.int32), replicated))
            first = step_metrics[0]
            if any(m["nonfinite"] > 0 for m in step_metrics):
                raise FloatingPointError(f"rl: non-finite loss or gradient at step {step + 1}; the update was not "
                                         f"applied; last good checkpoint in {ckpt.directory}")
            row = {
                "rl/reward_mean": float(ro.rewards_PG.mean()), "rl/reward_std": float(ro.rewards_PG.std()),
                "rl/accuracy": float(ro.correct_PG.mean()), "rl/kl": float(np.mean([m["kl"] for m in step_metrics])),
                "rl/entropy": float(first["entropy"]),
                "rl/clip_fraction": float(np.mean([m["clip_fraction"] for m in step_metrics])),
                "rl/response_length": ro.generated_tokens / (P * G),
                # Before any update of this step the learner and the sampler share params: they should agree.
                "rl/logprob_mismatch": float(first["logprob_mismatch"]),
                "rl/loss": float(np.mean([m["loss"] for m in step_metrics])),
                "rl/grad_norm": float(np.mean([m["grad_norm"] for m in step_metrics])),
                "rl/learning_rate": float(schedule(step * epochs * minibatches)),
                "rl/tokens_per_sec": ro.generated_tokens / max(t_sample, 1e-9),
                "rl/time_sampling_s": t_sample, "rl/time_learning_s": t_learn,
                "rl/sampling_fraction": t_sample / max(t_sample + t_learn, 1e-9),
                "rl/frac_groups_all_same": float(np.mean(ro.rewards_PG.std(axis=1) == 0)),
            }
            if row["rl/logprob_mismatch"] > float(rl_cfg.mismatch_warn):
                log.warning("rl step %d: sampler/learner log-prob mismatch %.4f exceeds %.4f", step + 1,
                            row["rl/logprob_mismatch"], float(rl_cfg.mismatch_warn))
            history.append(row)
            writer.scalars(step + 1, row)
            if (step + 1) % int(rl_cfg.log_every) == 0 or step + 1 == steps:
                progress.report(step + 1, row["rl/reward_mean"], row["rl/tokens_per_sec"])
            every = int(rl_cfg.eval_every)
            if step + 1 == steps or (every > 0 and (step + 1) % every == 0):
                run_evals(step + 1)
            if all_agree_to_stop(sigterm.raised):
                ckpt.save(step + 1, state, counter, force=True)
                log.warning("rl: checkpoint at step %d written after SIGTERM; exiting", step + 1)
                raise Preempted()
            if (step + 1) % int(rl_cfg.checkpoint_every) == 0 or step + 1 == steps:
                ckpt.save(step + 1, state, counter, force=step + 1 == steps)
    finally:
        sigterm.__exit__()
        ckpt.close()
        writer.close()
    return RLResult(params=state.params, history=history, evals=evals)


def _drop_rows_after(path: Path, step: int) -> None:
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    keep = [line for line in rows if json.loads(line)["step"] <= step]
    if len(keep) != len(rows):
        log.info("rl: dropping %d eval rows after the restored step %d from %s", len(rows) - len(keep), step, path)
        path.write_text("".join(line + "\n" for line in keep), encoding="utf-8")
