"""Training tokens per second: our jitted train step vs transformers + PyTorch on the same model and batch.

    python bench/train_throughput.py                          # tiny and small presets, batch 8 x seq 256
    python bench/train_throughput.py --preset small --steps 8
    python bench/train_throughput.py --dtype bfloat16 --torch-compile
    python bench/train_throughput.py --preset smollm2-135m --steps 3  # SmolLM2-135M's shape, random weights
    python bench/train_throughput.py --preset pythia-1b --dtype bfloat16   # GPU; `all` adds it there
    python bench/train_throughput.py --model dense_grad=einsum --model attention_kernel=xla --model scan_unroll=1
                                                              # ours without the CPU training paths (the old step)

Both sides train the same architecture from the same initial weights (ours exported with `save_hf` and loaded by
`AutoModelForCausalLM.from_pretrained`) on the same random token batch: next-token cross-entropy, AdamW with the
same lr / betas / eps / weight decay (none on norms and biases), global-norm clipping at 1.0. Ours is
`train_step` under `jax.jit` with the state donated; theirs is eager PyTorch (`--torch-compile` wraps the model in
`torch.compile`) with `torch.set_num_threads` = the cores JAX uses (`--threads`, default all). After untimed
warm-up rounds (at least `--warmup`, and until no step faults in new host pages: both sides share the process's
heap, and a 135M-sized step spends seconds zero-filling fresh pages in its first rounds), the two sides take
turns, one optimizer step at a time, for `--steps` timed steps each; the table shows median step times and the
page faults of a timed step.
MFU = model FLOPs (6N + attention, midalign_jax/flops.py) x tokens/s / the device's peak: on a CPU the faster of
the two frameworks' measured matmuls in the run's dtype (both are printed, float32 and bfloat16), on an accelerator
the published dense bf16 figure. The machine's load is sampled before, during and after the timed part
(bench/machine.py); a loaded machine is named in the output and marks the `speedup:` line.

Host memory (`--malloc`, Linux with glibc only): a CPU train step frees and reallocates tens to hundreds of MB of
activations every step. With glibc's defaults, large blocks are mmapped and returned to the kernel when freed
(above the mmap threshold, and always for blocks too big for the per-thread arenas of the threads XLA runs the step
on), so every step page-faults its buffers in again, and the kernel zero-fills each page. `--malloc retain` (the
default) keeps freed memory in the process for reuse (M_MMAP_THRESHOLD 1 GiB, M_TRIM_THRESHOLD 2 GiB, M_ARENA_MAX
1), for the whole process and so for both sides alike; `--malloc system` leaves glibc's defaults. It is applied
before either framework starts.

The last line is read by scripts: `speedup: <min over presets of ours/torch tokens/s>x vs transformers+torch (...)`.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import sys
import tempfile
from pathlib import Path

# One process holds both frameworks on one GPU: keep JAX from preallocating most of its memory.
os.environ.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.45")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/common.py; also puts the repository on sys.path)

THREADS = common.pin_cpu_threads(sys.argv[1:])  # before JAX and torch start their thread pools


def tune_malloc(argv) -> str:
    """Applies `--malloc` (read from argv) before any framework allocates or starts threads; returns what was
    applied, for the report."""
    mode = argparse.ArgumentParser(add_help=False)
    mode.add_argument("--malloc", choices=("retain", "system"), default="retain")
    if mode.parse_known_args(list(argv))[0].malloc == "system":
        return "system defaults"
    from midalign_jax.host_memory import retain_freed_memory
    return retain_freed_memory()


MALLOC = tune_malloc(sys.argv[1:])

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from midalign_jax import model as M  # noqa: E402
from midalign_jax.hf import save_hf  # noqa: E402
from midalign_jax.model import (
    flops,
    presets,  # noqa: E402
)
from midalign_jax.train.optimizer import make_optimizer  # noqa: E402
from midalign_jax.train.step import TrainState, train_step  # noqa: E402

CPU_PRESETS = ("tiny", "small")
GPU_PRESET = "pythia-1b"
# Timed steps per side when --steps is not given: the larger presets take seconds per step on a 2-core CPU, so they
# get fewer to keep a run within a few minutes there.
DEFAULT_STEPS = {"tiny": 10, "small": 4, "smollm2-135m": 3}
# What the issue asks of the train step on a CPU, in float32: ours / torch tokens/s at least this (goal 1.5x).
TARGET = 1.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="all",
                   help="presets from midalign_jax/model/presets.py, comma-separated (e.g. small,smollm2-135m), or "
                        "`all`: tiny and small (and pythia-1b in bf16 on a GPU)")
    p.add_argument("--batch", type=int, default=8, help="rows per step")
    p.add_argument("--seq", type=int, default=256, help="tokens per row")
    p.add_argument("--steps", type=int, default=None,
                   help=f"timed optimizer steps per side, alternating ours/torch step by step; the median step "
                        f"time is reported (default per preset: {DEFAULT_STEPS}, else 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per side first (compilation), at least")
    p.add_argument("--max-warmup", type=int, default=8,
                   help="untimed rounds at most: warm-up goes on until no step faults in new host pages "
                        "(bench/common.py warm_until_steady)")
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32",
                   help="compute dtype (master weights and optimizer state stay float32 on both sides; torch "
                        "uses autocast)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--torch-compile", action="store_true", help="torch.compile the HF model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", action="append", default=[], metavar="FIELD=VALUE",
                   help="override a ModelConfig field on our side only, e.g. --model dense_grad=einsum "
                        "--model attention_kernel=xla --model scan_unroll=1 (the step before the CPU training "
                        "paths); repeatable. Fields that change the computed function would fail the loss check")
    p.add_argument("--compare", action="append", default=[], metavar="FIELD=VALUE",
                   help="also time our step with these ModelConfig overrides on top of --model, in the same "
                        "alternating rounds (e.g. --compare matmul=blas); its row shows its own ratio to torch")
    p.add_argument("--xla-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an XLA compiler option for our train step only (a DebugOptions field, e.g. "
                        "xla_cpu_experimental_ynn_fusion_type= for Eigen dots); repeatable. Booleans: true/false")
    p.add_argument("--malloc", choices=("retain", "system"), default="retain",
                   help="host memory reuse for both sides (see the module docstring); applied at start-up")
    common.add_threads_flag(p)
    return p.parse_args(argv)


def model_overrides(pairs: list[str]) -> dict:
    """--model FIELD=VALUE pairs -> ModelConfig overrides, each value typed like the field's default."""
    defaults = {f.name: f.default for f in dataclasses.fields(M.ModelConfig)}
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in defaults:
            raise SystemExit(f"--model {pair!r}: expected FIELD=VALUE with FIELD one of the ModelConfig fields "
                             f"{sorted(defaults)}")
        kind = type(defaults[name])
        try:
            out[name] = (value.lower() in ("1", "true", "yes")) if kind is bool else kind(value)
        except ValueError:
            raise SystemExit(f"--model {pair!r}: {name} takes a {kind.__name__}") from None
    return out


