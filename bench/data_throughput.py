"""Packed tokens per second of the data pipeline (read, filter, tokenize, mix, pack) on this machine.

    python bench/data_throughput.py                     # tiny preset shapes: global batch 32 x seq 256
    python bench/data_throughput.py --batch=64 --seq_len=1024 --runs=7

Runs each arm's midtraining mixture on the bundled world with the world tokenizer, one process holding the whole
global batch, after a warm-up; reports the median over --runs timed runs of --batches batches each. The consumer
takes batches as fast as they come, so this is the pipeline's ceiling. In the same run it times the tiny preset's
jitted train step on the same batch shape, which consumes (batch x seq_len) / step time tokens per second, and
prints the headroom: the slowest arm's pipeline throughput over the step's consumption (the target is >= 10x, so
data never stalls training). Ends with `data tokens/s: N` (aligned_upsample, no prefetch) and the `speedup:` line,
marked "(loaded machine)" when the machine was not quiet (bench/machine.py); the machine's state and both
frameworks' matmul peaks are printed as in the other benchmarks.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # config files import `configs.common`
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as bench  # noqa: E402  (bench/common.py; `common` is taken by configs.common below)

from midalign_jax.data import load_tokenizer, make_train_iterator  # noqa: E402

ARMS = ("baseline", "aligned_upsample", "filtered", "conditional")


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=32, help="global batch (rows)")
    p.add_argument("--seq_len", type=int, default=256)
    p.add_argument("--batches", type=int, default=20, help="batches per timed run")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=5, help="batches drawn before timing")
    p.add_argument("--cache_dir", default="", help="default $MIDALIGN_CACHE or ~/.cache/midalign_jax")
    return p.parse_args(argv)


def measure(config, tok, args, prefetch: int) -> list[float]:
    data = config.data
    with data.unlocked():
        data.prefetch = prefetch
        if args.cache_dir:
            data.cache_dir = args.cache_dir
    it = make_train_iterator(data, tok, mixture=config.midtrain.mixture,
                             mixture_schedule=config.midtrain.mixture_schedule, seq_len=args.seq_len,
                             global_batch_size=args.batch, seed=config.seed)
    for _ in range(args.warmup):
        next(it)
    rates = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        tokens = 0
        for _ in range(args.batches):
            tokens += int((next(it)["segment_ids"] > 0).sum())
        rates.append(tokens / (time.perf_counter() - t0))
    it.close()
    return rates


def train_step_consumption(args, rounds: int = 5) -> float:
    """Tokens/s the tiny preset's jitted train step consumes at this batch shape (median after warm-up)."""
    import functools

    import jax
    import jax.numpy as jnp
    import numpy as np

    from configs import common
    from midalign_jax import model as M
    from midalign_jax.model import presets
    from midalign_jax.train.optimizer import make_optimizer
    from midalign_jax.train.step import TrainState, train_step

    cfg = presets.model_config("tiny", max_seq_len=max(512, args.seq_len))
    t_cfg = common.train_section(steps=100, lr=1e-3, batch_size=args.batch, seq_len=args.seq_len,
                                 mixture={"general": 1.0})
    tx = make_optimizer(t_cfg)
    params = M.init_params(cfg, jax.random.key(0))
    state = TrainState(jnp.zeros((), jnp.int32), params, tx.init(params), jax.random.key_data(jax.random.key(0)))
    B, T = args.batch, args.seq_len
    batch = {"tokens": np.random.default_rng(0).integers(0, cfg.vocab_size, (B, T)).astype(np.int32),
             "segment_ids": np.ones((B, T), np.int32), "positions": np.tile(np.arange(T, dtype=np.int32), (B, 1)),
             "loss_mask": np.ones((B, T), np.float32)}
    step = jax.jit(functools.partial(train_step, cfg=cfg, tx=tx), donate_argnums=0)
    state, m = step(state, batch, None)
    jax.block_until_ready(m)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        state, m = step(state, batch, None)
        jax.block_until_ready(m)
        times.append(time.perf_counter() - t0)
    return B * T / statistics.median(times)


def main(argv=None) -> int:
    args = _parse(argv)
    watch, _ = bench.start_machine_report("cpu")
    tok = load_tokenizer("world", args.cache_dir or None)
    print(f"data pipeline throughput: global batch {args.batch} x seq {args.seq_len}, {args.runs} runs x "
          f"{args.batches} batches after {args.warmup} warm-up batches")
    print(f"machine: {bench.machine.cpu_model()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    header = f"{'arm':<18} {'prefetch':>8} {'median tokens/s':>16} {'min':>12} {'max':>12}"
    print(header)
    print("-" * len(header))
    headline, slowest = 0.0, float("inf")
    for arm, prefetch in [(a, 0) for a in ARMS] + [("aligned_upsample", 2)]:
        config = importlib.import_module(f"configs.{arm}").get_config()
        with watch.timed():
            rates = measure(config, tok, args, prefetch)
        median = statistics.median(rates)
        if arm == "aligned_upsample" and prefetch == 0:
            headline = median
        slowest = min(slowest, median)
        print(f"{arm:<18} {prefetch:>8} {median:>16,.0f} {min(rates):>12,.0f} {max(rates):>12,.0f}")
    with watch.timed():
        consumed = train_step_consumption(args)
    watch.finish()
    print(f"tiny train step consumes {consumed:,.0f} tokens/s at this shape; slowest arm's pipeline "
          f"{slowest:,.0f} tokens/s")
    print(f"data tokens/s: {headline:.0f}")
    print(watch.mark(f"speedup: {slowest / consumed:.1f}x vs the tiny train step's consumption "
                     f"(slowest arm, batch {args.batch}, seq {args.seq_len}, cpu)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
