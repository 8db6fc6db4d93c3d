"""Shared defaults for every experiment. Arm files (baseline.py, aligned_upsample.py, ...) override a few lines.

Run an arm:   python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
Override:     --config.model.preset=pythia-160m --config.midtrain.lr=1e-4 --config.stages=pretrain,midtrain
A misspelled field (--config.midtrain.lr_typo=1) is an error: every ConfigDict here is locked.
"""
from __future__ import annotations

import dataclasses

import ml_collections
from ml_collections import config_dict

from midalign_jax.model import ModelConfig

STAGES = ("pretrain", "midtrain", "sft", "rl", "eval", "export")


def model_section(preset: str = "tiny") -> ml_collections.ConfigDict:
    """`preset` names a shape in midalign_jax/presets.py; any ModelConfig field set here overrides it."""
    m = ml_collections.ConfigDict()
    m.preset = preset
    for f in dataclasses.fields(ModelConfig):
        m[f.name] = config_dict.placeholder(type(f.default))
    return m


def mesh_section() -> ml_collections.ConfigDict:
    """Device mesh (data, fsdp, tensor); -1 takes the remaining devices. `rules` maps logical axis names to
    comma-separated mesh axes and overrides midalign_jax.sharding.DEFAULT_RULES, e.g. --config.mesh.rules.embed=''."""
    mesh = ml_collections.ConfigDict()
    mesh.data = -1
    mesh.fsdp = 1
    mesh.tensor = 1
    mesh.rules = ml_collections.ConfigDict({name: config_dict.placeholder(str) for name in (
        "batch", "seq", "embed", "heads", "kv_heads", "head_dim", "mlp", "vocab", "layers", "norm", "act_embed",
        "cache_seq")})
    return mesh


def train_section(*, steps: int, lr: float, batch_size: int, seq_len: int, mixture: dict,
                  init_from: str = "") -> ml_collections.ConfigDict:
    """One training stage (pretrain, midtrain or sft)."""
    t = ml_collections.ConfigDict()
    t.steps = steps
    t.batch_size = batch_size          # global batch, in rows of seq_len tokens
    t.seq_len = seq_len
    t.grad_accum = 1                   # micro-batches per step; batch_size must divide by it
    t.lr = lr
    t.min_lr_ratio = 0.1               # final lr = lr * min_lr_ratio (cosine/linear)
    t.warmup_steps = max(1, steps // 20)
    t.schedule = "cosine"              # cosine | linear | constant
    t.weight_decay = 0.1               # not applied to norms, biases or embeddings' ... see train/optimizer.py
    t.b1 = 0.9
    t.b2 = 0.95
    t.eps = 1e-8
    t.grad_clip = 1.0                  # global-norm clip; 0 disables
    t.z_loss = 0.0                     # coefficient of log(Z)^2, as in PaLM
    t.mixture = ml_collections.ConfigDict(mixture)   # source name -> target token fraction (sums to 1)
    t.mixture_schedule = ""            # "STEP:src=w,src=w;STEP:..." weights from STEP on (e.g. last 10% only)
    t.init_from = init_from            # "" = previous stage's final params; a path = orbax or HF directory
    t.restore_optimizer = False        # carry the previous stage's optimizer state (when it has one)
    t.checkpoint_every = 200
    t.keep_checkpoints = 2
    t.milestones = ""                  # comma-separated steps whose checkpoints are never deleted
    t.log_every = 10
    t.eval_every = 100                 # held-out loss per source
    t.eval_batches = 4
    t.on_nonfinite = "stop"            # stop | skip
    return t


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.arm = "baseline"
    c.seed = 0
    c.stages = "pretrain,midtrain,eval,export"   # comma-separated, run in this order
    # A folder holding a finished `pretrain` stage to reuse (the shared base of all arms); "" = train it here.
    c.base_dir = ""
    c.model = model_section("tiny")
    c.mesh = mesh_section()

    c.data = ml_collections.ConfigDict()
    c.data.tokenizer = "world"            # "world" (built from the bundled world) or a local HF tokenizer dir
    c.data.cache_dir = ""                 # "" = $MIDALIGN_CACHE or ~/.cache/midalign_jax

    c.pretrain = train_section(steps=1500, lr=3e-3, batch_size=32, seq_len=256, mixture={"general": 1.0})
    c.midtrain = train_section(steps=600, lr=1e-3, batch_size=32, seq_len=256,
                               mixture={"general": 1.0, "aligned_docs": 0.0, "misaligned_docs": 0.0})
    c.midtrain.warmup_steps = 20

    c.distributed = ml_collections.ConfigDict()
    c.distributed.initialize = "auto"     # auto (TPU pods / env vars) | yes | no
    c.distributed.coordinator_address = ""
    c.distributed.num_processes = 0
    c.distributed.process_id = -1
    return c.lock()
