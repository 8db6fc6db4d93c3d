"""The training stages (pretrain, midtrain, sft) and the export stage: the data for a stage, the train loop, and
the params each leaves behind."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Callable

import jax

from midalign_jax import hf, params_io
from midalign_jax.data import pipeline
from midalign_jax.data.settings import data_settings
from midalign_jax.train import loop
from midalign_jax.train.checkpoints import Checkpointer, abstract_like
from midalign_jax.train.step import TrainState
from study.context import Context, init_params_fn

log = logging.getLogger(__name__)


def init_opt_state_fn(ctx: Context, stage: str) -> Callable | None:
    """With `<stage>.restore_optimizer`, Adam moments continue from the previous stage's final checkpoint; step
    counters restart so this stage's warmup and schedule run from their beginning."""
    t_cfg = ctx.config[stage]
    if not t_cfg.restore_optimizer:
        return None
    source = Path(t_cfg.init_from) if t_cfg.init_from else ctx.latest_params_dir(stage)
    ckpt_dir = source.parent / "checkpoints" if source is not None else None
    if ckpt_dir is None or not ckpt_dir.exists():
        raise FileNotFoundError(f"{stage}.restore_optimizer: no training checkpoints next to {source}; an optimizer "
                                "state exists only for stages trained by this project (set restore_optimizer=False)")

    def init(tx, params, fresh):
        rep = jax.sharding.NamedSharding(ctx.mesh, jax.sharding.PartitionSpec())
        abstract = TrainState(jax.ShapeDtypeStruct((), jax.numpy.int32, sharding=rep), abstract_like(params),
                              abstract_like(fresh), jax.ShapeDtypeStruct((2,), jax.numpy.uint32, sharding=rep))
        restored = Checkpointer(ckpt_dir).restore_latest(abstract)
        if restored is None:
            raise FileNotFoundError(f"{stage}.restore_optimizer: no readable checkpoint in {ckpt_dir}")
        step, state = restored
        log.info("stage %s: optimizer moments restored from %s step %d", stage, ckpt_dir, step)
        # A distinct zero per counter (x * 0 keeps each one's placement): the state is donated to the train step,
        # and one buffer shared by two leaves would be donated twice.
        return jax.tree_util.tree_map_with_path(
            lambda path, x: x * 0 if getattr(path[-1], "name", None) == "count" else x, state.opt_state)

    return init


def _stage_data(ctx: Context, stage: str):
    t_cfg = ctx.config[stage]
    d_cfg = data_settings(ctx.config.data)
    if not t_cfg.filter:  # the blocklist applies only in stages that ask for it (midtraining, by default)
        d_cfg = dataclasses.replace(d_cfg, filter_sources=())
    common = dict(seq_len=int(t_cfg.seq_len), process_index=jax.process_index(),
                  process_count=jax.process_count())
    if stage == "sft":
        it = pipeline.make_sft_iterator(d_cfg, ctx.tokenizer, global_batch_size=int(t_cfg.batch_size),
                                        seed=ctx.config.seed, **common)
        names = ("chat",)
    else:
        it = pipeline.make_train_iterator(d_cfg, ctx.tokenizer, mixture=dict(t_cfg.mixture),
                                          mixture_schedule=t_cfg.mixture_schedule,
                                          global_batch_size=int(t_cfg.batch_size), seed=ctx.config.seed, **common)
        names = tuple(it.stats()[i].name for i in range(len(it.stats())))
    eval_batches = {}
    if int(t_cfg.eval_every) > 0:
        for src in names:
            eval_batches[src] = pipeline.make_eval_batches(
                d_cfg, ctx.tokenizer, src, seq_len=int(t_cfg.seq_len), batch_size=int(t_cfg.batch_size),
                num_batches=int(t_cfg.eval_batches), source_names=names)
    # Global eval batches: every process holds the same held-out rows (they are small).
    return loop.StageData(iterator=it, source_names=names, eval_batches=eval_batches,
                     extra_scalars=lambda: _data_scalars(it))


def _data_scalars(it) -> dict:
    out = {}
    for s in it.stats():
        out[f"data/filtered_{s.name}"] = float(s.filtered)
        out[f"data/skipped_{s.name}"] = float(sum(s.skipped.values()))
    return out


def train_stage(ctx: Context, stage: str) -> None:
    stage_dir = ctx.stage_dir(stage)
    stage_dir.mkdir(parents=True, exist_ok=True)
    t_cfg = ctx.config[stage]
    result = loop.train(t_cfg=t_cfg, model_cfg=ctx.model_cfg, mesh=ctx.mesh, rules=ctx.rules, stage_dir=stage_dir,
                        data=_stage_data(ctx, stage), init_params=init_params_fn(ctx, stage),
                        init_opt_state=init_opt_state_fn(ctx, stage),
                        seed=ctx.config.seed, stage_name=stage)
    params_io.save_params(stage_dir / "params", ctx.model_cfg, result.params, overwrite=True)
    tail = result.losses[-10:]
    loop.write_done(stage_dir, {"stage": stage, "steps": result.final_step,
                                "final_loss": sum(tail) / len(tail) if tail else None})


def export_stage(ctx: Context, stage: str) -> None:
    """An HF directory (transformers loads it) of the newest trained params, with the tokenizer."""
    src = ctx.latest_params_dir(stage)
    if src is None:
        raise FileNotFoundError(f"stage export: no trained params in {ctx.workdir} to export")
    cfg, params = params_io.load_params(src)
    out = ctx.stage_dir(stage) / "hf"
    if jax.process_index() == 0:
        hf.save_hf(out, cfg, params, tokenizer=ctx.tokenizer)
    loop.write_done(ctx.stage_dir(stage), {"stage": stage, "from": str(src), "hf_dir": str(out)})
    log.info("exported %s to %s", src, out)


