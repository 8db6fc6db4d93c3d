"""Builds this folder's C++ handlers (blas_gemm.cc, decode_attention.cc) into one shared library, once.

The library is compiled with the system C++ compiler on first use, into ``$MIDALIGN_CACHE/kernels`` (default
``~/.cache/midalign_jax``), named by a hash of the sources, the jaxlib version, the compiler and the CPU's
feature flags: it is built for the CPU it runs on (``-march=native``), so a cache shared between machines
gets one build per kind of CPU, never code for features a CPU lacks.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import jax

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent
SOURCES = ("blas_gemm.cc", "decode_attention.cc")
HEADERS = ("thread_blocks.h",)


class KernelUnavailable(RuntimeError):
    """No compiler, or the build failed: the kernels of this folder cannot run on this machine."""


def cache_dir() -> Path:
    # The rule of midalign_jax.data.settings.default_cache_dir, not imported from there: importing the data
    # package loads the whole input pipeline, which the model (and so every sampler and eval) does not need.
    return Path(os.environ.get("MIDALIGN_CACHE") or Path.home() / ".cache" / "midalign_jax") / "kernels"


def compiler() -> str:
    for name in (os.environ.get("CXX", ""), "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    raise KernelUnavailable(f"no C++ compiler (set CXX, or install g++) to build midalign_jax/kernels/"
                            f"{{{','.join(SOURCES)}}}")


def _cpu_features() -> bytes:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line.encode()
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}".encode()


def _build() -> Path:
    cxx = compiler()
    version = subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout.split("\n", 1)[0]
    parts = [(_HERE / f).read_bytes() for f in SOURCES + HEADERS]
    parts += [jax.lib.__version__.encode(), version.encode(), _cpu_features()]
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]
    out = cache_dir() / f"midalign_kernels-{key}.so"
    if out.exists():
        return out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return _compile(cxx, out)
    except OSError as e:
        raise KernelUnavailable(f"cannot build the kernels into {out.parent}: {e}") from None


def _compile(cxx: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        so = Path(tmp) / out.name
        cmd = [cxx, "-O3", "-march=native", "-fopenmp-simd", "-std=c++17", "-shared", "-fPIC",
               "-isystem", jax.ffi.include_dir(), "-I", str(_HERE), *(str(_HERE / f) for f in SOURCES), "-o", str(so)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise KernelUnavailable(f"building the kernels failed ({' '.join(cmd)}): {done.stderr.strip()[-400:]}")
        os.replace(so, out)  # atomic: a concurrent process sees either no file or a whole one
    log.info("kernels: built %s", out)
    return out


@functools.lru_cache(maxsize=1)
def load() -> tuple[ctypes.CDLL | None, str]:
    """(the loaded library, '') once per process, building it first if the cache has none; (None, the reason)
    when it cannot be built or loaded."""
    try:
        path = _build()
    except KernelUnavailable as e:
        return None, str(e)
    try:
        return ctypes.CDLL(str(path)), ""
    except OSError as e:  # a damaged build in the cache
        return None, f"cannot load {path}: {e} (delete it to rebuild)"
