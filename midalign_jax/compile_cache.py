"""XLA's persistent compilation cache: compiled programs kept on disk and loaded by the next process that needs
the same program (the next arm of a study, a resumed run, `python -m evals` on another checkpoint).

Why it is on by default: on the tiny preset most of an arm's time outside the train steps is compilation, not
computation. Measured on a 2-core CPU (the eval suite on one post-trained checkpoint, a fresh process): MCQA
78 s, of which 67 s compiling 36 programs; capabilities 43 s, of which 32 s compiling. With the programs on disk
from an earlier process, the same calls took 15 s and 12 s. Every arm of a study compiles the same programs
(same model shape, same item files), so only the first run pays.

JAX keys an entry on the program, the JAX and XLA versions, the backend and its flags, so a stale entry is
never loaded. Programs with our BLAS custom call are cached like any other: the call names its handler, which
`midalign_jax.kernels` registers in every process before it runs.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import jax

log = logging.getLogger(__name__)

# Programs that compile faster than this are not written: reading one back costs a few milliseconds, and the
# smallest programs (a gather, a reshape) would fill the directory for nothing.
MIN_COMPILE_SECONDS = 0.3
OFF = ("none", "off")


def resolve(setting: str | os.PathLike | None, cache_root: str | os.PathLike) -> Path | None:
    """`setting` as a directory: "" or None = `cache_root`/xla; "none" or "off" = no cache; else the path."""
    text = str(setting or "").strip()
    if text.lower() in OFF:
        return None
    return Path(text).expanduser() if text else Path(cache_root).expanduser() / "xla"


def enable(setting: str | os.PathLike | None, cache_root: str | os.PathLike, *,
           min_compile_seconds: float = MIN_COMPILE_SECONDS) -> Path | None:
    """Turns the cache on (see `resolve`) unless JAX already has a cache directory (set by the user through
    JAX_COMPILATION_CACHE_DIR or jax.config), which wins. Returns the directory in use, or None."""
    existing = jax.config.jax_compilation_cache_dir
    if existing:
        return Path(existing)
    directory = resolve(setting, cache_root)
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_seconds))
    log.info("XLA compilation cache: %s", directory)
    return directory
