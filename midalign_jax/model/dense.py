"""Projections (`einsum` of an activation with a weight) whose weight gradient XLA's CPU backend runs fast.

The weight gradient of `y = einsum("btd,df->btf", x, w)` is `einsum("btd,btf->df", x, dy)`, a matmul that
contracts over batch x seq. Autodiff emits it as a dot whose operands both contract on their leading dimension;
the CPU backend cannot hand that form to its fast matmul library and runs it through a generic dot several times
slower (the `lm_head` gradient of the tiny preset alone took 126 ms of a 690 ms step). `project` computes the
same einsum with a custom backward in which the smaller of the two operands is transposed first (kept apart from
the dot with an optimization barrier, so the compiler cannot fold the transpose back in) and the product is a
plain row-major matmul. The numbers are the same sums in a different memory order.

GPU and TPU compilers pick good layouts for the autodiff form themselves, so `grad="auto"` uses the custom
backward on CPU only.

`matmul="blas"` runs float32 projections, forward and backward, as matmuls in the CPU's BLAS library through an
XLA FFI call (midalign_jax/kernels/blas.py). Each product is one row-major GEMM on the flattened operands, with
the transposes folded into the GEMM's flags. Other dtypes, decode-sized or shallow products (BLAS_MIN_ROWS,
BLAS_MIN_DEPTH) and specs whose letters are not in GEMM order take the `grad` path. The call runs on whole
arrays (a sharded jit gathers its operands), so `matmul="auto"` uses it only when the CPU is the one device.
"""
from __future__ import annotations

import functools
import math
from typing import Sequence

import jax
import jax.numpy as jnp

from midalign_jax.kernels import blas

GRAD_MODES = ("auto", "einsum", "transposed")
MATMULS = ("auto", "xla", "blas")


def use_kernel(matmul: str, kernel) -> bool:
    """Whether one of our CPU kernels runs (`kernel`: a midalign_jax.kernels module, with `available()` and
    `usable()`): with `matmul` 'blas' when it can be built here (else one warning), 'auto' when the default
    backend is a single CPU device and it can be built, 'xla' never."""
    if matmul not in MATMULS:
        raise ValueError(f"matmul={matmul!r}; expected one of {MATMULS}")
    if matmul == "auto":
        return jax.default_backend() == "cpu" and jax.device_count() == 1 and kernel.available()
    return matmul == "blas" and kernel.usable()


def use_blas(matmul: str) -> bool:
    """Whether products go to the BLAS library (`use_kernel`)."""
    return use_kernel(matmul, blas)


def resolve_grad(mode: str) -> str:
    """'einsum' (plain autodiff) or 'transposed' (custom backward); 'auto' picks by the default backend."""
    if mode not in GRAD_MODES:
        raise ValueError(f"dense_grad={mode!r}; expected one of {GRAD_MODES}")
    if mode != "auto":
        return mode
    return "transposed" if jax.default_backend() == "cpu" else "einsum"


def project(spec: str, x, w, *, grad: str = "auto", preferred_element_type=None, matmul: str = "auto"):
    """`jnp.einsum(spec, x, w)` for a projection: every letter of `spec` is either shared by x and the output
    (batch-like: b, t), by x and w (contracted: d), or by w and the output (features: f); no letter is in all
    three. With `grad='transposed'` (or 'auto' on CPU) the backward pass uses CPU-friendly matmul layouts."""
    return project_shared((spec,), x, (w,), grad=grad, preferred_element_type=preferred_element_type,
                          matmul=matmul)[0]


def project_shared(specs: Sequence[str], x, ws: Sequence, *, grad: str = "auto",
                   preferred_element_type=None, matmul: str = "auto") -> tuple:
    """Several projections of one input (q/k/v, or the SwiGLU gate and up): `einsum(specs[i], x, ws[i])` for each
    i. In the custom backward, x is transposed once for all the weight gradients and the input gradient is the
    sum of the per-weight products."""
    specs = tuple(specs)
    if len(specs) != len(ws):
        raise ValueError(f"{len(specs)} projection specs for {len(ws)} weights")
    parsed = tuple(_parse(s) for s in specs)
    if len({lhs for lhs, _, _ in parsed}) != 1:
        raise ValueError(f"projection specs {specs} do not share one input layout")
    if matmul not in MATMULS:
        raise ValueError(f"matmul={matmul!r}; expected one of {MATMULS}")
    if _blas_ready(parsed, preferred_element_type, x, ws) and use_blas(matmul):
        return _project_blas(parsed, x, tuple(ws))
    if resolve_grad(grad) == "einsum":
        return tuple(jnp.einsum(s, x, w, preferred_element_type=preferred_element_type) for s, w in zip(specs, ws))
    return _project(parsed, preferred_element_type, x, tuple(ws))