def xla_options(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("xla_"):
            raise SystemExit(f"--xla-option {pair!r}: expected xla_FIELD=VALUE")
        out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def presets_to_run(args, jax_backend: str) -> list[tuple[str, str]]:
    """(preset, dtype) pairs. `all` adds the ~1B preset in bfloat16 on a GPU, where MFU is meaningful."""
    if args.preset != "all":
        return [(p.strip(), args.dtype) for p in args.preset.split(",") if p.strip()]
    runs = [(p, args.dtype) for p in CPU_PRESETS]
    if jax_backend == "gpu":
        runs.append((GPU_PRESET, "bfloat16"))
    return runs


def optimizer_config(args):
    """The training section both sides follow. Constant lr after a one-step warmup: the schedule costs nothing on
    either side, so it is kept out of the comparison (torch gets the same constant lr)."""
    from configs.common import train_section
    t = train_section(steps=1000, lr=args.lr, batch_size=args.batch, seq_len=args.seq, mixture={"general": 1.0})
    with t.unlocked():
        t.schedule, t.warmup_steps = "constant", 1
    return t


def random_batch(cfg: M.ModelConfig, batch: int, seq: int, seed: int) -> np.ndarray:
    if seq > cfg.max_seq_len:
        raise ValueError(f"--seq {seq} exceeds the preset's max_seq_len {cfg.max_seq_len}")
    return np.random.default_rng(seed).integers(0, cfg.vocab_size, (batch, seq), dtype=np.int32)


# --------------------------------------------------------------------------------------------------------- ours

class OursTrainer:
    """One jitted train step per call, the state donated; blocks on the new state (a training loop reads the step's
    metrics before the next one, so dispatch is not hidden behind the following step)."""

    def __init__(self, cfg: M.ModelConfig, params, t_cfg, tokens_BT: np.ndarray, seed: int,
                 compiler_options: dict | None = None):
        tx = make_optimizer(t_cfg)
        B, T = tokens_BT.shape
        self.batch = jax.device_put({
            "tokens": tokens_BT,
            "segment_ids": np.ones((B, T), np.int32),
            "positions": np.broadcast_to(np.arange(T, dtype=np.int32), (B, T)).copy(),
            "loss_mask": np.ones((B, T), np.int32),
        })
        self.state = TrainState(jnp.zeros((), jnp.int32), params, jax.jit(tx.init)(params),
                                jax.random.key_data(jax.random.key(seed)))
        self.rng = jax.random.key(seed)
        step = jax.jit(functools.partial(train_step, cfg=cfg, tx=tx), donate_argnums=0)
        # Compiled ahead so that XLA options (--xla-option) apply to this program alone.
        self.step = step.lower(self.state, self.batch, self.rng).compile(compiler_options=compiler_options or None)
        self.first_loss: float | None = None

    def compiled_text(self) -> str:
        return self.step.as_text()

    def __call__(self) -> None:
        self.state, metrics = self.step(self.state, self.batch, self.rng)
        jax.block_until_ready((self.state, metrics))
        if self.first_loss is None:
            self.first_loss = float(metrics["loss"])


# -------------------------------------------------------------------------------------------------------- torch

class TorchTrainer:
    """The same training in transformers + PyTorch: HF model from our export, torch AdamW, eager by default."""

    def __init__(self, hf_dir: str, t_cfg, tokens_BT: np.ndarray, dtype: str, device: str, compile_model: bool):
        import torch
        from transformers import AutoModelForCausalLM
        self.torch = torch
        model = AutoModelForCausalLM.from_pretrained(hf_dir, dtype=torch.float32).to(device)
        model.train()
        # No weight decay on 1-D tensors (norm scales, biases), like midalign_jax.train.optimizer.decay_mask.
        decay = [p for p in model.parameters() if p.ndim >= 2]
        no_decay = [p for p in model.parameters() if p.ndim < 2]
        self.params = list(model.parameters())
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": float(t_cfg.weight_decay)},
                                      {"params": no_decay, "weight_decay": 0.0}],
                                     lr=float(t_cfg.lr), betas=(float(t_cfg.b1), float(t_cfg.b2)),
                                     eps=float(t_cfg.eps))
        self.clip = float(t_cfg.grad_clip)
        self.model = torch.compile(model) if compile_model else model
        self.tokens = torch.from_numpy(tokens_BT.astype(np.int64)).to(device)
        self.autocast = (torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
                         if dtype == "bfloat16" else None)
        self.sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
        self.first_loss: float | None = None

    def _loss(self):
        return self.model(input_ids=self.tokens, labels=self.tokens).loss  # HF shifts labels itself

    def __call__(self) -> None:
        if self.autocast is not None:
            with self.autocast:
                loss = self._loss()
        else:
            loss = self._loss()
        loss.backward()
        if self.clip > 0:
            self.torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.sync()
        if self.first_loss is None:
            self.first_loss = float(loss.detach())


