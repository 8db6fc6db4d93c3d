"""The stage dispatcher behind main.py: resolves the config, saves it, and runs `config.stages` in order.

Each stage owns `<workdir>/<stage>/` and marks completion with `done.json`, so a rerun skips finished stages
and resumes an interrupted one from its checkpoints. A training stage leaves its final params in
`<workdir>/<stage>/params` (our params-only format); the next stage starts from there.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
from pathlib import Path
from typing import Callable

import jax

from midalign_jax import distributed, params_io, presets
from midalign_jax import model as M
from midalign_jax import sharding as S

log = logging.getLogger(__name__)

TRAIN_STAGES = ("pretrain", "midtrain", "sft")


@dataclasses.dataclass
class Context:
    config: object
    workdir: Path

    @functools.cached_property
    def mesh(self):
        return S.make_mesh(self.config.mesh)

    @functools.cached_property
    def rules(self):
        return S.rules_from_config({k: v for k, v in self.config.mesh.rules.items() if v is not None})

    @functools.cached_property
    def cache_dir(self) -> Path:
        d = self.config.data.cache_dir or os.environ.get("MIDALIGN_CACHE") or "~/.cache/midalign_jax"
        return Path(d).expanduser()

    @functools.cached_property
    def tokenizer(self):
        from midalign_jax.data.tokenizer import load_tokenizer
        return load_tokenizer(self.config.data.tokenizer, self.cache_dir)

    @functools.cached_property
    def model_cfg(self) -> M.ModelConfig:
        return resolve_model_config(self.config, self.tokenizer, checkpoint=self.first_checkpoint())

    def first_checkpoint(self) -> Path | None:
        """The `init_from` of the first listed stage that has one: its architecture defines the model."""
        for stage in parse_stages(self.config.stages):
            section = self.config.get(stage)
            if section is not None and "init_from" in section and section.init_from:
                return Path(section.init_from)
            if stage in TRAIN_STAGES + ("rl",):
                return None
        return None

    @functools.cached_property
    def base_root(self) -> Path | None:
        """Where the `pretrain` stage (the base every arm starts from) lives: `config.base_dir`, or for
        base_dir="cache" a folder under the cache keyed by everything that determines the base."""
        base = str(self.config.base_dir or "")
        if not base:
            return None
        if base == "cache":
            return self.cache_dir / "bases" / base_key(self.config)
        return Path(base).absolute()

    def stage_dir(self, stage: str) -> Path:
        if stage == "pretrain" and self.base_root is not None:
            return self.base_root / stage
        return self.workdir / stage

    def latest_params_dir(self, before: str) -> Path | None:
        """Final params of the newest finished training stage that runs before `before` (here or in base_dir)."""
        order = parse_stages(self.config.stages)
        earlier = TRAIN_STAGES[:TRAIN_STAGES.index(before)] if before in TRAIN_STAGES else TRAIN_STAGES
        if "rl" in order and before not in TRAIN_STAGES and order.index("rl") < order.index(before):
            earlier = earlier + ("rl",)
        for stage in reversed(earlier):
            for root in (self.workdir, self.base_root):
                if root is not None and (root / stage / "done.json").exists():
                    return root / stage / "params"
        return None


def base_key(config) -> str:
    """A short hash of what the pretrained base depends on (model, pretrain section, seed, data sources), so
    arms that differ only after pretraining share one cached base."""
    import hashlib
    from midalign_jax.data.settings import parse_tags
    data = config.data.to_dict()
    for k in ("cache_dir", "prefetch", "tokenize_batch") + (() if config.pretrain.filter else ("filter_sources",
                                                                                              "blocklist")):
        data.pop(k)
    used = {name for name, w in config.pretrain.mixture.items() if w}
    data["conditional_tags"] = sorted((k, v) for k, v in parse_tags(data["conditional_tags"]).items() if k in used)
    blob = json.dumps({"model": config.model.to_dict(), "pretrain": config.pretrain.to_dict(), "seed": config.seed,
                       "data": data}, sort_keys=True, default=str)
    return f"{config.model.preset}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def parse_stages(text: str) -> list[str]:
    from configs.common import STAGES
    stages = [s.strip() for s in str(text).split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"config.stages: unknown stage(s) {unknown}; known stages are {list(STAGES)}")
    return stages


def resolve_model_config(config, tokenizer=None, checkpoint: Path | None = None) -> M.ModelConfig:
    """The preset with `config.model` overrides, or, when the first stage starts from a checkpoint, that
    checkpoint's architecture with the overrides (dtype, remat, kernel, ...) applied on top."""
    overrides = {k: v for k, v in config.model.items() if k != "preset" and v is not None}
    if checkpoint is not None:
        base = _checkpoint_model_config(checkpoint)
        cfg = dataclasses.replace(base, **overrides)
    else:
        cfg = presets.model_config(config.model.preset, **overrides)
    if tokenizer is not None and len(tokenizer) > cfg.vocab_size:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens but model preset {config.model.preset!r} has "
                         f"vocab_size={cfg.vocab_size}; set --config.model.vocab_size={len(tokenizer)} (or larger)")
    return cfg


