"""Shared pieces of the throughput benchmarks: interleaved timing, medians, the device and its peak, the table
and the one `speedup:` line that outside scripts read.

Every benchmark times ours and the alternative in alternating rounds inside one process, after warm-up, so that
background load and frequency changes hit both sides alike; the figure is the ratio of medians.
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

# Scripts run as `python bench/x.py`: make the repository importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import machine  # noqa: E402  (bench/machine.py)

SPEEDUP_RE = re.compile(r"^speedup: (?P<ratio>[0-9.]+)x vs (?P<rest>.+)$")


# ----------------------------------------------------------------------------------------------------- threads

def pin_cpu_threads(argv: Sequence[str]) -> int:
    """Applies `--threads N` (read from argv; default: every core this process may use) by restricting the
    process to its first N cores. Call it before importing JAX or torch: XLA sizes its CPU thread pool from the
    cores it may run on, and torch gets `set_torch_threads(N)`. Fewer threads than cores make a loaded machine
    fairer to both sides (a thread pool whose threads wait on each other at every op suffers most when another
    process takes one of its cores)."""
    import argparse
    available = (sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                 else list(range(os.cpu_count() or 1)))
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--threads", type=int, default=len(available))
    n = parser.parse_known_args(list(argv))[0].threads
    if not 1 <= n <= len(available):
        raise SystemExit(f"--threads {n}: this process may use {len(available)} cores; pick 1..{len(available)}")
    if n < len(available):
        os.sched_setaffinity(0, set(available[:n]))
    return n


def add_threads_flag(parser) -> None:
    """The `--threads` option, for --help; its value is applied earlier by `pin_cpu_threads`."""
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU cores (and torch threads) for both sides; default: all this process may use")


# ------------------------------------------------------------------------------------------------------ timing

def timed(fn: Callable[[], object]) -> float:
    """Seconds one call takes; `fn` must block until its work is done (block_until_ready / a host value)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def page_faults() -> int:
    """Page faults of this process so far (each one maps, and the kernel zero-fills, a 4 KiB page)."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


# A warm-up round whose calls each fault in fewer pages than this (4 MiB) counts as steady.
STEADY_FAULTS = 1024


def warm_until_steady(runners: dict[str, Callable[[], object]], *, min_rounds: int, max_rounds: int,
                      log: Callable[[str], None] | None = None) -> tuple[int, bool]:
    """Untimed rounds, alternating runners as the timed rounds will, until every runner's call in a round faults
    in fewer than STEADY_FAULTS pages (at least `min_rounds`, at most `max_rounds`); returns (rounds, steady).

    Both sides share this process's heap. A large step (SmolLM2-135M: ~5 GB of temporaries) grows the heap for
    its first calls, and the other side's allocations in between fragment it again, so for several rounds a call
    spends seconds zero-filling pages it will reuse forever after; timing those rounds measures the allocator."""
    for r in range(1, max_rounds + 1):
        worst = 0
        for name, fn in runners.items():
            f0 = page_faults()
            fn()
            faults = page_faults() - f0
            worst = max(worst, faults)
            if log:
                log(f"  warm-up {r}: {name} faulted {faults} pages")
        if r >= min_rounds and worst < STEADY_FAULTS:
            return r, True
    return max_rounds, False


def interleaved(runners: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 1,
                log: Callable[[str], None] | None = None,
                faults: dict[str, list[int]] | None = None) -> dict[str, list[float]]:
    """Seconds per call of each runner, `rounds` timings each, alternating runners within every round (and
    reversing the order every other round, so neither side always runs right after the other's cache churn).
    Each runner is called `warmup` times first (compilation, allocator and thread-pool start-up). `faults`, when
    given, receives each timed call's page faults per runner."""
    if rounds < 1:
        raise ValueError(f"rounds={rounds}; need at least 1 timed round")
    for name, fn in runners.items():
        for _ in range(warmup):
            fn()
        if log:
            log(f"  warmed up {name}")
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            f0 = page_faults()
            times[name].append(timed(runners[name]))
            if faults is not None:
                faults.setdefault(name, []).append(page_faults() - f0)
        if log:
            log(f"  round {r + 1}/{rounds}: " + ", ".join(f"{n} {times[n][-1] * 1e3:.1f} ms" for n in names))
    return times


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def spread(xs: Sequence[float]) -> str:
    """min-max of the timings relative to the median, e.g. '±4%', so noisy runs show up as such."""
    m = median(xs)
    return f"±{100 * max(m - min(xs), max(xs) - m) / m:.0f}%" if m > 0 else "n/a"


# ------------------------------------------------------------------------------------------------------ device

def backend() -> str:
    """'cpu' | 'gpu' | 'tpu': where JAX runs, which is also where the alternative is put."""
    import jax
    return jax.default_backend()


def describe_device() -> str:
    """One line naming the accelerator (or CPU model and core count) and the software versions."""
    import jax
    dev = jax.devices()[0]
    if dev.platform == "cpu":
        used = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        what = f"CPU {machine.cpu_model()}, {os.cpu_count()} cores ({used} used)"
    else:
        what = f"{jax.device_count()} x {dev.device_kind}"
    versions = [f"jax {jax.__version__}"]
    try:
        import torch
        import transformers
        versions += [f"torch {torch.__version__}", f"transformers {transformers.__version__}"]
    except ImportError:
        pass
    return f"{what}; python {platform.python_version()}, " + ", ".join(versions)


def peak_for_mfu(dtype: str, peaks) -> tuple[float, str]:
    """(FLOP/s, source) that MFU is stated against: on accelerators with a published dense bf16 figure, that
    figure; otherwise the faster of the two frameworks' measured matmuls in this dtype (`machine.matmul_peaks`),
    so that neither side is judged against a rate only the other can reach."""
    from midalign_jax.model import flops
    peak, source = flops.device_peak_flops(dtype)
    if not source.startswith("measured"):
        return peak, source
    return peaks.peak(dtype), f"measured {dtype} {peaks.n}x{peaks.n} matmul, the faster of jax and torch"


def start_machine_report(torch_device: str | None = "cpu", log_fn=None):
    """The `LoadWatch` (prints the machine's state now, before any work) and both frameworks' matmul peaks,
    whose lines are printed too. Call it first thing in main()."""
    out = log_fn or (lambda line: print(line, flush=True))
    watch = machine.LoadWatch(log=out)
    n = 4096 if backend() != "cpu" else 1024
    peaks = machine.matmul_peaks(torch_device, n=n)
    for line in peaks.lines():
        out(line)
    return watch, peaks


def torch_device_for(jax_backend: str) -> str:
    """Where the torch baseline runs: CUDA when JAX is on a GPU (and torch sees one), else the CPU."""
    import torch
    if jax_backend == "gpu":
        if not torch.cuda.is_available():
            raise RuntimeError("JAX runs on a GPU but this torch build sees no CUDA device; install a CUDA torch "
                               "so both sides run on the same device")
        return "cuda"
    return "cpu"


def set_torch_threads(n: int | None = None) -> int:
    """torch intra-op threads = `n`, default the cores this process may use (after `pin_cpu_threads`, the same
    cores JAX uses), so both sides get the same cores."""
    import torch
    if n is None:
        n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(n)
    return n


# ------------------------------------------------------------------------------------------------------ output

def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into bench/README.md); numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows) for i in range(len(headers))]

    def line(r):
        return "| " + " | ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))) + " |"
    sep = "| " + " | ".join(("-" * (w - 1) + ":") if numeric[i] else "-" * w for i, w in enumerate(widths)) + " |"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _cell(v) -> str:
    if isinstance(v, float):
        if v == 0 or abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return str(v)


def speedup_line(ratio: float, versus: str, detail: str) -> str:
    """The benchmark's last line, e.g. `speedup: 1.83x vs transformers+torch (tiny preset, batch 8, seq 256, cpu)`.
    `ratio` is ours / theirs in throughput (above 1: ours is faster)."""
    if not ratio > 0:
        raise ValueError(f"speedup ratio must be positive, got {ratio}")
    line = f"speedup: {ratio:.2f}x vs {versus} ({detail})"
    assert SPEEDUP_RE.match(line), line
    return line


def parse_speedup(text: str) -> float:
    """The ratio from a benchmark's output (its last `speedup:` line); for scripts that collect results."""
    found = [m for m in (SPEEDUP_RE.match(line.strip()) for line in text.splitlines()) if m]
    if not found:
        raise ValueError("no line of the form 'speedup: <ratio>x vs <what> (<details>)' in the output")
    return float(found[-1]["ratio"])


def log(msg: str) -> None:
    """Progress to stderr, so stdout holds only the results (table and speedup line)."""
    print(msg, file=sys.stderr, flush=True)
