"""Hugging Face interop: read a local Llama / Qwen2 / GPT-NeoX directory, or a llama.cpp GGUF file, as
`(ModelConfig, params)`, and write our params as a directory `transformers` loads.

config.py maps HF config.json to `ModelConfig`, layout.py maps tensor names and shapes, files.py reads and writes
the weight files (safetensors, sharded, or `pytorch_model.bin` through torch_pickle.py, without torch),
assemble.py builds the params tensor by tensor onto their shardings, and checkpoint.py puts them together.
gguf.py imports GGUF files (gguf_file.py reads the format, gguf_quants.py dequantizes).
"""
from midalign_jax.hf.assemble import dtype_name
from midalign_jax.hf.checkpoint import (
                                        DEFAULT_MAX_SHARD_BYTES,
                                        load_hf,
                                        load_hf_config,
                                        load_tokenizer_dir,
                                        read_hf_config,
                                        save_hf,
)
from midalign_jax.hf.config import architecture_of, hf_architecture
from midalign_jax.hf.gguf import is_gguf, load_gguf, load_gguf_config, load_gguf_tokenizer, undo_rope_permutation
from midalign_jax.hf.gguf_file import GGUFFile

__all__ = [
    "DEFAULT_MAX_SHARD_BYTES", "GGUFFile", "architecture_of", "dtype_name", "hf_architecture", "is_gguf", "load_gguf",
    "load_gguf_config", "load_gguf_tokenizer", "load_hf", "load_hf_config", "load_tokenizer_dir", "read_hf_config",
    "save_hf", "undo_rope_permutation",
]
