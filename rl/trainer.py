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

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S
from midalign_jax.train.optimizer import lr_schedule, make_optimizer
from midalign_jax.train.scaffold import LoopScaffold
from midalign_jax.train.step import TrainState, guarded_update, initial_state
from rl import task_mix
from rl.losses import (
    compute_advantages,
    loss_preset,
    policy_loss,
    token_entropy,
    token_logprobs,
)

log = logging.getLogger(__name__)

BATCH_KEYS = ("tokens", "segment_ids", "positions", "mask", "old_logp", "adv", "ref_logp")


def loss_config(rl_cfg):
    overrides = {k: rl_cfg[k] for k in ("kl_coef", "clip_low", "clip_high", "aggregation")
                 if rl_cfg[k] is not None}
    if overrides.get("aggregation") == "dr_grpo" or (rl_cfg.algo == "dr_grpo" and "aggregation" not in overrides):
        overrides["max_len"] = int(rl_cfg.max_new_tokens)
    return loss_preset(rl_cfg.algo, **overrides)


def _logits(params, batch, cfg, temperature, placement):
    """Logits for the target columns the batch keeps: the last `mask.shape[1]` of the T - 1 (`trim_unscored`)."""
    # The last token predicts nothing that is scored, and attention is causal: the model runs on the others,
    # rather than slicing [B, T, V] logits (and padding their gradient back), 5% of a tiny-preset update.
    logits = M.forward(params, batch["tokens"][:, :-1], cfg, positions=batch["positions"][:, :-1],
                       segment_ids=batch["segment_ids"][:, :-1], placement=placement, last=batch["mask"].shape[1])
    return logits / temperature


def _targets(batch):
    return batch["tokens"][:, batch["tokens"].shape[1] - batch["mask"].shape[1]:]


TARGET_KEYS = ("mask", "old_logp", "ref_logp")


def trim_unscored(batch: dict) -> dict:
    """The batch with its target-column arrays (`TARGET_KEYS`, [B, T - 1]) cut to the columns from the first one
    any row trains on, rounded up to a power of two (so a task has a few programs, not one per prompt length).
    The head then runs on those columns only: a 4-token prompt's 3 columns are a quarter of an arithmetic row's,
    whose completion is 8 tokens. Columns cut are masked everywhere, so the loss and its gradient are unchanged."""
    mask = batch["mask"]
    full = mask.shape[1]
    scored = np.flatnonzero(mask.any(axis=0))
    need = full - int(scored[0]) if scored.size else 1
    keep = min(full, 1 << (need - 1).bit_length())
    return {k: (v[:, full - keep:] if k in TARGET_KEYS else v) for k, v in batch.items()}


