"""The machine a benchmark ran on: its CPU, what else was using it, and what its matmuls reach in each framework.

A side-by-side ratio is only the figure when nothing else competes for the cores: under load, torch's thread pool
(whose threads wait for each other at every op) loses far more than XLA's, and the ratio flatters us by 2-3x. So
every benchmark samples the machine before and after its timed part and while it runs, and marks its `speedup:`
line "(loaded machine)" when

- the 1-minute load average was above `LOAD_LIMIT` when the benchmark started, or
- processes other than this one (and its children), or the hypervisor (steal time), used more than
  `OTHER_CORES_LIMIT` of a core in a sample before or after the timed part, or on average during it.

The CPU accounting is Linux's (/proc/stat for the whole machine, /proc/<pid>/stat per process); elsewhere only
the load average is checked.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import statistics
import time
from pathlib import Path

LOAD_LIMIT = 1.0
OTHER_CORES_LIMIT = 0.2
LOADED_TAG = "(loaded machine)"
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, steal) jiffies of all CPUs since boot; busy leaves out idle, iowait and steal."""
    try:
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (f + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal


def _processes() -> dict[int, tuple[str, int, int]]:
    """pid -> (command name, parent pid, user + system jiffies) of every process we may read."""
    out = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        out[int(entry.name)] = (name, int(rest[1]), int(rest[11]) + int(rest[12]))
    return out


def _own_pids(procs: dict[int, tuple[str, int, int]]) -> set[int]:
    """This process and its live descendants (tokenizer or compiler workers count as ours)."""
    own, grew = {os.getpid()}, True
    while grew:
        kids = {pid for pid, (_, ppid, _) in procs.items() if ppid in own} - own
        grew, own = bool(kids), own | kids
    return own


def _own_jiffies(procs) -> int:
    t = os.times()  # includes children this process has waited for, which /proc no longer lists
    waited = (t.children_user + t.children_system) * _HZ
    return int(waited) + sum(procs[p][2] for p in _own_pids(procs) if p in procs)


@dataclasses.dataclass
class Sample:
    """Other processes' CPU use over an interval, in cores (1.0 = one core busy all the time)."""
    load1: float
    other_cores: float | None       # None where /proc is not available
    steal_cores: float | None
    busiest: list[tuple[int, str, float]]   # (pid, name, cores) of the other processes that used the most

    def describe(self) -> str:
        if self.other_cores is None:
            return f"1-min load average {self.load1:.2f} (no /proc: other processes not measured)"
        top = ", ".join(f"pid {pid} {name} {100 * c:.0f}%" for pid, name, c in self.busiest) or "none busy"
        return (f"1-min load average {self.load1:.2f}; other processes {self.other_cores:.2f} cores ({top}); "
                f"steal {self.steal_cores:.2f} cores")


class _Counter:
    """CPU jiffies of the machine and of this process at one moment."""

    def __init__(self, with_procs: bool = False):
        self.t = time.perf_counter()
        self.machine = _machine_jiffies()
        self.procs = _processes() if self.machine is not None else {}
        self.own = _own_jiffies(self.procs) if self.machine is not None else 0
        if not with_procs:
            self.procs = {}

    def since(self, earlier: _Counter) -> Sample:
        if self.machine is None or earlier.machine is None:
            return Sample(load_average(), None, None, [])
        span = max(self.t - earlier.t, 1e-3) * _HZ
        busy = self.machine[0] - earlier.machine[0]
        other = max(0.0, (busy - (self.own - earlier.own)) / span)
        steal = max(0.0, (self.machine[1] - earlier.machine[1]) / span)
        own = _own_pids(self.procs)
        per = [(pid, name, (j - earlier.procs[pid][2]) / span) for pid, (name, _, j) in self.procs.items()
               if pid in earlier.procs and pid not in own]
        busiest = sorted((p for p in per if p[2] >= 0.05), key=lambda p: -p[2])[:3]
        return Sample(load_average(), other, steal, busiest)


def sample(seconds: float = 1.0) -> Sample:
    """What other processes do over the next `seconds` (this process should be idle meanwhile)."""
    start = _Counter(with_procs=True)
    time.sleep(seconds)
    return _Counter(with_procs=True).since(start)


class LoadWatch:
    """Samples the machine when created (before any work), around the timed part (`with watch.timed():`), and
    in `finish()`; `mark(line)` appends LOADED_TAG to a `speedup:` line when any of those saw load."""

    def __init__(self, log=print, seconds: float = 1.0):
        self.log = log
        self.start_load = load_average()
        self.before = sample(seconds)
        self.during: Sample | None = None
        self.after: Sample | None = None
        self.log(f"machine before: CPU {cpu_model()}, {os.cpu_count()} cores; {self.before.describe()}")

    @contextlib.contextmanager
    def timed(self):
        start = _Counter()
        try:
            yield
        finally:
            s = _Counter().since(start)
            self.during = s if self.during is None else _worse(self.during, s)

    def finish(self, seconds: float = 1.0) -> None:
        self.after = sample(seconds)
        during = (f"{self.during.other_cores:.2f} cores by other processes, {self.during.steal_cores:.2f} steal"
                  if self.during and self.during.other_cores is not None else "not measured")
        self.log(f"machine during the timed part: {during}")
        self.log(f"machine after: CPU {cpu_model()}; {self.after.describe()}")
        if self.loaded():
            self.log(f"LOADED MACHINE: {'; '.join(self.reasons())}. Ratios measured now flatter us (torch's "
                     f"thread pool suffers more under load); quote only a run without this line.")

    def reasons(self) -> list[str]:
        out = []
        if self.start_load > LOAD_LIMIT:
            out.append(f"1-min load average {self.start_load:.2f} at the start (limit {LOAD_LIMIT})")
        for name, s in (("before", self.before), ("during the timed part", self.during), ("after", self.after)):
            if s is not None and s.other_cores is not None:
                used = s.other_cores + (s.steal_cores or 0.0)
                if used > OTHER_CORES_LIMIT:
                    out.append(f"other processes used {used:.2f} cores {name} (limit {OTHER_CORES_LIMIT})")
        return out

    def loaded(self) -> bool:
        return bool(self.reasons())

    def mark(self, speedup_line: str) -> str:
        return f"{speedup_line} {LOADED_TAG}" if self.loaded() else speedup_line


def _worse(a: Sample, b: Sample) -> Sample:
    if a.other_cores is None or b.other_cores is None:
        return a
    return a if a.other_cores + a.steal_cores >= b.other_cores + b.steal_cores else b


# ------------------------------------------------------------------------------------------------ matmul peaks

def median_seconds(fn, reps: int) -> float:
    """Median wall time of `reps` calls of `fn`, after one untimed call (compilation, first-touch allocation)."""
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _median_rate(fn, flop: float, reps: int) -> float:
    return flop / median_seconds(fn, reps)


def jax_matmul(dtype: str, n: int = 1024, reps: int = 10) -> float:
    """FLOP/s, median of `reps` n x n matmuls. bfloat16: bf16 inputs with float32 accumulation and output (the
    form the model's projections use; on XLA:CPU a bf16-output dot is converted to float32 first, at a fraction
    of this rate)."""
    import jax
    import jax.numpy as jnp
    dt = jnp.bfloat16 if dtype == "bfloat16" else jnp.float32
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32).astype(dt)
    f = jax.jit(lambda x, y: jnp.dot(x, y, preferred_element_type=jnp.float32))
    return _median_rate(lambda: f(a, a).block_until_ready(), 2 * n**3, reps)


