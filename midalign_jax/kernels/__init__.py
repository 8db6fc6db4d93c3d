"""Kernels of our own for the CPU backend, called through XLA's FFI (see blas.py)."""
