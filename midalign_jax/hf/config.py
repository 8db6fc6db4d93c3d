"""Maps Hugging Face `config.json` fields to `ModelConfig` and back, for Llama, Qwen2 and GPT-NeoX.

Works on the plain JSON dict, not on transformers' config classes, so that it reads configs written by any
transformers version: the legacy spelling (`rope_theta`, `rope_scaling`, `rotary_pct`, `rotary_emb_base` at the top
level) and the transformers 5 spelling (`rope_parameters`) are both understood. Defaults for absent fields follow
the transformers config class of each architecture.
"""
from __future__ import annotations

from typing import Any, Mapping

from midalign_jax.model import ModelConfig

LLAMA, QWEN2, NEOX = "LlamaForCausalLM", "Qwen2ForCausalLM", "GPTNeoXForCausalLM"
ARCHITECTURES = (LLAMA, QWEN2, NEOX)
_MODEL_TYPES = {"llama": LLAMA, "qwen2": QWEN2, "gpt_neox": NEOX}
_MODEL_TYPE_OF = {v: k for k, v in _MODEL_TYPES.items()}

# HF hidden_act -> ModelConfig.activation. gelu_new and gelu_pytorch_tanh are both the tanh approximation.
_ACTIVATIONS = {"silu": "silu", "swish": "silu", "gelu": "gelu", "gelu_new": "gelu_tanh",
                "gelu_pytorch_tanh": "gelu_tanh"}
# ModelConfig.activation -> the HF name we write (per family, GPT-NeoX spells the tanh GELU gelu_new).
_HF_ACTIVATION = {"silu": "silu", "gelu": "gelu", "gelu_tanh": "gelu_pytorch_tanh"}

# Per-architecture defaults of the transformers config classes, used when a field is absent.
_DEFAULTS = {
    LLAMA: dict(rms_norm_eps=1e-6, max_position_embeddings=2048, hidden_act="silu", attention_bias=False,
                mlp_bias=False, partial_rotary_factor=1.0),
    QWEN2: dict(rms_norm_eps=1e-6, max_position_embeddings=32768, hidden_act="silu", partial_rotary_factor=1.0),
    NEOX: dict(layer_norm_eps=1e-5, max_position_embeddings=2048, hidden_act="gelu", attention_bias=True,
               use_parallel_residual=True, partial_rotary_factor=0.25),
}


def architecture_of(hf: Mapping[str, Any], source: str = "config.json") -> str:
    """The supported architecture named by `architectures` (or `model_type`), else a ValueError naming it."""
    archs = hf.get("architectures") or []
    if isinstance(archs, str):
        archs = [archs]
    if not archs and hf.get("model_type") in _MODEL_TYPES:
        archs = [_MODEL_TYPES[hf["model_type"]]]
    if len(archs) != 1:
        raise ValueError(f"{source}: expected exactly one entry in 'architectures' (one of {ARCHITECTURES}), "
                         f"found {archs!r} (model_type={hf.get('model_type')!r})")
    arch = archs[0]
    if arch not in ARCHITECTURES:
        raise ValueError(f"{source}: architecture {arch!r} is not supported; supported: {', '.join(ARCHITECTURES)}")
    return arch


def _require(hf: Mapping[str, Any], key: str, arch: str, source: str):
    if hf.get(key) is None:
        raise ValueError(f"{source}: {arch} config is missing the required field {key!r}")
    return hf[key]


def _rope_parameters(hf: Mapping[str, Any], arch: str, source: str) -> dict:
    """One flat dict of rope settings from either spelling; nested per-layer-type dicts must all agree."""
    rp = hf.get("rope_parameters") or {}
    if rp and all(isinstance(v, Mapping) for v in rp.values()):
        distinct = {tuple(sorted(v.items())) for v in rp.values()}
        if len(distinct) != 1:
            raise ValueError(f"{source}: {arch} has different rope_parameters per layer type {sorted(rp)}; "
                             "only one rotary setting for all layers is supported")
        rp = next(iter(rp.values()))
    legacy = hf.get("rope_scaling") or {}
    out = dict(legacy)
    out.update(rp)
    return out


