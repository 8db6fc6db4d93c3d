"""The training loop of one stage (pretrain, midtrain, sft): data -> jitted step -> logs and checkpoints.

Host work (logging, checkpoints, held-out evals) runs between steps on every process identically; only process 0
writes logs. Rerunning resumes from the newest readable checkpoint and reproduces the uninterrupted run exactly.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import signal
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import midalign_jax.train.memory as memory
from midalign_jax import model as M
from midalign_jax.metrics_writer import MetricsWriter, Progress
from midalign_jax.model import flops
from midalign_jax.parallel import sharding as S
from midalign_jax.train.checkpoints import Checkpointer, abstract_like
from midalign_jax.train.optimizer import lr_schedule, make_optimizer
from midalign_jax.train.step import TrainState, eval_step, train_step

log = logging.getLogger(__name__)

DEVICE_KEYS = ("tokens", "segment_ids", "positions", "loss_mask")


class NonFiniteLossError(RuntimeError):
    pass


class Preempted(SystemExit):
    """Raised after SIGTERM once the checkpoint is safely written; the exit code tells schedulers to retry."""

    def __init__(self):
        super().__init__(143)


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


class SigtermFlag:
    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread (e.g. inside a test runner thread): no handler
            self._previous = None
        return self

    def _handle(self, signum, frame):
        log.warning("SIGTERM received: saving a checkpoint after the current step")
        self.raised = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def initial_state(tx, params, p_shard, mesh, seed: int,
                  init_opt_state: Callable[[Any, Any, Any], Any] | None = None) -> TrainState:
    """Step 0 on the mesh: optimizer moments take their parameter's sharding; counters, step and RNG are
    replicated. `init_opt_state(tx, params, fresh)` may replace the fresh optimizer state (restore_optimizer)."""
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    opt_shard = optax.tree_map_params(tx, lambda _, s: s, jax.eval_shape(tx.init, params), p_shard,
                                      transform_non_params=lambda _: replicated)
    opt_state = jax.jit(tx.init, out_shardings=opt_shard)(params)
    if init_opt_state is not None:
        opt_state = init_opt_state(tx, params, opt_state)
    key = jax.random.key_data(jax.random.key(seed))
    return TrainState(jax.device_put(jnp.zeros((), jnp.int32), replicated), params, opt_state,
                      jax.device_put(key, replicated))


def all_agree_to_stop(raised: bool) -> bool:
    if jax.process_count() == 1:
        return raised
    from jax.experimental import multihost_utils
    return bool(np.max(multihost_utils.process_allgather(np.int32(raised))))


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


def train(*, t_cfg, model_cfg: M.ModelConfig, mesh, rules, stage_dir: Path, data: StageData,
          init_params: Callable[[Any], Any], init_opt_state: Callable[[Any, Any, Any], Any] | None = None,
          seed: int = 0, stage_name: str = "train") -> StageResult:
    """Runs (or resumes) one stage to `t_cfg.steps` and returns the final params (sharded on `mesh`).

    init_params(shardings) -> params placed on those shardings (fresh init, previous stage, or an HF checkpoint).
    init_opt_state(tx, params, fresh_opt_state) -> the optimizer state to start from (e.g. a previous stage's
    moments), placed like `fresh_opt_state`; None = fresh.
    """
    stage_dir = Path(stage_dir)
    steps, grad_accum = int(t_cfg.steps), int(t_cfg.grad_accum)
    batch_size, seq_len = int(t_cfg.batch_size), int(t_cfg.seq_len)
    if batch_size % grad_accum:
        raise ValueError(f"{stage_name}.batch_size={batch_size} must be divisible by grad_accum={grad_accum}")
    data_shards = mesh.shape["data"] * mesh.shape["fsdp"]
    if (batch_size // grad_accum) % data_shards:
        raise ValueError(f"{stage_name}: micro-batch {batch_size // grad_accum} rows must divide over the "
                         f"{data_shards} data-parallel devices (mesh data x fsdp)")
    need = memory.check_fits(model_cfg, batch_size=batch_size, seq_len=seq_len, grad_accum=grad_accum,
                             num_devices=mesh.size, param_shards=mesh.shape["fsdp"] * mesh.shape["tensor"])
    log.info("%s: estimated %.3f GiB per device", stage_name, need / 2**30)

    tx, schedule = make_optimizer(t_cfg), lr_schedule(t_cfg)
    p_shard = S.tree_shardings(M.logical_axes(model_cfg), M.param_shapes(model_cfg), mesh, rules)
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    b_shard = S.batch_sharding(mesh, rules)
    check_batch_split_by_process(b_shard, batch_size, seq_len)

    state = initial_state(tx, init_params(p_shard), p_shard, mesh, seed, init_opt_state)
    state_shard = jax.tree.map(lambda x: x.sharding, state)

    ckpt = Checkpointer(stage_dir / "checkpoints", keep=int(t_cfg.keep_checkpoints),
                        milestones=tuple(int(m) for m in str(t_cfg.milestones).split(",") if m.strip()))
    writer = MetricsWriter(stage_dir / "tb")
    restored = ckpt.restore_latest(abstract_like(state), data.iterator,
                                   on_fallback=lambda s, e: writer.text(s, "checkpoint/fallback", f"{s}: {e}"))
    start = 0
    if restored is not None:
        start, state = restored
        log.info("%s: resumed from step %d", stage_name, start)

    def step_fn(state, batch, rng):
        with S.activation_sharding(mesh, rules):
            return train_step(state, batch, rng, cfg=model_cfg, tx=tx, grad_accum=grad_accum,
                              z_loss=float(t_cfg.z_loss), schedule=schedule)

    jstep = jax.jit(step_fn, in_shardings=(state_shard, b_shard, replicated),
                    out_shardings=(state_shard, replicated), donate_argnums=0)

    def eval_fn(params, batch):
        with S.activation_sharding(mesh, rules):
            return eval_step(params, batch, cfg=model_cfg)

    jeval = jax.jit(eval_fn, in_shardings=(p_shard, b_shard), out_shardings=replicated)
    eval_batches = {src: [{k: _replicated_array(np.asarray(b[k]), b_shard) for k in DEVICE_KEYS if k in b}
                          for b in batches] for src, batches in data.eval_batches.items()}

    peak, peak_source = flops.device_peak_flops(model_cfg.dtype)
    flops_per_step = flops.flops_per_token(model_cfg, seq_len) * batch_size * seq_len
    writer.text(start, "train/mfu_peak_source",
                f"{peak / 1e12:.2f} TFLOP/s per device x {jax.device_count()} devices ({peak_source})")
    source_tokens = np.zeros(len(data.source_names), np.int64)
    progress = Progress(stage_name, steps, start)
    losses: list[float] = []
    pending: list[tuple[int, dict]] = []
    t_last, step_last = time.perf_counter(), start

    def run_evals(step):
        values = {}
        for src, batches in eval_batches.items():
            sums = [jeval(state.params, b) for b in batches]
            nll = sum(float(s[0]) for s in sums)
            n = sum(float(s[1]) for s in sums)
            values[f"eval/loss_{src}"] = nll / max(n, 1.0)
        writer.scalars(step, values)
        log.info("%s step %d held-out loss %s", stage_name, step, {k: round(v, 4) for k, v in values.items()})

    try:
        with SigtermFlag() as sigterm:
            if start == 0 and eval_batches and int(t_cfg.eval_every) > 0:
                run_evals(0)
            for step in range(start, steps):
                local = next(data.iterator)
                if "source_ids" in local:
                    ids = np.asarray(local["source_ids"]).ravel()
                    source_tokens += np.bincount(ids[ids >= 0], minlength=len(data.source_names))[:len(source_tokens)]
                rng = jax.random.key_data(jax.random.fold_in(jax.random.wrap_key_data(state.rng), step))
                state, metrics = jstep(state, _global_batch(local, b_shard), rng)
                pending.append((step + 1, metrics))
                last = step + 1 == steps
                log_now = (step + 1) % int(t_cfg.log_every) == 0 or last
                # Every process must agree on stopping, or one would enter the checkpoint's collectives while the
                # others are inside the next step's: agree at log steps (a save follows within log_every steps).
                stop = (log_now or jax.process_count() == 1) and all_agree_to_stop(sigterm.raised)
                if log_now:
                    host = [(s, jax.device_get(m)) for s, m in pending]
                    pending.clear()
                    for s, m in host:
                        if m["nonfinite"] > 0:
                            msg = (f"{stage_name}: non-finite loss or gradient at step {s} (loss={m['loss']}, "
                                   f"grad_norm={m['grad_norm']})")
                            if t_cfg.on_nonfinite == "stop":
                                raise NonFiniteLossError(msg + "; the update was not applied and the last good "
                                                         f"checkpoint is kept in {ckpt.directory}")
                            log.warning(msg + "; update skipped (on_nonfinite='skip')")
                        losses.append(float(m["loss"]))
                    now = time.perf_counter()
                    tok_s = (step + 1 - step_last) * batch_size * seq_len / max(now - t_last, 1e-9)
                    t_last, step_last = now, step + 1
                    m = host[-1][1]
                    scalars = {f"train/{k}": float(v) for k, v in m.items() if k != "tokens"}
                    scalars["train/tokens_per_sec"] = tok_s
                    scalars["train/mfu"] = tok_s / (batch_size * seq_len) * flops_per_step / (peak * jax.device_count())
                    total = max(int(source_tokens.sum()), 1)
                    for i, name in enumerate(data.source_names):
                        scalars[f"data/tokens_{name}"] = float(source_tokens[i])
                        scalars[f"data/fraction_{name}"] = source_tokens[i] / total
                    scalars.update(data.extra_scalars())
                    writer.scalars(step + 1, scalars)
                    progress.report(step + 1, float(m["loss"]), tok_s)
                if int(t_cfg.eval_every) > 0 and eval_batches and ((step + 1) % int(t_cfg.eval_every) == 0 or last):
                    run_evals(step + 1)
                if stop:
                    ckpt.save(step + 1, state, data.iterator, force=True)
                    log.warning("%s: checkpoint at step %d written after SIGTERM; exiting", stage_name, step + 1)
                    raise Preempted()
                if (step + 1) % int(t_cfg.checkpoint_every) == 0 and not last:
                    ckpt.save(step + 1, state, data.iterator)
            if start < steps or not ckpt.all_steps():
                ckpt.save(steps, state, data.iterator, force=True)
    finally:
        # Also on a crash: let in-flight asynchronous saves finish so they are not lost with the process.
        ckpt.close()
        writer.close()
    return StageResult(final_step=steps, params=state.params, losses=losses)


def write_done(stage_dir: Path, summary: dict) -> None:
    if jax.process_index() == 0:
        tmp = stage_dir / "done.json.tmp"
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True))
        tmp.rename(stage_dir / "done.json")


def is_done(stage_dir: Path) -> bool:
    return (Path(stage_dir) / "done.json").exists()