@functools.lru_cache(maxsize=None)
def _parse(spec: str) -> tuple[str, str, str]:
    try:
        ins, out = spec.replace(" ", "").split("->")
        lhs, rhs = ins.split(",")
    except ValueError:
        raise ValueError(f"projection spec {spec!r}: expected 'x_letters,w_letters->out_letters'") from None
    for letters, what in ((lhs, "x"), (rhs, "w"), (out, "output")):
        if len(set(letters)) != len(letters) or not letters.isalpha():
            raise ValueError(f"projection spec {spec!r}: the {what} letters must be distinct letters")
    batch, contracted, features = _groups(lhs, rhs, out)
    if (set(lhs) & set(rhs) & set(out) or set(out) != set(batch + features) or set(lhs) != set(batch + contracted)
            or set(rhs) != set(contracted + features) or not contracted or not batch):
        raise ValueError(f"projection spec {spec!r}: need x = batch + contracted letters, w = contracted + feature "
                         f"letters, output = batch + feature letters")
    return lhs, rhs, out


def _groups(lhs: str, rhs: str, out: str) -> tuple[str, str, str]:
    """(batch, contracted, features) letters, in the order they appear in x, x and the output."""
    batch = "".join(c for c in lhs if c in out)
    contracted = "".join(c for c in lhs if c in rhs and c not in out)
    features = "".join(c for c in out if c in rhs)
    return batch, contracted, features


def _size(dims: dict, letters: str) -> int:
    return math.prod(dims[c] for c in letters)


_ACCUMULATE_F32 = True


def _dot(spec: str, a, b, out_dtype):
    """einsum(spec, a, b) as `out_dtype`. With 16-bit float operands the product is asked for in float32 and cast
    afterwards: XLA:CPU runs a bf16 x bf16 -> f32 dot in its matmul library (on AMX at several times the float32
    rate) but converts both operands of a bf16 -> bf16 dot to float32 first and runs the float32 matmul. The
    sums are the same float32 sums either way, rounded once to `out_dtype`."""
    if _ACCUMULATE_F32 and a.dtype == b.dtype and jnp.dtype(a.dtype).itemsize == 2 and out_dtype != jnp.float32:
        return jnp.einsum(spec, a, b, preferred_element_type=jnp.float32).astype(out_dtype)
    return jnp.einsum(spec, a, b, preferred_element_type=out_dtype)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def _project(parsed, preferred_element_type, x, ws):
    return tuple(_dot(f"{lhs},{rhs}->{out}", x, w, preferred_element_type or jnp.result_type(x, w))
                 for (lhs, rhs, out), w in zip(parsed, ws))


def _project_fwd(parsed, preferred_element_type, x, ws):
    return _project(parsed, preferred_element_type, x, ws), (x, ws)


def _project_bwd(parsed, preferred_element_type, res, dys):
    x, ws = res
    lhs = parsed[0][0]
    # Mixed dtypes (bfloat16 weights, float32 logits cotangent) are computed in the wider one, as autodiff does.
    # Input gradient: each dy [batch, features] times its w over the feature dims; both operands then contract
    # on their trailing dims (or w on its leading ones), forms the fast matmul takes as they are.
    dx = None
    for (_, rhs, out), w, dy in zip(parsed, ws, dys):
        dtype = jnp.promote_types(dy.dtype, w.dtype)
        term = _dot(f"{out},{rhs}->{lhs}", dy.astype(dtype), w.astype(dtype), dtype)
        dx = term if dx is None else dx + term.astype(dx.dtype)
    # Weight gradients: contract x and dy over the batch dims. Transpose the smaller side (x once for all the
    # weights, or each dy) so that the batch dims come last in it; each product is then an ordinary
    # [M, K] x [K, N] matmul. The barrier keeps the transpose a copy of its own; otherwise the compiler folds it
    # back into the dot's dimension numbers and the dot leaves the fast path.
    batch, contracted, _ = _groups(*parsed[0])
    dims = dict(zip(lhs, x.shape))
    features_size = sum(_size(dict(zip(p[2], dy.shape)), _groups(*p)[2]) for p, dy in zip(parsed, dys))
    transpose_x = _size(dims, contracted) <= features_size
    x_t = None
    dws = []
    for (_, rhs, out), w, dy in zip(parsed, ws, dys):
        features = _groups(lhs, rhs, out)[2]
        dtype = jnp.promote_types(x.dtype, dy.dtype)
        if transpose_x:
            if x_t is None or x_t.dtype != dtype:
                x_t = jax.lax.optimization_barrier(
                    jnp.transpose(x.astype(dtype), [lhs.index(c) for c in contracted + batch]))
            order = contracted + features
            dw = _dot(f"{contracted + batch},{out}->{order}", x_t, dy.astype(dtype), dtype)
        else:
            dy_t = jax.lax.optimization_barrier(
                jnp.transpose(dy.astype(dtype), [out.index(c) for c in features + batch]))
            order = features + contracted
            dw = _dot(f"{features + batch},{lhs}->{order}", dy_t, x.astype(dtype), dtype)
        if order != rhs:  # a weight-sized transpose, after the matmul has run in the fast layout
            dw = jnp.transpose(jax.lax.optimization_barrier(dw), [order.index(c) for c in rhs])
        dws.append(dw.astype(w.dtype))
    return dx.astype(x.dtype), tuple(dws)