def model_config_from_hf(hf: Mapping[str, Any], source: str = "config.json") -> ModelConfig:
    """ModelConfig for an HF config dict. Storage and compute dtypes are left at their defaults (float32).

    Any feature the model cannot express exactly (sliding window, unsupported rope type or activation, partial
    rotary outside GPT-NeoX) is a ValueError naming the architecture and the field.
    """
    arch = architecture_of(hf, source)
    dflt = _DEFAULTS[arch]
    get = lambda key: hf[key] if hf.get(key) is not None else dflt.get(key)  # noqa: E731
    d_model = int(_require(hf, "hidden_size", arch, source))
    n_heads = int(_require(hf, "num_attention_heads", arch, source))
    fields: dict[str, Any] = dict(
        vocab_size=int(_require(hf, "vocab_size", arch, source)),
        d_model=d_model,
        n_layers=int(_require(hf, "num_hidden_layers", arch, source)),
        n_heads=n_heads,
        d_ff=int(_require(hf, "intermediate_size", arch, source)),
        max_seq_len=int(get("max_position_embeddings")),
        tie_embeddings=bool(hf.get("tie_word_embeddings", False)),
    )
    act = get("hidden_act")
    if act not in _ACTIVATIONS:
        raise ValueError(f"{source}: {arch} hidden_act={act!r} is not supported; expected one of "
                         f"{sorted(_ACTIVATIONS)}")
    fields["activation"] = _ACTIVATIONS[act]

    if arch == NEOX:
        if d_model % n_heads:
            raise ValueError(f"{source}: {arch} hidden_size={d_model} is not divisible by "
                             f"num_attention_heads={n_heads}")
        head_dim = d_model // n_heads
        if hf.get("head_dim") not in (None, head_dim):
            raise ValueError(f"{source}: {arch} head_dim={hf['head_dim']} but GPT-NeoX always uses "
                             f"hidden_size / num_attention_heads = {head_dim}")
        bias = bool(get("attention_bias"))
        fields.update(n_kv_heads=n_heads, head_dim=head_dim, norm="layernorm", norm_eps=float(get("layer_norm_eps")),
                      mlp="gelu", mlp_bias=True, qkv_bias=bias, out_bias=bias,
                      parallel_residual=bool(get("use_parallel_residual")))
    else:
        head_dim = hf.get("head_dim")
        if head_dim is None:
            if d_model % n_heads:
                raise ValueError(f"{source}: {arch} has no head_dim and hidden_size={d_model} is not divisible by "
                                 f"num_attention_heads={n_heads}")
            head_dim = d_model // n_heads
        fields.update(n_kv_heads=int(hf.get("num_key_value_heads") or n_heads), head_dim=int(head_dim),
                      norm="rmsnorm", norm_eps=float(get("rms_norm_eps")), mlp="swiglu")
        if arch == LLAMA:
            bias = bool(get("attention_bias"))
            fields.update(qkv_bias=bias, out_bias=bias, mlp_bias=bool(get("mlp_bias")))
        else:
            _check_no_sliding_window(hf, fields["n_layers"], source)
            fields.update(qkv_bias=True, out_bias=False, mlp_bias=False)

    fields.update(_rope_fields(hf, arch, source))
    try:
        return ModelConfig(**fields)
    except ValueError as e:
        raise ValueError(f"{source}: {arch} config does not make a valid ModelConfig: {e}") from e


