"""Where a train step's time goes, ours and torch's, measured three ways that fail differently.

    python bench/profile_train.py --preset small                     # all three parts, batch 8 x seq 256
    python bench/profile_train.py --preset smollm2-135m --parts step,floor --steps 2
    python bench/profile_train.py --preset small --threads 1 --parts trace

- `step`:  each side's step time (wall and process CPU time) and host page faults per step, after warm-up (until a
           step faults in no new host pages, bench/common.py warm_until_steady). CPU
           time over wall time shows how well a side keeps its cores busy; page faults show host memory churn
           (each fault zero-fills a 4 KiB page; see midalign_jax/host_memory.py).
- `floor`: every matmul of the step (forward, input and weight gradients of each projection, the LM head, the
           attention products) timed alone in both frameworks, in CPU time, summed over layers: the matmul floor
           of a step. Step CPU time minus the floor is what the rest (attention softmax, norms, RoPE, MLP
           activation, loss, optimizer, layout copies) costs.
- `trace`: ours under `jax.profiler` (per-HLO-op times, grouped into forward / backward / optimizer x matmul /
           other by the op's name) and torch under `torch.profiler` (its top ops). Profiler events add overhead per
           op and a loaded machine stretches whatever op is running when a core is taken away, so small ops look
           dearer than they are: read the trace for the large items, and the floor for the split.

Run it on a quiet machine (it prints the machine's state like the throughput benchmarks do).
"""
from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_throughput as tt  # noqa: E402  (applies --threads and --malloc before JAX and torch start)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

common = tt.common
from midalign_jax import model as M  # noqa: E402
from midalign_jax.hf import save_hf  # noqa: E402
from midalign_jax.model import presets  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="small")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    p.add_argument("--parts", default="step,floor,trace", help="comma-separated from step, floor, trace")
    p.add_argument("--steps", type=int, default=3, help="timed steps per side in `step`")
    p.add_argument("--top", type=int, default=20, help="rows of the trace tables")
    p.add_argument("--malloc", choices=("retain", "system"), default="retain")
    common.add_threads_flag(p)
    args = p.parse_args(argv)
    args.lr, args.seed = 1e-3, 0
    return args


def step_part(ours, theirs, steps: int, flop_per_step: float) -> None:
    rows = []
    for name, fn in (("midalign_jax (jit)", ours), ("transformers+torch", theirs)):
        common.warm_until_steady({name: fn}, min_rounds=1, max_rounds=8)   # until no step faults in new pages
        wall, cpu, faults = [], [], []
        for _ in range(steps):
            f0, c0, w0 = common.page_faults(), time.process_time(), time.perf_counter()
            fn()
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
            faults.append(common.page_faults() - f0)
        w, c = statistics.median(wall), statistics.median(cpu)
        rows.append([name, w * 1e3, c * 1e3, c / w, flop_per_step / c / 1e9, int(statistics.median(faults))])
    print(common.format_table(["side", "step ms (wall)", "step ms (CPU)", "CPU / wall", "GFLOP/s per CPU-s",
                               "page faults / step"], rows))


def matmul_list(cfg: M.ModelConfig, B: int, T: int):
    """(name, count per step, lhs shape, rhs shape, einsum) of every matmul of a training step."""
    D, F, V, N, K, H, L = (cfg.d_model, cfg.d_ff, cfg.vocab_size, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim,
                           cfg.n_layers)
    rows, BT, G = [], B * T, N // K
    proj = [("q", D, N * H), ("k", D, K * H), ("v", D, K * H), ("o", N * H, D), ("up", D, F), ("down", F, D)]
    if cfg.mlp == "swiglu":
        proj.append(("gate", D, F))
    for name, i, o in proj:
        rows += [(f"{name} forward", L, (BT, i), (i, o), "mi,io->mo"),
                 (f"{name} input grad", L, (BT, o), (i, o), "mo,io->mi"),
                 (f"{name} weight grad", L, (i, BT), (BT, o), "im,mo->io")]
    head = ((V, D), "mv,vd->md") if cfg.tie_embeddings else ((D, V), "mv,dv->md")
    rows += [("head forward", 1, (BT, D), (D, V), "md,dv->mv"), ("head input grad", 1, (BT, V), *head),
             ("head weight grad", 1, (D, BT), (BT, V), "dm,mv->dv")]
    # Full (unblocked) attention products; the causal kernel computes about 5/8 of these at 4 query blocks.
    rows += [("attention scores (fwd + recompute)", 2 * L, (B * K, G * T, H), (B * K, T, H), "bth,bsh->bts"),
             ("attention probs x V", L, (B * K, G * T, T), (B * K, T, H), "bts,bsh->bth"),
             ("attention dP", L, (B * K, G * T, H), (B * K, T, H), "bth,bsh->bts"),
             ("attention dQ", L, (B * K, G * T, T), (B * K, T, H), "bts,bsh->bth"),
             ("attention dK, dV", 2 * L, (B * K, H, G * T), (B * K, G * T, T), "bht,bts->bhs")]
    return rows


