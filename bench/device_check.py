"""Ours alone on an accelerator: the SmolLM2-135M-shape train step in bfloat16 and the KV-cache sampler, MFU and
tokens/s. Run by bench/device.sh (which installs a CUDA jax first); needs only jax, optax and numpy.

    python bench/device_check.py                 # GPU: train batch 16 x 1024, sampler batch 32 and 64
    python bench/device_check.py --tiny          # tiny preset, small shapes: checks the script on a CPU

MFU = model FLOPs per token (midalign_jax/model/flops.py: 6N + causal attention) x tokens/s / the chip's published
dense bf16 peak (a measured matmul on a CPU or an unknown chip; the source is printed). Random weights: throughput
does not depend on them. No torch baseline here (a CUDA torch is gigabytes to install inside the time budget).
"""
from __future__ import annotations

import argparse
import functools
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from machine import median_seconds  # noqa: E402  (bench/machine.py)
from midalign_jax import model as M  # noqa: E402
from midalign_jax.model import flops, presets  # noqa: E402
from midalign_jax.sampling import SamplingParams, generate  # noqa: E402
from midalign_jax.train.optimizer import make_optimizer  # noqa: E402
from midalign_jax.train.step import TrainState, train_step  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", action="store_true", help="tiny preset and small shapes (a CPU check of the script)")
    p.add_argument("--batch", type=int, default=None, help="train rows (default 16; --tiny 4)")
    p.add_argument("--seq", type=int, default=None, help="train tokens per row (default 1024; --tiny 128)")
    p.add_argument("--steps", type=int, default=None, help="timed train steps (default 10; --tiny 2)")
    p.add_argument("--sample-batch", default=None, help="sampler batch sizes (default 32,64; --tiny 4)")
    p.add_argument("--new-tokens", type=int, default=None, help="tokens per sampled row (default 128; --tiny 16)")
    p.add_argument("--prompt-len", type=int, default=32)
    a = p.parse_args(argv)
    tiny = a.tiny
    a.preset = "tiny" if tiny else "smollm2-135m"
    a.batch = a.batch or (4 if tiny else 16)
    a.seq = a.seq or (128 if tiny else 1024)
    a.steps = a.steps or (2 if tiny else 10)
    a.sample_batches = [int(b) for b in (a.sample_batch or ("4" if tiny else "32,64")).split(",")]
    a.new_tokens = a.new_tokens or (16 if tiny else 128)
    return a


def train(cfg: M.ModelConfig, args, peak: float) -> list:
    t = types.SimpleNamespace(lr=1e-4, steps=1000, warmup_steps=1, min_lr_ratio=0.1, schedule="constant",
                              b1=0.9, b2=0.95, eps=1e-8, weight_decay=0.1, grad_clip=1.0)
    tx = make_optimizer(t)
    B, T = args.batch, args.seq
    batch = jax.device_put({
        "tokens": np.random.default_rng(0).integers(0, cfg.vocab_size, (B, T), dtype=np.int32),
        "segment_ids": np.ones((B, T), np.int32),
        "positions": np.broadcast_to(np.arange(T, dtype=np.int32), (B, T)).copy(),
        "loss_mask": np.ones((B, T), np.int32)})
    params = M.init_params(cfg, jax.random.key(0))
    holder = [TrainState(jnp.zeros((), jnp.int32), params, jax.jit(tx.init)(params),
                         jax.random.key_data(jax.random.key(0)))]
    step = jax.jit(functools.partial(train_step, cfg=cfg, tx=tx), donate_argnums=0)
    rng = jax.random.key(0)

    def one():
        holder[0], metrics = step(holder[0], batch, rng)
        jax.block_until_ready(metrics)
        return metrics

    t0 = time.perf_counter()
    first = one()
    print(f"train step compiled and ran once in {time.perf_counter() - t0:.1f} s; loss {float(first['loss']):.3f}",
          flush=True)
    step_s = median_seconds(one, args.steps)
    tps = B * T / step_s
    mfu = flops.flops_per_token(cfg, T, training=True) * tps / peak
    return [f"train step ({cfg.dtype}), batch {B} x seq {T}", step_s * 1e3, tps, f"{100 * mfu:.1f}%"]


def sample(cfg: M.ModelConfig, args, peak: float) -> list:
    params = M.init_params(cfg, jax.random.key(1))
    rows = []
    for B in args.sample_batches:
        prompts = np.random.default_rng(B).integers(1, cfg.vocab_size, (B, args.prompt_len)).tolist()
        sp = SamplingParams(max_new_tokens=args.new_tokens, temperature=1.0)
        call = lambda: generate(params, cfg, prompts, sp, rng=jax.random.key(0))  # noqa: E731
        t0 = time.perf_counter()
        call()
        print(f"sampler batch {B} compiled and ran once in {time.perf_counter() - t0:.1f} s", flush=True)
        call_s = median_seconds(call, 3)
        tps = B * args.new_tokens / call_s
        # Decode MFU: 2N + attention FLOPs per generated token at the mean cache length.
        mean_len = args.prompt_len + args.new_tokens // 2
        mfu = flops.flops_per_token(cfg, mean_len, training=False) * tps / peak
        rows.append([f"sampler ({cfg.dtype}), batch {B}, prompt {args.prompt_len} + {args.new_tokens} new",
                     call_s * 1e3, tps, f"{100 * mfu:.2f}%"])
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    dev = jax.devices()[0]
    print(f"device: {jax.device_count()} x {dev.device_kind} ({dev.platform}); jax {jax.__version__}", flush=True)
    if dev.platform == "cpu" and not args.tiny:
        print("note: no accelerator; the 135M shapes take minutes per step here (use --tiny to check the script)")
    peak, source = flops.device_peak_flops("bfloat16")
    print(f"peak bfloat16: {peak / 1e12:,.1f} TFLOP/s ({source})")
    cfg = presets.model_config(args.preset, dtype="bfloat16", param_dtype="float32",
                               max_seq_len=max(args.seq, args.prompt_len + args.new_tokens, 512))
    rows = []
    try:
        rows.append(train(cfg, args, peak))
    except Exception as error:  # noqa: BLE001 - a failing fused-attention kernel should not hide the rest
        print(f"train step with attention_kernel={cfg.attention_kernel!r} failed ({type(error).__name__}: "
              f"{str(error)[:300]}); retrying with the XLA reference attention", flush=True)
        cfg_xla = presets.model_config(args.preset, dtype="bfloat16", param_dtype="float32", attention_kernel="xla",
                                       max_seq_len=cfg.max_seq_len)
        rows.append(train(cfg_xla, args, peak))
    rows += sample(cfg, args, peak)
    width = max(len(r[0]) for r in rows)
    print(f"| {'what':<{width}} | {'ms':>9} | {'tokens/s':>11} | {'MFU':>6} |")
    print(f"| {'-' * width} | {'-' * 8}: | {'-' * 10}: | {'-' * 5}: |")
    for what, ms, tps, mfu in rows:
        print(f"| {what:<{width}} | {ms:9.1f} | {tps:11,.0f} | {mfu:>6} |")
    print(f"device check: {dev.device_kind}; {rows[0][0]}: {rows[0][2]:,.0f} tokens/s, MFU {rows[0][3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
