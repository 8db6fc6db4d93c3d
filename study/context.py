"""What every stage shares: the resolved config, the workdir layout, the mesh, the tokenizer, and how a stage finds
the params it starts from (an earlier stage, the shared base, our params directory or a Hugging Face one)."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Callable

import jax

from midalign_jax import hf, params_io
from midalign_jax import model as M
from midalign_jax.data.settings import parse_tags
from midalign_jax.data.tokenizer import load_tokenizer
from midalign_jax.model import presets
from midalign_jax.parallel import sharding as S

log = logging.getLogger(__name__)

STAGES = ("pretrain", "midtrain", "sft", "rl", "eval", "export")
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
        base = checkpoint_model_config(checkpoint)
        cfg = dataclasses.replace(base, **overrides)
    else:
        cfg = presets.model_config(config.model.preset, **overrides)
    if tokenizer is not None and len(tokenizer) > cfg.vocab_size:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens but model preset {config.model.preset!r} has "
                         f"vocab_size={cfg.vocab_size}; set --config.model.vocab_size={len(tokenizer)} (or larger)")
    return cfg


def checkpoint_model_config(path: Path) -> M.ModelConfig:
    if (path / "model_config.json").exists():
        return params_io.load_model_config(path)
    if (path / "config.json").exists():
        return hf.load_hf_config(path)
    raise FileNotFoundError(f"init_from={path}: neither our params directory (model_config.json) nor a Hugging "
                            "Face model directory (config.json)")


def init_params_fn(ctx: Context, stage: str) -> Callable:
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
                         init_std=0.02, max_seq_len=1, dense_grad="auto", scan_unroll=0,
                         matmul="auto")


def same_architecture(a: M.ModelConfig, b: M.ModelConfig) -> bool:
    return dataclasses.replace(a, **_RUNTIME_DEFAULTS) == dataclasses.replace(b, **_RUNTIME_DEFAULTS)


def load_any_params(path: str | os.PathLike, shardings=None):
    """Our params-only directory (model_config.json) or a Hugging Face model directory (config.json)."""
    path = Path(path)
    if (path / "model_config.json").exists():
        return params_io.load_params(path, shardings=shardings)
    checkpoint_model_config(path)  # the clear error when it is neither
    return hf.load_hf(path, shardings=shardings)


def save_config(config, workdir: Path) -> None:
    if jax.process_index() != 0:
        return
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.json").write_text(config.to_json_best_effort(indent=2, sort_keys=True))
    (workdir / "config.txt").write_text(str(config))


def stage_summary(workdir: str | os.PathLike, stage: str) -> dict | None:
    path = Path(workdir) / stage / "done.json"
    return json.loads(path.read_text()) if path.exists() else None