def torch_matmul(dtype: str, device: str = "cpu", n: int = 1024, reps: int = 10) -> float:
    import torch
    dt = torch.bfloat16 if dtype == "bfloat16" else torch.float32
    a = torch.randn((n, n), device=device).to(dt)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def run():
        a @ a
        sync()
    return _median_rate(run, 2 * n**3, reps)


@dataclasses.dataclass
class Peaks:
    """Measured matmul rates (FLOP/s) per (framework, dtype), and the peak MFU is stated against."""
    rates: dict[tuple[str, str], float]
    n: int

    def peak(self, dtype: str) -> float:
        return max(v for (_, d), v in self.rates.items() if d == dtype)

    def lines(self) -> list[str]:
        out = []
        for dtype in sorted({d for _, d in self.rates}):
            parts = ", ".join(f"{fw} {self.rates[(fw, dtype)] / 1e9:,.0f}" for fw in ("jax", "torch")
                              if (fw, dtype) in self.rates)
            out.append(f"matmul peak {dtype} ({self.n}x{self.n}, median of 10): {parts} GFLOP/s; MFU below is "
                       f"against the larger, {self.peak(dtype) / 1e9:,.0f} GFLOP/s")
        return out


def matmul_peaks(torch_device: str | None = "cpu", dtypes=("float32", "bfloat16"), n: int = 1024) -> Peaks:
    """Both frameworks' float32 and bfloat16 matmul rates on this machine (torch skipped when not installed or
    `torch_device` is None)."""
    rates = {}
    for dtype in dtypes:
        rates[("jax", dtype)] = jax_matmul(dtype, n)
        if torch_device is not None:
            try:
                rates[("torch", dtype)] = torch_matmul(dtype, torch_device, n)
            except ImportError:
                pass
    return Peaks(rates, n)