def _checkpoint_model_config(path: Path) -> M.ModelConfig:
    if (path / "model_config.json").exists():
        return params_io.load_model_config(path)
    if (path / "config.json").exists():
        from midalign_jax import hf
        return hf.load_hf_config(path)
    raise FileNotFoundError(f"init_from={path}: neither our params directory (model_config.json) nor a Hugging "
                            "Face model directory (config.json)")


def save_config(config, workdir: Path) -> None:
    if jax.process_index() != 0:
        return
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.json").write_text(config.to_json_best_effort(indent=2, sort_keys=True))
    (workdir / "config.txt").write_text(str(config))


def run(config, workdir: str | os.PathLike) -> Context:
    if "://" in str(workdir):
        raise ValueError(f"--workdir={workdir}: a URL; mount the bucket (e.g. gcsfuse) and pass the mount path")
    distributed.maybe_initialize(config.distributed)
    stages = parse_stages(config.stages)
    ctx = Context(config, Path(workdir).absolute())
    save_config(config, ctx.workdir)
    if jax.process_index() == 0 and not (ctx.workdir / "tokenizer").exists():
        # Saved beside the checkpoints so `python -m evals --model=ours:WORKDIR/<stage>/params` finds it.
        ctx.tokenizer.save_pretrained(str(ctx.workdir / "tokenizer"))
    log.info("stages: %s; workdir %s; %d devices, mesh %s", stages, ctx.workdir, jax.device_count(),
             dict(ctx.mesh.shape))
    for stage in stages:
        if (ctx.stage_dir(stage) / "done.json").exists():
            log.info("stage %s: already done (%s/done.json); skipping", stage, ctx.stage_dir(stage))
            continue
        if jax.process_index() == 0:
            where = f" (the shared base, in {ctx.base_root})" if ctx.stage_dir(stage).parent != ctx.workdir else ""
            print(f"=== stage {stage}{where} ===", flush=True)
            if where and not (ctx.base_root / "config.json").exists():
                save_config(config, ctx.base_root)  # the config that made the base (the first arm's)
        STAGE_FNS[stage](ctx, stage)
    return ctx


# --------------------------------------------------------------------------------------------- training

def _init_params_fn(ctx: Context, stage: str) -> Callable:
    t_cfg = ctx.config[stage]
    cfg = ctx.model_cfg
    source = t_cfg.init_from or (None if stage == "pretrain" else ctx.latest_params_dir(stage))
    if stage != "pretrain" and not source:
        raise FileNotFoundError(f"stage {stage}: no finished earlier stage in {ctx.workdir} (or base_dir) to start "
                                f"from; run pretrain first or set --config.{stage}.init_from=PATH")

    def init(shardings):
        if not source:
            key = jax.random.key(ctx.config.seed)
            return jax.jit(lambda k: M.init_params(cfg, k), out_shardings=shardings)(key)
        loaded_cfg, params = load_any_params(source, shardings)
        if not same_architecture(loaded_cfg, cfg):
            raise ValueError(f"stage {stage}: the checkpoint in {source} has model config {loaded_cfg}, which does "
                             f"not match the configured model {cfg}")
        log.info("stage %s: initialised from %s", stage, source)
        return params

    return init


