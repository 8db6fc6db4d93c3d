"""The transformers reference models the HF tests compare against, and a check that they are fully random.

Other test_hf_* files import the builders from here. Every parameter of a reference model, biases and norm
scales included, is drawn at random: transformers initialises biases to zero and norm scales to one, and a
mapping bug on those tensors would otherwise go unnoticed.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

VOCAB = 96

# name -> (config class, kwargs). Several shapes per family: GQA, tied/untied, biases, partial rotary, residuals.
CASES = {
    "llama_gqa": ("LlamaConfig", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                       num_key_value_heads=2, intermediate_size=64, rms_norm_eps=1e-5)),
    "llama_tied_llama3": ("LlamaConfig", dict(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, intermediate_size=48,
        tie_word_embeddings=True, max_position_embeddings=64,
        rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=4.0, low_freq_factor=1.0,
                             high_freq_factor=4.0, original_max_position_embeddings=16))),
    "llama_biases_head_dim": ("LlamaConfig", dict(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, head_dim=16,
        intermediate_size=64, attention_bias=True, mlp_bias=True, hidden_act="gelu_pytorch_tanh")),
    "qwen2_gqa_tied": ("Qwen2Config", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                           num_key_value_heads=2, intermediate_size=64, tie_word_embeddings=True)),
    "qwen2_linear_rope": ("Qwen2Config", dict(
        hidden_size=48, num_hidden_layers=1, num_attention_heads=6, num_key_value_heads=1, intermediate_size=64,
        rope_parameters=dict(rope_type="linear", rope_theta=1000000.0, factor=2.0))),
    "neox_parallel_pct25": ("GPTNeoXConfig", dict(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, rotary_pct=0.25,
        use_parallel_residual=True)),
    "neox_sequential_pct50_tied": ("GPTNeoXConfig", dict(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, rotary_pct=0.5,
        use_parallel_residual=False, tie_word_embeddings=True, hidden_act="gelu_new")),
    "neox_no_attention_bias": ("GPTNeoXConfig", dict(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64, rotary_pct=0.5,
        attention_bias=False)),
}


def randomize_(module, seed: int) -> None:
    """Draws every parameter: weights N(0, 0.2), biases N(0, 0.1), norm scales 1 + N(0, 0.1)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * noise)
            elif name.endswith("bias"):
                p.copy_(0.1 * noise)
            else:
                p.copy_(0.2 * noise)


def build_reference(case: str, seed: int = 0):
    """A random float32 transformers model for CASES[case], in eval mode with the eager attention path."""
    cls_name, kwargs = CASES[case]
    torch.manual_seed(seed)
    config = getattr(transformers, cls_name)(vocab_size=VOCAB, **kwargs)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="eager")
    randomize_(model, seed)
    return model.eval()


def torch_logits(model, tokens: np.ndarray, attention_mask: np.ndarray | None = None) -> np.ndarray:
    with torch.no_grad():
        kwargs = {} if attention_mask is None else {"attention_mask": torch.tensor(attention_mask)}
        return model(torch.tensor(tokens, dtype=torch.long), **kwargs).logits.float().numpy()


@pytest.mark.parametrize("case", ["llama_biases_head_dim", "qwen2_gqa_tied", "neox_parallel_pct25"])
def test_reference_models_are_fully_random(case):
    model = build_reference(case)
    for name, p in model.named_parameters():
        values = p.detach().numpy()
        assert values.std() > 0.01, f"{case}: {name} was left at its initialisation"
        if "norm" in name and name.endswith("weight"):
            assert not np.allclose(values, 1.0), name
