"""Keep freed host memory in the process (glibc only), for CPU training.

A CPU train step frees and reallocates tens to hundreds of MB of activations every step. With glibc's defaults,
large blocks are mmapped and returned to the kernel when freed, so every step page-faults its buffers in again
and the kernel zero-fills each page (on the tiny preset this was ~30% of a step). Keeping every block in the heap
(no mmapped blocks at all, M_MMAP_MAX 0: a raised M_MMAP_THRESHOLD alone still mmaps blocks above it, such as the
multi-GB temporary buffer of a SmolLM2-135M-sized step, which then took 817k page faults and ~30% of the step)
and never trimming the heap (M_TRIM_THRESHOLD -1) keeps freed blocks for reuse. Call it before JAX or torch start
their threads (M_ARENA_MAX only applies to arenas created afterwards).
"""
from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -3, -4, -8


def retain_freed_memory() -> str:
    """Applies the mallopt settings; returns what was applied, for logs and benchmark tables."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "system defaults (no glibc)"
    ok = (libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(_M_MMAP_MAX, 0)
          and libc.mallopt(_M_TRIM_THRESHOLD, -1) and libc.mallopt(_M_ARENA_MAX, 1))
    return "retain freed memory (glibc mallopt)" if ok else "system defaults (mallopt refused)"