_project.defvjp(_project_fwd, _project_bwd)


# Fewer rows than this (decode steps) stay on XLA's dot: at a few rows the product is a matrix-vector pass
# bound by reading the weight, which XLA does faster (bench/cpu_kernels.py, the decode rows).
BLAS_MIN_ROWS = 256
# A shallower contraction stays on XLA's dot too: the tiny preset (d_model 128) pretrained 7% slower with its
# projections in the library (15.9k against 17.1k tokens/s), the small preset (512) trains 8% faster.
BLAS_MIN_DEPTH = 512


def _blas_ready(parsed, preferred_element_type, x, ws) -> bool:
    """At least BLAS_MIN_ROWS rows and BLAS_MIN_DEPTH contracted values, float32 throughout, and each spec's
    letters already in GEMM order (x = batch + contracted; w = contracted + features, or features + contracted
    as a tied output head has it; output = batch + features), so every operand flattens to a matrix without a
    copy."""
    if preferred_element_type not in (None, jnp.float32) or x.dtype != jnp.float32:
        return False
    nb = len(_groups(*parsed[0])[0])
    if math.prod(x.shape[:nb]) < BLAS_MIN_ROWS or math.prod(x.shape[nb:]) < BLAS_MIN_DEPTH:
        return False
    for (lhs, rhs, out), w in zip(parsed, ws):
        batch, contracted, features = _groups(lhs, rhs, out)
        if (w.dtype != jnp.float32 or lhs != batch + contracted or out != batch + features
                or rhs not in (contracted + features, features + contracted)):
            return False
    return True


def _as_gemm(parsed_one, x, w):
    """x as [batch, contracted]; w as [contracted, features], or [features, contracted] with w_t True; and the
    output's full shape."""
    lhs, rhs, out = parsed_one
    batch, contracted, features = _groups(lhs, rhs, out)
    nb, w_t = len(batch), not rhs.startswith(contracted)
    m, k = math.prod(x.shape[:nb]), math.prod(x.shape[nb:])
    w2 = w.reshape(-1, k) if w_t else w.reshape(k, -1)
    f_shape = w.shape[:len(features)] if w_t else w.shape[len(contracted):]
    return x.reshape(m, k), w2, w_t, x.shape[:nb] + f_shape


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _project_blas(parsed, x, ws):
    outs = []
    for p, w in zip(parsed, ws):
        x2, w2, w_t, shape = _as_gemm(p, x, w)
        outs.append(blas.gemm(x2, w2, trans_b=w_t).reshape(shape))
    return tuple(outs)


def _project_blas_fwd(parsed, x, ws):
    return _project_blas(parsed, x, ws), (x, ws)


def _project_blas_bwd(parsed, res, dys):
    x, ws = res
    dx, dws = None, []
    for p, w, dy in zip(parsed, ws, dys):
        x2, w2, w_t, _ = _as_gemm(p, x, w)
        dy2 = dy.astype(jnp.float32).reshape(x2.shape[0], -1)
        term = blas.gemm(dy2, w2, trans_b=not w_t)                 # [batch, contracted]
        dx = term if dx is None else dx + term
        # [features, contracted] = dy^T x for a transposed weight, else [contracted, features] = x^T dy
        dw = blas.gemm(dy2, x2, trans_a=True) if w_t else blas.gemm(x2, dy2, trans_a=True)
        dws.append(dw.reshape(w.shape))
    return dx.reshape(x.shape), tuple(dws)


_project_blas.defvjp(_project_blas_fwd, _project_blas_bwd)