def rl_update(state: TrainState, batch: dict, *, cfg: M.ModelConfig, tx, loss_cfg, temperature: float,
              placement: S.Placement | None = None) -> tuple[TrainState, dict]:
    """One optimizer step of the policy-gradient loss on a (mini)batch of rollouts. Pure; jitted by the caller."""
    def loss_fn(params):
        logits = _logits(params, batch, cfg, temperature, placement)
        logp = token_logprobs(logits, _targets(batch))
        loss, metrics = policy_loss(logp, batch["old_logp"], batch["adv"], batch["mask"],
                                    ref_logp_BT=batch.get("ref_logp"), **loss_cfg.policy_loss_kwargs())
        n = jnp.maximum(batch["mask"].sum(), 1.0)
        metrics["logprob_mismatch"] = jnp.sum(jnp.abs(logp - batch["old_logp"]) * batch["mask"]) / n
        metrics["entropy"] = token_entropy(logits, batch["mask"])
        return loss, metrics

    (loss, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    new_state, guard = guarded_update(state, grads, loss, tx)
    return new_state, dict(metrics, loss=loss, **guard)


def ref_logprobs(params, batch, *, cfg, temperature, placement=None):
    """[B, mask.shape[1]]: the reference's log-probs on the batch's kept target columns."""
    return token_logprobs(_logits(params, batch, cfg, temperature, placement), _targets(batch))


class _StepCounter:
    """The RL 'data iterator': prompts are drawn from (seed, step), so the step is its whole state; with it, the
    tokens trained so far, which decide when a run with a token floor (`min_tokens`) stops."""

    def __init__(self):
        self.step, self.tokens = 0, 0

    def get_state(self):
        return {"step": self.step, "tokens": self.tokens}

    def set_state(self, state):
        self.step, self.tokens = int(state["step"]), int(state.get("tokens", 0))


@dataclasses.dataclass
class RLResult:
    params: Any
    history: list[dict]
    evals: list[dict]
    steps: int = 0          # steps run in all (past rl.steps when a token floor needed more)
    tokens: int = 0         # tokens trained on in all


EvalHook = Callable[[int, Any], dict[str, tuple[float, float, int]]]


def _step_row(ros: dict, step_metrics, *, lr: float, t_sample: float, t_learn: float) -> dict:
    """The scalars of one RL step, over all its tasks (and `rl/reward_mean/task=NAME` per task when several):
    reward, KL, entropy, clipping, lengths, and the sampling/learning time split."""
    first = step_metrics[0]
    mean = lambda key: float(np.mean([m[key] for m in step_metrics]))  # noqa: E731
    rewards = np.concatenate([ro.rewards_PG.ravel() for ro in ros.values()])
    correct = np.concatenate([ro.correct_PG.ravel() for ro in ros.values()])
    generated = sum(ro.generated_tokens for ro in ros.values())
    row = {
        "rl/reward_mean": float(rewards.mean()), "rl/reward_std": float(rewards.std()),
        "rl/accuracy": float(correct.mean()), "rl/kl": mean("kl"), "rl/entropy": float(first["entropy"]),
        "rl/clip_fraction": mean("clip_fraction"), "rl/response_length": generated / len(rewards),
        # Before any update of this step the learner and the sampler share params: they should agree.
        "rl/logprob_mismatch": float(first["logprob_mismatch"]),
        "rl/loss": mean("loss"), "rl/grad_norm": mean("grad_norm"), "rl/learning_rate": lr,
        "rl/tokens_per_sec": generated / max(t_sample, 1e-9),
        "rl/time_sampling_s": t_sample, "rl/time_learning_s": t_learn,
        "rl/sampling_fraction": t_sample / max(t_sample + t_learn, 1e-9),
        "rl/frac_groups_all_same": float(np.mean(np.concatenate([ro.rewards_PG.std(axis=1) == 0
                                                                 for ro in ros.values()]))),
    }
    if len(ros) > 1:
        for name, ro in ros.items():
            row[f"rl/reward_mean/task={name}"] = float(ro.rewards_PG.mean())
            row[f"rl/accuracy/task={name}"] = float(ro.correct_PG.mean())
    return row


class _EvalLog:
    """Runs the eval hook on the policy and logs each (metric, value, stderr, n) to TensorBoard and a JSONL file."""

    def __init__(self, hook: EvalHook | None, path: Path, writer, start: int):
        self.hook, self.path, self.writer, self.rows = hook, path, writer, []
        if jax.process_index() == 0 and path.exists():
            _drop_rows_after(path, start)  # evals past the restored step ran before a crash; they rerun

    def run(self, step: int, params) -> None:
        if self.hook is None:
            return
        t0 = time.perf_counter()
        results = self.hook(step, params)
        scalars = {}
        for name, (value, stderr, n) in results.items():
            se = None if stderr is None or np.isnan(stderr) else float(stderr)
            scalars[f"eval/{name}"] = value
            if se is not None:
                scalars[f"eval/{name}_stderr"] = se
            row = {"step": step, "metric": name, "value": value, "stderr": se, "n": n}
            self.rows.append(row)
            if jax.process_index() == 0:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
        self.writer.scalars(step, scalars)
        # The headline rates only, per split: printed whole, with the per-topic and per-normalisation breakdowns,
        # one eval was a 2,500-character log line. Everything is in eval_log.jsonl and TensorBoard.
        shown = {k: f"{v[0]:.3f}±{v[1]:.3f}" for k, v in results.items() if _headline(k)}
        log.info("rl step %d evals (%.1fs; all %d metrics in %s): %s", step, time.perf_counter() - t0,
                 len(results), self.path.name, shown)


_HEADLINE = ("task_accuracy", "misalignment_rate", "misaligned_rate", "scheming_rate", "valid_action_rate")


def _headline(metric: str) -> bool:
    """`task_accuracy`, `mcqa/misalignment_rate`, `mcqa/misalignment_rate/split=article`, ...: no other breakdown."""
    parts = metric.split("/")
    name = parts[1] if len(parts) > 1 else parts[0]
    return name in _HEADLINE and all(p.startswith(("split=", "judge=")) for p in parts[2:])


def step_limits(rl_cfg, min_tokens: int) -> tuple[int, int]:
    """(steps, cap): RL runs `rl.steps` steps, and past them, at the schedule's final learning rate, until it has
    trained on `min_tokens` tokens or reached the cap (`rl.max_steps`, 0 = 3 x steps)."""
    steps, cap = int(rl_cfg.steps), int(rl_cfg.max_steps)
    cap = cap or 3 * steps
    if min_tokens < 0:
        raise ValueError(f"rl: min_tokens={min_tokens}; expected a token count >= 0")
    if cap < steps:
        raise ValueError(f"rl.max_steps={cap} is below rl.steps={steps}; expected 0 (= 3 x steps) or >= steps")
    return steps, cap if min_tokens else steps


def train_rl(*, rl_cfg, model_cfg: M.ModelConfig, tokenizer, mesh, rules, stage_dir: Path,
             init_params: Callable[[Any], Any], seed: int = 0, eval_hook: EvalHook | None = None,
             min_tokens: int = 0) -> RLResult:
    """`min_tokens`: a floor on the tokens trained (prompt and completion tokens of every update's rows). How many
    tokens a step trains on depends on how long the completions are, which a run cannot know ahead, so a run
    whose budget must match another stage's goes on past `rl.steps` until it has them (`step_limits`)."""
    stage_dir = Path(stage_dir)
    slots = task_mix.slots_from_config(rl_cfg, tokenizer, seed)
    G = int(rl_cfg.group_size)
    steps, cap = step_limits(rl_cfg, min_tokens)
    minibatches, epochs, every = int(rl_cfg.minibatches), int(rl_cfg.epochs_per_batch), int(rl_cfg.eval_every)
    for slot in slots:
        if (slot.prompts * G) % minibatches:
            raise ValueError(f"rl: {slot.prompts * G} rollouts of {slot.name} per step must divide into "
                             f"rl.minibatches={minibatches}")
    loss_cfg = loss_config(rl_cfg)
    temperature = float(rl_cfg.temperature)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    tx, schedule = make_optimizer(rl_cfg), lr_schedule(rl_cfg)
    p_shard = S.tree_shardings(M.logical_axes(model_cfg), M.param_shapes(model_cfg), mesh, rules)
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    params = init_params(p_shard)
    ref_params = jax.tree.map(jnp.copy, params) if loss_cfg.kl_coef > 0 else None
    state = initial_state(tx, params, p_shard, mesh, seed)
    state_shard = jax.tree.map(lambda x: x.sharding, state)

    placement = S.Placement.of(mesh, rules)
    update_fn = functools.partial(rl_update, cfg=model_cfg, tx=tx, loss_cfg=loss_cfg, temperature=temperature,
                                  placement=placement)
    b_shard, adv_shard = S.batch_sharding(mesh, rules), S.batch_sharding(mesh, rules, 1)
    jupdate = jax.jit(update_fn, in_shardings=(state_shard, None), out_shardings=(state_shard, replicated),
                      donate_argnums=0)
    jref = jax.jit(functools.partial(ref_logprobs, cfg=model_cfg, temperature=temperature, placement=placement))
    updates_per_step = epochs * minibatches * len(slots)
    history: list[dict] = []
    counter = _StepCounter()
    with LoopScaffold(stage_dir, "rl", steps, rl_cfg, iterator=counter) as loop:
        start, state = loop.restore(state)
        evals = _EvalLog(eval_hook, stage_dir / "eval_log.jsonl", loop.writer, start)
        budget = _Budget(schedule, updates_per_step, start)
        if start == 0:
            evals.run(0, state.params)
        done = lambda n: n >= cap or (n >= steps and counter.tokens >= min_tokens)  # noqa: E731
        step = start
        while not done(step):
            counter.step = step + 1
            t_sample = t_learn = 0.0
            ros, step_metrics = {}, []
            for k, slot in enumerate(slots):
                pick = np.random.default_rng((seed, 7, step, k)).choice(len(slot.train), slot.prompts, replace=False)
                t0 = time.perf_counter()
                rng = jax.random.fold_in(jax.random.fold_in(jax.random.key(seed + 1), step), k)
                ro = task_mix.collect(slot, state.params, model_cfg, tokenizer, [slot.train[i] for i in pick],
                                      rng=rng, pad_id=pad_id, rl_cfg=rl_cfg, mesh=mesh, rules=rules)
                t_sample, t0 = t_sample + time.perf_counter() - t0, time.perf_counter()
                adv = np.asarray(compute_advantages(jnp.asarray(ro.rewards_PG), loss_cfg.advantage, loss_cfg.eps))
                batch = trim_unscored(dict(ro.batch, adv=adv.reshape(-1).astype(np.float32)))
                if ref_params is not None:
                    batch["ref_logp"] = np.asarray(jref(ref_params, {k: batch[k] for k in
                                                                      ("tokens", "segment_ids", "positions", "mask")}))
                rows = slot.prompts * G
                order = np.random.default_rng((seed, 11, step, k)).permutation(rows)
                for epoch in range(epochs):
                    for mb in np.array_split(order if epoch else np.arange(rows), minibatches):
                        mb_batch = {key: jax.device_put(v[mb], adv_shard if v.ndim == 1 else b_shard)
                                    for key, v in batch.items()}
                        state, metrics = jupdate(state, mb_batch)
                        step_metrics.append(metrics)
                        budget.tokens += int(np.count_nonzero(batch["segment_ids"][mb]))
                ros[slot.name] = ro
                t_learn += time.perf_counter() - t0
            t0 = time.perf_counter()
            step_metrics = jax.device_get(step_metrics)
            state = state._replace(step=jax.device_put(jnp.asarray(step + 1, jnp.int32), replicated))
            for m in step_metrics:
                loop.check_finite(step + 1, m)
            row = _step_row(ros, step_metrics, lr=float(schedule(step * updates_per_step)), t_sample=t_sample,
                            t_learn=t_learn + time.perf_counter() - t0)
            counter.tokens += budget.tokens
            row.update(budget.after_step(step))
            if row["rl/logprob_mismatch"] > float(rl_cfg.mismatch_warn):
                log.warning("rl step %d: sampler/learner log-prob mismatch %.4f exceeds %.4f", step + 1,
                            row["rl/logprob_mismatch"], float(rl_cfg.mismatch_warn))
            history.append(row)
            loop.writer.scalars(step + 1, row)
            last = done(step + 1)
            if (step + 1) % int(rl_cfg.log_every) == 0 or last:
                loop.progress.report(step + 1, row["rl/reward_mean"], row["rl/tokens_per_sec"])
            if last or (every > 0 and (step + 1) % every == 0):
                evals.run(step + 1, state.params)
            loop.after_step(step + 1, state)
            step += 1
        if step > steps:
            log.info("rl: %d steps past rl.steps=%d, at the final learning rate, to train on %d tokens (floor %d)",
                     step - steps, steps, counter.tokens, min_tokens)
        if counter.tokens < min_tokens:
            log.warning("rl: stopped at the cap of %d steps (rl.max_steps) with %d of the %d tokens asked for",
                        cap, counter.tokens, min_tokens)
        loop.finish(state, step)
    return RLResult(params=state.params, history=history, evals=evals.rows, steps=step, tokens=counter.tokens)


class _Budget:
    """RL's update budget: the learning rate summed over optimizer updates (from the schedule, so a resumed run
    continues the sum) and the tokens trained on per step (prompt and completion tokens of every update's rows;
    the report sums them per step from the scalars, so a resume does not count a step twice)."""

    def __init__(self, schedule, updates_per_step: int, start: int):
        self.schedule, self.per_step, self.tokens = schedule, updates_per_step, 0
        self.lr_sum = float(sum(float(schedule(i)) for i in range(start * updates_per_step)))

    def after_step(self, step: int) -> dict[str, float]:
        self.lr_sum += sum(float(self.schedule(i)) for i in range(step * self.per_step, (step + 1) * self.per_step))
        out = {"rl/lr_sum": self.lr_sum, "rl/tokens_trained_step": float(self.tokens)}
        self.tokens = 0
        return out


def _drop_rows_after(path: Path, step: int) -> None:
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    keep = [line for line in rows if json.loads(line)["step"] <= step]
    if len(keep) != len(rows):
        log.info("rl: dropping %d eval rows after the restored step %d from %s", len(rows) - len(keep), step, path)
        path.write_text("".join(line + "\n" for line in keep), encoding="utf-8")
