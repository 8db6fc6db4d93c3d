"""The architecture of a decoder (`ModelConfig`) and the shape and logical axes of every parameter it implies."""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

import midalign_jax.model.attention as attention
import midalign_jax.model.dense as dense
import midalign_jax.model.rope as rope

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}
REMAT_POLICIES = ("none", "full", "dots", "dots_no_batch")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture. Defaults are a Llama-style model; presets.py holds the published shapes."""
    vocab_size: int = 4096
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 4
    head_dim: int = 32
    d_ff: int = 512
    max_seq_len: int = 2048
    norm: str = "rmsnorm"               # "rmsnorm" (Llama, Qwen2) | "layernorm" (GPT-NeoX, with bias)
    norm_eps: float = 1e-5
    mlp: str = "swiglu"                 # "swiglu" (gate/up/down) | "gelu" (up/down, GPT-NeoX)
    activation: str = "silu"            # "silu" | "gelu" (exact erf) | "gelu_tanh"
    mlp_bias: bool = False
    qkv_bias: bool = False              # Qwen2 and GPT-NeoX
    out_bias: bool = False              # GPT-NeoX attention dense bias
    parallel_residual: bool = False     # GPT-NeoX use_parallel_residual
    tie_embeddings: bool = False
    rope_theta: float = 10000.0
    rotary_pct: float = 1.0             # GPT-NeoX rotates only the first rotary_pct of each head
    rope_style: str = "half"            # "half" (HF rotate_half) | "interleaved" (GPT-J pairs)
    rope_scaling: str = "none"          # "none" | "linear" | "llama3"
    rope_scaling_factor: float = 1.0
    rope_low_freq_factor: float = 1.0
    rope_high_freq_factor: float = 4.0
    rope_original_max_position: int = 8192
    dtype: str = "float32"              # compute dtype
    param_dtype: str = "float32"        # storage dtype of the master params
    attention_kernel: str = "auto"      # "auto" | "xla" | "recompute" | "cudnn" | "splash" (attention.py)
    remat: str = "none"                 # "none" | "full" | "dots" | "dots_no_batch"
    dense_grad: str = "auto"            # "auto" | "einsum" | "transposed": projection backward (dense.py)
    matmul: str = "auto"                # "auto" | "xla" | "blas": float32 projections and attention products
                                        # through the CPU's BLAS library (kernels/blas.py); auto: on one CPU device
    scan_unroll: int = 0                # layers per iteration of the layer scan; 0 = auto (see _scan_unroll)
    init_std: float = 0.02

    def __post_init__(self):
        checks = {
            "norm": ("rmsnorm", "layernorm"), "mlp": ("swiglu", "gelu"),
            "activation": ("silu", "gelu", "gelu_tanh"), "rope_style": ("half", "interleaved"),
            "rope_scaling": ("none", "linear", "llama3"), "dtype": tuple(DTYPES),
            "param_dtype": tuple(DTYPES), "attention_kernel": attention.KERNELS, "remat": REMAT_POLICIES,
            "dense_grad": dense.GRAD_MODES, "matmul": dense.MATMULS,
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"ModelConfig.{name}={getattr(self, name)!r}; expected one of {allowed}")
        if self.scan_unroll < 0:
            raise ValueError(f"ModelConfig.scan_unroll={self.scan_unroll}; expected 0 (auto) or a positive count")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads={self.n_heads} must be a multiple of n_kv_heads={self.n_kv_heads}")
        rope.rotary_dim(self.head_dim, self.rotary_pct)

    @property
    def compute_dtype(self):
        return DTYPES[self.dtype]

    def num_params(self) -> int:
        return sum(math.prod(shape) for shape, _ in jax.tree.leaves(param_specs(self), is_leaf=_is_spec))


def param_specs(cfg: ModelConfig) -> dict:
    """Shape and logical axes of every parameter: {path: (shape, axes)} as a nested dict."""
    L, D, N, K, H, F, V = (cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.d_ff,
                           cfg.vocab_size)
    norm = lambda lead: ({"scale": (lead + (D,), ("layers",) * len(lead) + ("norm",))} | (  # noqa: E731
        {"bias": (lead + (D,), ("layers",) * len(lead) + ("norm",))} if cfg.norm == "layernorm" else {}))
    attn = {
        "q": ((L, D, N, H), ("layers", "embed", "heads", "head_dim")),
        "k": ((L, D, K, H), ("layers", "embed", "kv_heads", "head_dim")),
        "v": ((L, D, K, H), ("layers", "embed", "kv_heads", "head_dim")),
        "o": ((L, N, H, D), ("layers", "heads", "head_dim", "embed")),
    }
    if cfg.qkv_bias:
        attn |= {"q_bias": ((L, N, H), ("layers", "heads", "head_dim")),
                 "k_bias": ((L, K, H), ("layers", "kv_heads", "head_dim")),
                 "v_bias": ((L, K, H), ("layers", "kv_heads", "head_dim"))}
    if cfg.out_bias:
        attn["o_bias"] = ((L, D), ("layers", "norm"))
    mlp = {"up": ((L, D, F), ("layers", "embed", "mlp")), "down": ((L, F, D), ("layers", "mlp", "embed"))}
    if cfg.mlp == "swiglu":
        mlp["gate"] = ((L, D, F), ("layers", "embed", "mlp"))
    if cfg.mlp_bias:
        mlp |= {"up_bias": ((L, F), ("layers", "mlp")), "down_bias": ((L, D), ("layers", "norm"))}
        if cfg.mlp == "swiglu":
            mlp["gate_bias"] = ((L, F), ("layers", "mlp"))
    specs = {
        "embed": ((V, D), ("vocab", "embed")),
        "layers": {"attn_norm": norm((L,)), "attn": attn, "mlp_norm": norm((L,)), "mlp": mlp},
        "final_norm": norm(()),
    }
    if not cfg.tie_embeddings:
        specs["lm_head"] = ((D, V), ("embed", "vocab"))
    return specs


def _is_spec(x) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], tuple) and isinstance(x[1], tuple)