# Fields that change how a model is run or initialised, not which function it computes.
_RUNTIME_DEFAULTS = dict(dtype="float32", param_dtype="float32", remat="none", attention_kernel="auto",
                         init_std=0.02, max_seq_len=1, dense_grad="auto", scan_unroll=0)


def same_architecture(a: M.ModelConfig, b: M.ModelConfig) -> bool:
    return dataclasses.replace(a, **_RUNTIME_DEFAULTS) == dataclasses.replace(b, **_RUNTIME_DEFAULTS)


def _init_opt_state_fn(ctx: Context, stage: str) -> Callable | None:
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
        from midalign_jax.train.checkpoints import Checkpointer, abstract_like
        from midalign_jax.train.step import TrainState
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


def load_any_params(path: str | os.PathLike, shardings=None):
    """Our params-only directory (model_config.json) or a Hugging Face model directory (config.json)."""
    path = Path(path)
    if (path / "model_config.json").exists():
        return params_io.load_params(path, shardings=shardings)
    _checkpoint_model_config(path)  # the clear error when it is neither
    from midalign_jax import hf
    return hf.load_hf(path, shardings=shardings)


def _stage_data(ctx: Context, stage: str):
    from midalign_jax.data import pipeline
    from midalign_jax.train.loop import StageData
    from midalign_jax.data.settings import data_settings
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
    return StageData(iterator=it, source_names=names, eval_batches=eval_batches,
                     extra_scalars=lambda: _data_scalars(it))


def _data_scalars(it) -> dict:
    out = {}
    for s in it.stats():
        out[f"data/filtered_{s.name}"] = float(s.filtered)
        out[f"data/skipped_{s.name}"] = float(sum(s.skipped.values()))
    return out


def train_stage(ctx: Context, stage: str) -> None:
    from midalign_jax.train import loop
    stage_dir = ctx.stage_dir(stage)
    stage_dir.mkdir(parents=True, exist_ok=True)
    t_cfg = ctx.config[stage]
    result = loop.train(t_cfg=t_cfg, model_cfg=ctx.model_cfg, mesh=ctx.mesh, rules=ctx.rules, stage_dir=stage_dir,
                        data=_stage_data(ctx, stage), init_params=_init_params_fn(ctx, stage),
                        init_opt_state=_init_opt_state_fn(ctx, stage),
                        seed=ctx.config.seed, stage_name=stage)
    params_io.save_params(stage_dir / "params", ctx.model_cfg, result.params, overwrite=True)
    tail = result.losses[-10:]
    loop.write_done(stage_dir, {"stage": stage, "steps": result.final_step,
                                "final_loss": sum(tail) / len(tail) if tail else None})


def export_stage(ctx: Context, stage: str) -> None:
    """An HF directory (transformers loads it) of the newest trained params, with the tokenizer."""
    from midalign_jax import hf
    from midalign_jax.train import loop
    src = ctx.latest_params_dir(stage)
    if src is None:
        raise FileNotFoundError(f"stage export: no trained params in {ctx.workdir} to export")
    cfg, params = params_io.load_params(src)
    out = ctx.stage_dir(stage) / "hf"
    if jax.process_index() == 0:
        hf.save_hf(out, cfg, params, tokenizer=ctx.tokenizer)
    loop.write_done(ctx.stage_dir(stage), {"stage": stage, "from": str(src), "hf_dir": str(out)})
    log.info("exported %s to %s", src, out)


def _rl_stage(ctx: Context, stage: str) -> None:
    from midalign_jax.eval_stage import rl_stage
    rl_stage(ctx, stage)


def _eval_stage(ctx: Context, stage: str) -> None:
    from midalign_jax.eval_stage import eval_stage
    eval_stage(ctx, stage)


STAGE_FNS: dict[str, Callable[[Context, str], None]] = {
    "pretrain": train_stage, "midtrain": train_stage, "sft": train_stage,
    "rl": _rl_stage, "eval": _eval_stage, "export": export_stage,
}


def stage_summary(workdir: str | os.PathLike, stage: str) -> dict | None:
    path = Path(workdir) / stage / "done.json"
    return json.loads(path.read_text()) if path.exists() else None
