"""Kernels of our own for the CPU backend, called through XLA's FFI: the float32 BLAS GEMM (blas.py) and one
decode step's attention (decode_attention.py), C++ handlers built into one library on first use (build.py)."""
