"""Hugging Face interop: read a local Llama / Qwen2 / GPT-NeoX directory as `(ModelConfig, params)` and write our
params as a directory `transformers` loads.

config.py maps HF config.json to `ModelConfig`, layout.py maps tensor names and shapes, files.py reads and writes
the weight files (safetensors, sharded, or `pytorch_model.bin` through torch_pickle.py, without torch), and
checkpoint.py puts them together.
"""
from midalign_jax.hf.checkpoint import (
                                        DEFAULT_MAX_SHARD_BYTES,
                                        dtype_name,
                                        load_hf,
                                        load_hf_config,
                                        load_tokenizer_dir,
                                        read_hf_config,
                                        save_hf,
)
from midalign_jax.hf.config import architecture_of, hf_architecture

__all__ = [
    "DEFAULT_MAX_SHARD_BYTES", "architecture_of", "dtype_name", "hf_architecture", "load_hf", "load_hf_config",
    "load_tokenizer_dir", "read_hf_config", "save_hf",
]
