"""A float32 matmul on the CPU backend through a CBLAS library, as an XLA FFI custom call.

With the model's float32 products in OpenBLAS instead of XLA:CPU's own dot, the train step at the small and
SmolLM2-135M shapes is 8-10% faster on a 2-core CPU (bench/README.md). numpy's Linux wheels bundle an OpenBLAS,
so the library is already installed wherever the project is. `gemm` hands a row-major product, with either
operand transposed, to its `sgemm`.

The handler (blas_gemm.cc) is compiled with the system C++ compiler on first use (build.py).
`available()` says whether a compiler and a library were found; `usable()` also logs why not, once.

The custom call runs on whole arrays: under a sharded jit XLA gathers its operands first, so `matmul="auto"`
uses it only when the CPU is the one device (dense.py).
"""
from __future__ import annotations

import ctypes
import functools
import glob
import logging
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from midalign_jax.kernels import build

log = logging.getLogger(__name__)

TARGET = "midalign_blas_gemm"


class BlasUnavailable(build.KernelUnavailable):
    """No compiler or no CBLAS library: the BLAS projections cannot run on this machine."""


def _find_sgemm() -> tuple[ctypes.CDLL, str, int]:
    """(library, cblas_sgemm symbol, integer width): numpy's bundled OpenBLAS first, then a system one."""
    candidates: list[tuple[str, str, int]] = []
    numpy_libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(numpy_libs / "libscipy_openblas64_*.so*"))):
        candidates.append((path, "scipy_cblas_sgemm64_", 64))
    for path in sorted(glob.glob(str(numpy_libs / "libscipy_openblas*.so*"))):
        if "openblas64" not in path:
            candidates.append((path, "scipy_cblas_sgemm", 32))
    for name in ("libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"):
        candidates.append((name, "cblas_sgemm", 32))
    for path, symbol, bits in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, symbol):
            return lib, symbol, bits
    raise BlasUnavailable("no CBLAS library with sgemm found (looked in numpy.libs and for libopenblas/libcblas)")


@functools.lru_cache(maxsize=None)
def _register() -> str:
    """Builds, loads and registers the handler once per process; returns '' or the reason it cannot run."""
    try:
        blas, symbol, bits = _find_sgemm()
    except BlasUnavailable as e:
        return str(e)
    handler, reason = build.load()
    if handler is None:
        return reason
    local = getattr(blas, "openblas_set_num_threads_local", None)
    handler.midalign_blas_set_sgemm.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    handler.midalign_blas_set_sgemm(ctypes.cast(getattr(blas, symbol), ctypes.c_void_p), bits,
                                    ctypes.cast(local, ctypes.c_void_p) if local is not None else None)
    jax.ffi.register_ffi_target(TARGET, jax.ffi.pycapsule(handler.MidalignBlasGemm), platform="cpu")
    return ""


def available() -> bool:
    return not _register()


@functools.lru_cache(maxsize=1)
def usable() -> bool:
    """`available()`, with one warning per process when it is not (callers then use XLA's dot)."""
    if _register():
        log.warning("matmul='blas': %s; using XLA's dot instead", _register())
    return not _register()


def gemm(a, b, *, trans_a: bool = False, trans_b: bool = False):
    """``op(a) @ op(b)`` in float32, op transposing the trailing two dims when asked. ``a`` may have leading
    batch dims; ``b`` has the same ones or none (one matrix for every batch entry)."""
    reason = _register()
    if reason:
        raise BlasUnavailable(reason)
    if a.dtype != jnp.float32 or b.dtype != jnp.float32:
        raise TypeError(f"blas.gemm takes float32 operands, got {a.dtype} and {b.dtype}")
    if a.ndim < 2 or b.ndim not in (2, a.ndim) or (b.ndim == a.ndim and a.shape[:-2] != b.shape[:-2]):
        raise ValueError(f"blas.gemm: shapes {a.shape} and {b.shape}; b needs a's batch dims or none")
    m, k = (a.shape[-1], a.shape[-2]) if trans_a else a.shape[-2:]
    kb, n = (b.shape[-1], b.shape[-2]) if trans_b else b.shape[-2:]
    if k != kb:
        raise ValueError(f"blas.gemm: contracted sizes differ, {a.shape} (trans={trans_a}) and {b.shape} "
                         f"(trans={trans_b})")
    out = jax.ShapeDtypeStruct(a.shape[:-2] + (m, n), jnp.float32)
    call = jax.ffi.ffi_call(TARGET, out, vmap_method="sequential")
    return call(a, b, trans_a=np.int64(trans_a), trans_b=np.int64(trans_b))