def _check_no_sliding_window(hf: Mapping[str, Any], n_layers: int, source: str) -> None:
    layer_types = hf.get("layer_types")
    if layer_types is not None:
        sliding = [i for i, t in enumerate(layer_types) if t != "full_attention"]
    elif hf.get("use_sliding_window"):
        sliding = list(range(int(hf.get("max_window_layers", 28)), n_layers))
    else:
        sliding = []
    if sliding:
        raise ValueError(f"{source}: {QWEN2} with sliding-window attention (use_sliding_window="
                         f"{hf.get('use_sliding_window')}, sliding_window={hf.get('sliding_window')}, layers "
                         f"{sliding}) is not supported; only full attention is implemented")


def _rope_fields(hf: Mapping[str, Any], arch: str, source: str) -> dict:
    rp = _rope_parameters(hf, arch, source)
    theta = rp.get("rope_theta", hf.get("rope_theta", hf.get("rotary_emb_base")))
    pct = rp.get("partial_rotary_factor", hf.get("partial_rotary_factor", hf.get("rotary_pct")))
    pct = float(_DEFAULTS[arch]["partial_rotary_factor"] if pct is None else pct)
    if arch != NEOX and pct != 1.0:
        raise ValueError(f"{source}: {arch} partial_rotary_factor={pct} is not supported (transformers' {arch} "
                         "rotates the whole head); only GPT-NeoX supports partial rotary")
    out: dict[str, Any] = dict(rope_theta=float(10000.0 if theta is None else theta), rotary_pct=pct)
    rope_type = rp.get("rope_type", rp.get("type", "default"))
    if rope_type == "default":
        return out
    if rope_type not in ("linear", "llama3"):
        raise ValueError(f"{source}: {arch} rope type {rope_type!r} is not supported; expected 'default', "
                         "'linear' or 'llama3'")
    if rp.get("factor") is None:
        raise ValueError(f"{source}: {arch} rope type {rope_type!r} needs a 'factor'")
    out.update(rope_scaling=rope_type, rope_scaling_factor=float(rp["factor"]))
    if rope_type == "llama3":
        for key in ("low_freq_factor", "high_freq_factor"):
            if rp.get(key) is None:
                raise ValueError(f"{source}: {arch} llama3 rope scaling needs {key!r}")
        original = rp.get("original_max_position_embeddings", hf.get("max_position_embeddings"))
        out.update(rope_low_freq_factor=float(rp["low_freq_factor"]),
                   rope_high_freq_factor=float(rp["high_freq_factor"]),
                   rope_original_max_position=int(original))
    return out


# ------------------------------------------------------------------------------------------------ ours -> HF

def hf_architecture(cfg: ModelConfig) -> str:
    """The HF family that expresses `cfg` exactly, else a ValueError saying what no family can express."""
    def fail(family: str, why: str):
        raise ValueError(f"this ModelConfig cannot be exported as a Hugging Face {family}: {why}")

    if cfg.rope_style != "half":
        fail("model (any family)", f"rope_style={cfg.rope_style!r}; transformers uses the 'half' layout")
    if cfg.norm == "layernorm":
        if cfg.mlp != "gelu" or not cfg.mlp_bias:
            fail(NEOX, f"layernorm models must have mlp='gelu' with mlp_bias=True (got mlp={cfg.mlp!r}, "
                       f"mlp_bias={cfg.mlp_bias})")
        if cfg.qkv_bias != cfg.out_bias:
            fail(NEOX, f"qkv_bias={cfg.qkv_bias} and out_bias={cfg.out_bias} must match (one attention_bias flag)")
        if cfg.n_kv_heads != cfg.n_heads:
            fail(NEOX, f"n_kv_heads={cfg.n_kv_heads} must equal n_heads={cfg.n_heads} (no grouped-query attention)")
        if cfg.head_dim * cfg.n_heads != cfg.d_model:
            fail(NEOX, f"head_dim={cfg.head_dim} * n_heads={cfg.n_heads} must equal d_model={cfg.d_model}")
        return NEOX
    if cfg.mlp != "swiglu":
        fail(LLAMA, f"rmsnorm models must use mlp='swiglu' (got {cfg.mlp!r})")
    if cfg.rotary_pct != 1.0:
        fail(LLAMA, f"rotary_pct={cfg.rotary_pct}; only GPT-NeoX supports partial rotary")
    if cfg.parallel_residual:
        fail(LLAMA, "parallel_residual=True; only GPT-NeoX supports the parallel residual")
    if cfg.d_model % cfg.n_heads:
        fail(LLAMA, f"d_model={cfg.d_model} must be divisible by n_heads={cfg.n_heads} (transformers checks it)")
    if cfg.qkv_bias and not cfg.out_bias:
        if cfg.mlp_bias:
            fail(QWEN2, "mlp_bias=True; Qwen2 has no MLP biases and Llama ties q/k/v and output biases together")
        return QWEN2
    if cfg.qkv_bias != cfg.out_bias:
        fail(LLAMA, f"out_bias={cfg.out_bias} with qkv_bias={cfg.qkv_bias}; Llama has one attention_bias flag")
    return LLAMA