def floor_part(cfg, B, T, dtype: str) -> None:
    import torch
    rng = np.random.default_rng(0)
    jdt, tdt = (jnp.bfloat16, torch.bfloat16) if dtype == "bfloat16" else (jnp.float32, torch.float32)
    out, tot = [], {"jax": 0.0, "torch": 0.0}
    flop_total = 0.0
    for name, count, ls, rs, spec in matmul_list(cfg, B, T):
        a, b = rng.standard_normal(ls, dtype=np.float32), rng.standard_normal(rs, dtype=np.float32)
        sizes = dict(zip(spec.split("->")[0].replace(",", ""), ls + rs))
        flop = 2.0 * np.prod([sizes[c] for c in sizes])
        ja, jb = jnp.asarray(a, jdt), jnp.asarray(b, jdt)
        f = jax.jit(lambda x, y, s=spec: jnp.einsum(s, x, y, preferred_element_type=jnp.float32))
        ta, tb = torch.from_numpy(a).to(tdt), torch.from_numpy(b).to(tdt)
        runs = {"jax": lambda: f(ja, jb).block_until_ready(), "torch": lambda: torch.einsum(spec, ta, tb)}
        secs = {}
        for side, fn in runs.items():
            fn()
            ts = []
            for _ in range(5):
                c0 = time.process_time()
                fn()
                ts.append(time.process_time() - c0)
            secs[side] = statistics.median(ts)
            tot[side] += count * secs[side]
        flop_total += count * flop
        out.append([name, count, f"{ls}x{rs}", flop / secs["jax"] / 1e9, flop / secs["torch"] / 1e9])
    print(common.format_table(["matmul", "per step", "shapes", "jax GFLOP/s (CPU)", "torch GFLOP/s (CPU)"], out))
    print(f"matmul floor ({dtype}): {flop_total / 1e9:,.0f} GFLOP per step; jax {tot['jax'] * 1e3:,.0f} ms CPU "
          f"({flop_total / tot['jax'] / 1e9:.0f} GFLOP/s), torch {tot['torch'] * 1e3:,.0f} ms CPU "
          f"({flop_total / tot['torch'] / 1e9:.0f} GFLOP/s)")


def _hlo_ops(hlo: str) -> dict[str, tuple[str, str, bool]]:
    """HLO instruction name -> (shape, op_name metadata, is a matmul)."""
    out = {}
    for line in hlo.splitlines():
        m = re.match(r"\s*(?:ROOT )?%([\w.\-]+) = (\S+?)(?:\{[^}]*\})? (\w+)\(", line)
        if m:
            opn = re.search(r'op_name="([^"]*)"', line)
            name = opn.group(1) if opn else ""
            out[m.group(1)] = (m.group(2), name, "dot_general" in name.rsplit("/", 1)[-1] or m.group(3) == "dot")
    return out


def trace_part(ours, theirs, top: int) -> None:
    ops = _hlo_ops(ours.compiled_text())
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as d:
        options = jax.profiler.ProfileOptions()
        options.python_tracer_level = 0
        with jax.profiler.trace(d, create_perfetto_trace=True, profiler_options=options):
            for _ in range(2):
                ours()
        events = json.load(gzip.open(glob.glob(f"{d}/**/*.trace.json.gz", recursive=True)[0]))["traceEvents"]
    per_op = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("name") in ops:
            per_op[e["name"]] += e["dur"] / 2e3
    groups = collections.Counter()
    for name, ms in per_op.items():
        _, op_name, is_dot = ops[name]
        phase = "backward" if "transpose(" in op_name else "forward" if "jvp(" in op_name else "optimizer/other"
        groups[(phase, "matmul" if is_dot else "other")] += ms
    total = sum(groups.values())
    print(f"ours, jax.profiler: {total:,.0f} ms of op time per step")
    print(common.format_table(["phase", "kind", "ms", "share"],
                              [[p, k, v, f"{100 * v / total:.1f}%"] for (p, k), v in groups.most_common()]))
    print(common.format_table(["ms", "op", "shape", "from"],
                              [[v, n, ops[n][0], ops[n][1][-70:]] for n, v in per_op.most_common(top)]))
    import torch.profiler as tp
    with tp.profile(activities=[tp.ProfilerActivity.CPU]) as prof:
        for _ in range(2):
            theirs()
    print("torch, torch.profiler (self CPU time, 2 steps):")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top, max_name_column_width=40))


def main(argv=None) -> int:
    args = parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    common.set_torch_threads(tt.THREADS)
    watch, peaks = common.start_machine_report("cpu")
    print(f"device: {common.describe_device()}; host memory: {tt.MALLOC}")
    cfg = presets.model_config(args.preset, dtype=args.dtype, param_dtype="float32")
    tokens = tt.random_batch(cfg, args.batch, args.seq, 0)
    flop_per_step = tt.flops.flops_per_token(cfg, args.seq, training=True) * args.batch * args.seq
    with watch.timed():
        if parts & {"step", "trace"}:
            params = M.init_params(cfg, jax.random.key(0))
            with tempfile.TemporaryDirectory(prefix="bench-profile-") as hf_dir:
                save_hf(hf_dir, cfg, params)
                theirs = tt.TorchTrainer(hf_dir, tt.optimizer_config(args), tokens, args.dtype, "cpu", False)
            ours = tt.OursTrainer(cfg, params, tt.optimizer_config(args), tokens, 0)
            if "step" in parts:
                step_part(ours, theirs, args.steps, flop_per_step)
            if "trace" in parts:
                trace_part(ours, theirs, args.top)
        if "floor" in parts:
            floor_part(cfg, args.batch, args.seq, args.dtype)
    watch.finish()
    if watch.loaded():
        print("profile taken on a loaded machine: op times are stretched unevenly; rerun on a quiet one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
