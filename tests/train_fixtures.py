"""Small deterministic data and configs for training tests (no tokenizer, no world generation)."""
from __future__ import annotations

import os
import signal

import ml_collections
import numpy as np

from configs import common
from midalign_jax import model as M
from midalign_jax.train.loop import StageData

TINY = M.ModelConfig(vocab_size=64, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64)


class PatternIterator:
    """Rows of two packed 'documents' that follow a learnable rule (each token = previous + 1 mod 64)."""

    def __init__(self, batch_size: int, seq_len: int, seed: int = 0, fail_at: int | None = None,
                 sigterm_at: int | None = None, process_index: int = 0, process_count: int = 1):
        self.batch_size, self.seq_len, self.seed = batch_size, seq_len, seed
        self.index = 0
        self.fail_at, self.sigterm_at = fail_at, sigterm_at
        self.process_index, self.process_count = process_index, process_count

    def __iter__(self):
        return self

    def __next__(self):
        if self.fail_at is not None and self.index == self.fail_at:
            raise KeyboardInterrupt("simulated crash")
        if self.sigterm_at is not None and self.index == self.sigterm_at:
            os.kill(os.getpid(), signal.SIGTERM)
        rng = np.random.default_rng((self.seed, self.index))
        self.index += 1
        B, T = self.batch_size, self.seq_len
        starts = rng.integers(0, 64, size=(B, 2))
        cut = T // 2 + 3
        tokens = np.zeros((B, T), np.int32)
        tokens[:, :cut] = (starts[:, :1] + np.arange(cut)) % 64
        tokens[:, cut:] = (starts[:, 1:] + np.arange(T - cut)) % 64
        segs = np.concatenate([np.ones((B, cut), np.int32), np.full((B, T - cut), 2, np.int32)], 1)
        pos = np.concatenate([np.arange(cut), np.arange(T - cut)])[None].repeat(B, 0).astype(np.int32)
        src = np.zeros((B, T), np.int32)
        src[:, cut:] = 1
        per = B // self.process_count
        sl = slice(self.process_index * per, (self.process_index + 1) * per)
        return {"tokens": tokens[sl], "segment_ids": segs[sl], "positions": pos[sl],
                "loss_mask": np.ones((B, T), np.int32)[sl], "source_ids": src[sl]}

    def get_state(self):
        return {"index": self.index}

    def set_state(self, state):
        self.index = int(state["index"])


def stage_data(batch_size=8, seq_len=32, **kw) -> StageData:
    it = PatternIterator(batch_size, seq_len, **kw)
    eval_it = PatternIterator(batch_size, seq_len, seed=999)
    return StageData(iterator=it, source_names=("a", "b"), eval_batches={"a": [next(eval_it)]})


def t_cfg(steps=6, **over) -> ml_collections.ConfigDict:
    c = common.train_section(steps=steps, lr=1e-2, batch_size=8, seq_len=32, mixture={"a": 1.0})
    c.warmup_steps = 2
    c.checkpoint_every = 3
    c.log_every = 1
    c.eval_every = 3
    for k, v in over.items():
        c[k] = v
    return c


def mesh_cfg(data=1, fsdp=1, tensor=1):
    return ml_collections.ConfigDict(dict(data=data, fsdp=fsdp, tensor=tensor))
