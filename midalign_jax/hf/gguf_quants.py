"""ggml tensor types: their block sizes, and numpy dequantization of the ones we read.

Every type ggml defines is named here, so that a file using one we do not read fails with the type's name rather
than a number; only the six in `SUPPORTED` are dequantized. Block layouts follow ggml-common.h: a block of
`block_size` values takes `type_size` bytes, scales are little-endian float16 at the start of the block, and the
4-bit formats pack element j of a 32-block in the low nibble of byte j and element j + 16 in its high nibble.
"""
from __future__ import annotations

import numpy as np

# ggml_type id -> (name, values per block, bytes per block). Ids 4, 5 and 31-33, 36-38 were removed from ggml.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
}
SUPPORTED = ("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1")
_ID = {name: i for i, (name, _, _) in GGML_TYPES.items()}
# Dequantize this many blocks at a time so the temporaries stay small next to the float32 result.
_CHUNK_BLOCKS = 1 << 16


def type_name(ggml_type: int) -> str:
    return GGML_TYPES[ggml_type][0] if ggml_type in GGML_TYPES else f"unknown type {ggml_type}"


def type_id(name: str) -> int:
    return _ID[name]


def nbytes(ggml_type: int, shape: tuple[int, ...]) -> int:
    """Bytes of a tensor of numpy `shape` (last axis fastest); the last axis must be whole blocks."""
    _, block, size = GGML_TYPES[ggml_type]
    if shape and shape[-1] % block:
        raise ValueError(f"a {type_name(ggml_type)} row of {shape[-1]} values is not a whole number of "
                         f"{block}-value blocks")
    return int(np.prod(shape, dtype=np.int64)) // block * size


def _f16(blocks: np.ndarray, start: int) -> np.ndarray:
    return blocks[:, start:start + 2].copy().view("<f2").astype(np.float32)


def _nibbles(qs: np.ndarray) -> np.ndarray:
    """[n, 16] packed bytes -> [n, 32] values 0..15 in element order (all low nibbles, then all high)."""
    return np.concatenate([qs & 0x0F, qs >> 4], axis=1)


def _q8_0(blocks):
    return blocks[:, 2:].view(np.int8).astype(np.float32) * _f16(blocks, 0)


def _q4_0(blocks):
    return (_nibbles(blocks[:, 2:]).astype(np.int8) - np.int8(8)).astype(np.float32) * _f16(blocks, 0)


def _q4_1(blocks):
    return _nibbles(blocks[:, 4:]).astype(np.float32) * _f16(blocks, 0) + _f16(blocks, 2)


_BLOCK_DECODERS = {"Q8_0": _q8_0, "Q4_0": _q4_0, "Q4_1": _q4_1}


def dequantize(raw: np.ndarray, ggml_type: int, shape: tuple[int, ...]) -> np.ndarray:
    """float32 array of numpy `shape` from the tensor's raw bytes (uint8, e.g. a slice of a memmap).

    Raises NotImplementedError naming the type when it is not in SUPPORTED."""
    name = type_name(ggml_type)
    if name not in SUPPORTED:
        raise NotImplementedError(f"ggml type {name} is not supported (supported: {', '.join(SUPPORTED)})")
    expected = nbytes(ggml_type, shape)
    if raw.size != expected:
        raise ValueError(f"{name} tensor of shape {shape} needs {expected} bytes, got {raw.size}")
    if name == "F32":
        return raw.view("<f4").astype(np.float32).reshape(shape)
    if name == "F16":
        return raw.view("<f2").astype(np.float32).reshape(shape)
    if name == "BF16":
        # bfloat16 is the top half of a float32.
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)
    _, block, size = GGML_TYPES[ggml_type]
    blocks = raw.reshape(-1, size)
    out = np.empty((blocks.shape[0], block), np.float32)
    decode = _BLOCK_DECODERS[name]
    for start in range(0, blocks.shape[0], _CHUNK_BLOCKS):
        out[start:start + _CHUNK_BLOCKS] = decode(np.asarray(blocks[start:start + _CHUNK_BLOCKS]))
    return out.reshape(shape)