def hf_config_from_model(cfg: ModelConfig, *, dtype: str = "float32", bos_token_id: int | None = None,
                         eos_token_id: int | list[int] | None = None) -> dict[str, Any]:
    """config.json contents for `cfg`, readable by transformers 4.x and 5.x: rope settings are written in both
    the legacy top-level spelling and as `rope_parameters`, with the same values."""
    arch = hf_architecture(cfg)
    rope = {"rope_type": "default", "rope_theta": cfg.rope_theta}
    legacy_scaling = None
    if cfg.rope_scaling != "none":
        legacy_scaling = {"rope_type": cfg.rope_scaling, "factor": cfg.rope_scaling_factor}
        if cfg.rope_scaling == "llama3":
            legacy_scaling.update(low_freq_factor=cfg.rope_low_freq_factor, high_freq_factor=cfg.rope_high_freq_factor,
                                  original_max_position_embeddings=cfg.rope_original_max_position)
        rope.update(legacy_scaling)
    out: dict[str, Any] = {
        "architectures": [arch], "model_type": _MODEL_TYPE_OF[arch],
        "vocab_size": cfg.vocab_size, "hidden_size": cfg.d_model, "intermediate_size": cfg.d_ff,
        "num_hidden_layers": cfg.n_layers, "num_attention_heads": cfg.n_heads,
        "max_position_embeddings": cfg.max_seq_len, "tie_word_embeddings": cfg.tie_embeddings,
        "initializer_range": cfg.init_std, "use_cache": True, "torch_dtype": dtype, "dtype": dtype,
        "bos_token_id": bos_token_id, "eos_token_id": eos_token_id,
        "rope_theta": cfg.rope_theta, "rope_scaling": legacy_scaling,
    }
    if arch == NEOX:
        rope["partial_rotary_factor"] = cfg.rotary_pct
        act = "gelu_new" if cfg.activation == "gelu_tanh" else cfg.activation
        out.update(hidden_act=act, layer_norm_eps=cfg.norm_eps, use_parallel_residual=cfg.parallel_residual,
                   attention_bias=cfg.qkv_bias, rotary_pct=cfg.rotary_pct, rotary_emb_base=cfg.rope_theta)
    else:
        out.update(hidden_act=_HF_ACTIVATION[cfg.activation], rms_norm_eps=cfg.norm_eps,
                   num_key_value_heads=cfg.n_kv_heads)
        if arch == LLAMA:
            out.update(head_dim=cfg.head_dim, attention_bias=cfg.qkv_bias, mlp_bias=cfg.mlp_bias)
        else:
            if cfg.head_dim * cfg.n_heads != cfg.d_model:
                out["head_dim"] = cfg.head_dim
            out.update(use_sliding_window=False, sliding_window=None, max_window_layers=cfg.n_layers,
                       layer_types=["full_attention"] * cfg.n_layers)
    out["rope_parameters"] = rope
    return out