# ---------------------------------------------------------------------------------------------------------- run

def bench_preset(preset: str, dtype: str, args, torch_device: str, watch, peaks) -> dict:
    cfg = presets.model_config(preset, dtype=dtype, param_dtype="float32")
    ours_cfg = dataclasses.replace(cfg, **model_overrides(args.model))
    steps = args.steps or DEFAULT_STEPS.get(preset, 10)
    t_cfg = optimizer_config(args)
    tokens_BT = random_batch(cfg, args.batch, args.seq, args.seed)
    params = M.init_params(cfg, jax.random.key(args.seed))
    common.log(f"{preset}: {cfg.num_params() / 1e6:.1f}M params, {dtype}, {steps} timed steps per side")
    with tempfile.TemporaryDirectory(prefix=f"bench-{preset}-") as hf_dir:
        save_hf(hf_dir, cfg, params)
        theirs = TorchTrainer(hf_dir, t_cfg, tokens_BT, dtype, torch_device, args.torch_compile)
    runners = {}
    if args.compare:
        variant_cfg = dataclasses.replace(ours_cfg, **model_overrides(args.compare))
        runners["variant"] = OursTrainer(variant_cfg, jax.tree.map(jnp.copy, params), t_cfg, tokens_BT, args.seed,
                                         xla_options(args.xla_option))
    ours = OursTrainer(ours_cfg, params, t_cfg, tokens_BT, args.seed, xla_options(args.xla_option))
    del params  # donated into the train state
    runners = {"ours": ours, "torch": theirs, **runners}
    warm_rounds, steady = common.warm_until_steady(runners, min_rounds=args.warmup, max_rounds=args.max_warmup,
                                                   log=common.log)
    faults: dict[str, list[int]] = {}
    with watch.timed():
        times = common.interleaved(runners, rounds=steps, warmup=0, log=common.log, faults=faults)
    for name, runner in runners.items():
        if not np.isclose(runner.first_loss, theirs.first_loss, rtol=2e-2):
            raise RuntimeError(f"{preset}: first-step loss differs ({name} {runner.first_loss:.4f}, torch "
                               f"{theirs.first_loss:.4f}): the two sides are not training the same model")
    peak, peak_source = common.peak_for_mfu(dtype, peaks)
    tokens_per_step = args.batch * args.seq
    flops_per_token = flops.flops_per_token(cfg, args.seq, training=True)
    out = {"preset": preset, "dtype": dtype, "params": cfg.num_params(), "peak": peak, "peak_source": peak_source,
           "first_loss": (ours.first_loss, theirs.first_loss), "steps": steps, "warmup": warm_rounds,
           "steady": steady}
    for side, ts in times.items():
        step_s = common.median(ts)
        tps = tokens_per_step / step_s
        out[side] = {"step_ms": step_s * 1e3, "spread": common.spread(ts), "tokens_per_s": tps,
                     "mfu": flops_per_token * tps / peak, "faults": int(common.median(faults[side]))}
    out["ratio"] = out["ours"]["tokens_per_s"] / out["torch"]["tokens_per_s"]
    if "variant" in out:
        out["variant_ratio"] = out["variant"]["tokens_per_s"] / out["torch"]["tokens_per_s"]
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    jax_backend = common.backend()
    torch_device = common.torch_device_for(jax_backend)
    threads = common.set_torch_threads(THREADS)
    watch, peaks = common.start_machine_report(torch_device)
    if args.torch_compile and jax_backend == "cpu":
        common.log("note: torch.compile on CPU needs a C++ compiler; the first round compiles")
    results = [bench_preset(p, d, args, torch_device, watch, peaks) for p, d in presets_to_run(args, jax_backend)]
    watch.finish()

    torch_name = "transformers+torch.compile" if args.torch_compile else "transformers+torch"
    print(f"train step throughput: batch {args.batch} x seq {args.seq}; median step time over "
          f"{'/'.join(str(r['steps']) for r in results)} timed steps per side (alternating, after "
          f"{'/'.join(str(r['warmup']) for r in results)} warm-up rounds: at least {args.warmup}, until no step "
          f"faulted in new host pages)")
    for r in results:
        if not r["steady"]:
            print(f"note: {r['preset']} {r['dtype']}: steps still faulted in host pages after {r['warmup']} warm-up "
                  f"rounds (see the page-fault column)")
    print(f"device: {common.describe_device()}; torch threads {threads}, torch device {torch_device}; "
          f"host memory: {MALLOC}; XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    if args.model or args.xla_option:
        print(f"our ModelConfig overrides: {', '.join(args.model) or 'none'}; our XLA options: "
              f"{', '.join(args.xla_option) or 'none'}")
    variant_name = f"midalign_jax, {', '.join(args.compare)}"
    if args.compare:
        print(f"compared: {variant_name} (the same step with these overrides, timed in the same rounds)")
    for peak_line in sorted({f"MFU peak {r['dtype']}: {r['peak'] / 1e9:,.1f} GFLOP/s ({r['peak_source']})"
                             for r in results}):
        print(peak_line)
    rows = []
    for r in results:
        sides = (("ours", "midalign_jax (jit)", "ratio"), ("variant", variant_name, "variant_ratio"),
                 ("torch", torch_name, None))
        for side, name, ratio in sides:
            if side not in r:
                continue
            s = r[side]
            rows.append([r["preset"], f"{r['params'] / 1e6:.1f}M", r["dtype"], name, s["step_ms"], s["spread"],
                         s["tokens_per_s"], f"{100 * s['mfu']:.1f}%", s["faults"],
                         f"{r[ratio]:.2f}x" if ratio else ""])
    print(common.format_table(["preset", "params", "dtype", "framework", "step ms", "spread", "tokens/s", "MFU",
                               "page faults / step", "ours/torch"], rows))
    for r in results:
        print(f"first-step loss {r['preset']}: ours {r['first_loss'][0]:.4f}, torch {r['first_loss'][1]:.4f}")
    if jax_backend == "cpu":
        short = [r for r in results if r["dtype"] == "float32" and r["ratio"] < TARGET]
        for r in short:
            print(f"target not met: {r['preset']} float32 {r['ratio']:.2f}x < {TARGET:.1f}x torch; ours runs at "
                  f"{100 * r['ours']['mfu']:.0f}% of the measured float32 matmul peak (bench/README.md, 'Roofline')")
    worst = min(results, key=lambda r: r["ratio"])
    names = "+".join(r["preset"] for r in results)
    detail = (f"{names} preset{'s' if len(results) > 1 else ''}, batch {args.batch}, seq {args.seq}, "
              f"{jax_backend}" + (f"; min over presets: {worst['preset']}" if len(results) > 1 else ""))
    if args.dtype != "float32" or any(r["dtype"] != "float32" for r in results):
        detail += f"; {'/'.join(sorted({r['dtype'] for r in results}))}"
    print(watch.mark(common.speedup_line(worst["ratio"], torch_name, detail)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
