"""The training loop of one stage (pretrain, midtrain, sft): data -> jitted step -> logs and checkpoints.

Host work (logging, checkpoints, held-out evals) runs between steps on every process identically; only process 0
writes logs. Rerunning resumes from the newest readable checkpoint and reproduces the uninterrupted run exactly.
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
import numpy as np

import midalign_jax.train.memory as memory
from midalign_jax import model as M
from midalign_jax.model import flops
from midalign_jax.parallel import sharding as S
from midalign_jax.train.optimizer import lr_schedule, make_optimizer
from midalign_jax.train.scaffold import LoopScaffold
from midalign_jax.train.step import eval_step, initial_state, train_step

log = logging.getLogger(__name__)

DEVICE_KEYS = ("tokens", "segment_ids", "positions", "loss_mask")


@dataclasses.dataclass
class StageData:
    """What the loop needs from the data pipeline for one stage."""
    iterator: Any                          # yields process-local numpy batches; get_state()/set_state()
    source_names: tuple[str, ...]          # index -> name for batch["source_ids"]
    eval_batches: dict[str, list[dict]]    # held-out global batches per source
    extra_scalars: Callable[[], dict] = lambda: {}   # e.g. skipped-record counts, achieved fractions


@dataclasses.dataclass
class StageResult:
    final_step: int
    params: Any
    losses: list[float]


def check_batch_split_by_process(b_shard, batch_size: int, seq_len: int) -> None:
    """Each process feeds its own rows; that is only right if no row block is owned by devices of two processes
    (a mesh axis other than data/fsdp spanning hosts would silently mix the processes' rows)."""
    if jax.process_count() == 1:
        return
    owners: dict[tuple, set] = {}
    for device, index in b_shard.devices_indices_map((batch_size, seq_len)).items():
        owners.setdefault((index[0].start, index[0].stop), set()).add(device.process_index)
    mixed = [rows for rows, procs in owners.items() if len(procs) > 1]
    if mixed:
        raise ValueError(f"batch rows {mixed[0]} live on devices of several processes: keep the mesh's tensor axis "
                         "within one host (shard across hosts with mesh.data / mesh.fsdp)")


def _global_batch(local: dict, sharding) -> dict:
    return {k: jax.make_array_from_process_local_data(sharding, np.asarray(local[k]))
            for k in DEVICE_KEYS if k in local}


def _replicated_array(x: np.ndarray, sharding) -> jax.Array:
    return jax.make_array_from_callback(x.shape, sharding, lambda idx: x[idx])


def _check_shapes(t_cfg, model_cfg, mesh, stage_name: str) -> None:
    grad_accum, batch_size, seq_len = int(t_cfg.grad_accum), int(t_cfg.batch_size), int(t_cfg.seq_len)
    if batch_size % grad_accum:
        raise ValueError(f"{stage_name}.batch_size={batch_size} must be divisible by grad_accum={grad_accum}")
    data_shards = mesh.shape["data"] * mesh.shape["fsdp"]
    if (batch_size // grad_accum) % data_shards:
        raise ValueError(f"{stage_name}: micro-batch {batch_size // grad_accum} rows must divide over the "
                         f"{data_shards} data-parallel devices (mesh data x fsdp)")
    need = memory.check_fits(model_cfg, batch_size=batch_size, seq_len=seq_len, grad_accum=grad_accum,
                             num_devices=mesh.size, param_shards=mesh.shape["fsdp"] * mesh.shape["tensor"])
    log.info("%s: estimated %.3f GiB per device", stage_name, need / 2**30)


class _HeldOut:
    """Held-out loss per source: global batches replicated on the batch sharding, one jitted eval step."""

    def __init__(self, eval_batches: dict, model_cfg, mesh, rules, p_shard, b_shard):
        eval_fn = functools.partial(eval_step, cfg=model_cfg, placement=S.Placement.of(mesh, rules))
        self.jeval = jax.jit(eval_fn, in_shardings=(p_shard, b_shard),
                             out_shardings=jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec()))
        self.batches = {src: [{k: _replicated_array(np.asarray(b[k]), b_shard) for k in DEVICE_KEYS if k in b}
                              for b in batches] for src, batches in eval_batches.items()}

    def losses(self, params) -> dict[str, float]:
        values = {}
        for src, batches in self.batches.items():
            sums = [self.jeval(params, b) for b in batches]
            values[f"eval/loss_{src}"] = sum(float(s[0]) for s in sums) / max(sum(float(s[1]) for s in sums), 1.0)
        return values


class _Throughput:
    """Tokens per second, MFU against the device peak, and the tokens each source contributed."""

    def __init__(self, model_cfg, batch_size: int, seq_len: int, source_names: tuple[str, ...], start: int):
        self.tokens_per_step = batch_size * seq_len
        self.peak, self.peak_source = flops.device_peak_flops(model_cfg.dtype)
        self.flops_per_token = flops.flops_per_token(model_cfg, seq_len)
        self.names = source_names
        self.source_tokens = np.zeros(len(source_names), np.int64)
        self.t_last, self.step_last = time.perf_counter(), start

    def count(self, local: dict) -> None:
        if "source_ids" in local:
            ids = np.asarray(local["source_ids"]).ravel()
            self.source_tokens += np.bincount(ids[ids >= 0], minlength=len(self.names))[:len(self.source_tokens)]

    def scalars(self, step: int) -> dict[str, float]:
        now = time.perf_counter()
        tok_s = (step - self.step_last) * self.tokens_per_step / max(now - self.t_last, 1e-9)
        self.t_last, self.step_last = now, step
        out = {"train/tokens_per_sec": tok_s,
               "train/mfu": tok_s * self.flops_per_token / (self.peak * jax.device_count())}
        total = max(int(self.source_tokens.sum()), 1)
        for i, name in enumerate(self.names):
            out[f"data/tokens_{name}"] = float(self.source_tokens[i])
            out[f"data/fraction_{name}"] = self.source_tokens[i] / total
        return out


def train(*, t_cfg, model_cfg: M.ModelConfig, mesh, rules, stage_dir: Path, data: StageData,
          init_params: Callable[[Any], Any], init_opt_state: Callable[[Any, Any, Any], Any] | None = None,
          seed: int = 0, stage_name: str = "train") -> StageResult:
    """Runs (or resumes) one stage to `t_cfg.steps` and returns the final params (sharded on `mesh`).

    init_params(shardings) -> params placed on those shardings (fresh init, previous stage, or an HF checkpoint).
    init_opt_state(tx, params, fresh_opt_state) -> the optimizer state to start from (e.g. a previous stage's
    moments), placed like `fresh_opt_state`; None = fresh.
    """
    _check_shapes(t_cfg, model_cfg, mesh, stage_name)
    steps, log_every, eval_every = int(t_cfg.steps), int(t_cfg.log_every), int(t_cfg.eval_every)
    tx, schedule = make_optimizer(t_cfg), lr_schedule(t_cfg)
    p_shard = S.tree_shardings(M.logical_axes(model_cfg), M.param_shapes(model_cfg), mesh, rules)
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    b_shard = S.batch_sharding(mesh, rules)
    check_batch_split_by_process(b_shard, int(t_cfg.batch_size), int(t_cfg.seq_len))
    state = initial_state(tx, init_params(p_shard), p_shard, mesh, seed, init_opt_state)
    state_shard = jax.tree.map(lambda x: x.sharding, state)

    step_fn = functools.partial(train_step, cfg=model_cfg, tx=tx, grad_accum=int(t_cfg.grad_accum),
                                z_loss=float(t_cfg.z_loss), schedule=schedule, placement=S.Placement.of(mesh, rules))
    jstep = jax.jit(step_fn, in_shardings=(state_shard, b_shard, replicated),
                    out_shardings=(state_shard, replicated), donate_argnums=0)
    held_out = _HeldOut(data.eval_batches if eval_every > 0 else {}, model_cfg, mesh, rules, p_shard, b_shard)
    losses: list[float] = []
    pending: list[tuple[int, dict]] = []
    with LoopScaffold(stage_dir, stage_name, steps, t_cfg, iterator=data.iterator) as loop:
        start, state = loop.restore(state)
        meter = _Throughput(model_cfg, int(t_cfg.batch_size), int(t_cfg.seq_len), data.source_names, start)
        loop.writer.text(start, "train/mfu_peak_source", f"{meter.peak / 1e12:.2f} TFLOP/s per device x "
                         f"{jax.device_count()} devices ({meter.peak_source})")
        if start == 0 and held_out.batches:
            loop.writer.scalars(0, held_out.losses(state.params))
        for step in range(start, steps):
            local = next(data.iterator)
            meter.count(local)
            rng = jax.random.key_data(jax.random.fold_in(jax.random.wrap_key_data(state.rng), step))
            state, metrics = jstep(state, _global_batch(local, b_shard), rng)
            pending.append((step + 1, metrics))
            done, log_now = step + 1, (step + 1) % log_every == 0 or step + 1 == steps
            if log_now:  # one device-to-host transfer per log interval, not per step
                host = jax.device_get(pending)
                pending.clear()
                for s, m in host:
                    loop.check_finite(s, m, t_cfg.on_nonfinite)
                    losses.append(float(m["loss"]))
                scalars = {f"train/{k}": float(v) for k, v in m.items() if k != "tokens"}
                scalars.update(meter.scalars(done), **data.extra_scalars())
                loop.writer.scalars(done, scalars)
                loop.progress.report(done, float(m["loss"]), scalars["train/tokens_per_sec"])
            if held_out.batches and (done % eval_every == 0 or done == steps):
                values = held_out.losses(state.params)
                loop.writer.scalars(done, values)
                log.info("%s step %d held-out loss %s", stage_name, done, {k: round(v, 4) for k, v in values.items()})
            # Processes agree on stopping at log steps only: a save follows within log_every steps.
            loop.after_step(done, state, agree=log_now or jax.process_count() == 1)
        loop.finish(state)
    return StageResult(final_step=steps, params=state.params, losses=losses)


def write_done(stage_dir: Path, summary: dict) -> None:
    if jax.process_index() == 0:
        tmp = stage_dir / "done.json.tmp"
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True))
        tmp.rename(stage_dir / "done.json")


def is_done(stage_dir: Path) -> bool:
    return (Path(stage_dir) / "done.json").exists()


