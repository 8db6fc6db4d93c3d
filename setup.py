"""midalign-jax: alignment midtraining, RLVR and evals in JAX."""
from setuptools import find_packages, setup

setup(
    name="midalign-jax",
    version="0.1.0",
    description="Alignment midtraining, RL with verifiable rewards, and alignment evals in JAX.",
    python_requires=">=3.11",
    packages=find_packages(include=["midalign_jax*", "rl*", "evals*", "study*"]),
    # The BLAS matmul's FFI handler is compiled from source on first use (midalign_jax/kernels/blas.py).
    package_data={"midalign_jax.kernels": ["*.cc", "*.h"]},
    install_requires=[
        "jax>=0.10.0",
        "optax>=0.2.5",
        "orbax-checkpoint>=0.11",
        "grain>=0.2.12",
        "ml-collections>=1.0",
        "absl-py>=2.0",
        "numpy>=1.26",
        "transformers>=4.50",
        "tokenizers>=0.21",
        "safetensors>=0.4",
        "tensorboardX>=2.6",
        "tensorboard>=2.16",  # `tensorboard --logdir WORKDIR`, and the reader the logging tests use
        "tqdm>=4.66",
        "pyarrow>=15",
        "array-record>=0.7",
        "matplotlib>=3.8",
        "wordfreq>=3.1",  # the rubric judge's English lexicon (evals/chat/coherence.py); data CC-BY-SA
    ],
    extras_require={
        # torch is the reference for HF parity tests and the baseline in bench/; never imported by the core.
        # gguf and accelerate let transformers read GGUF files (the tokenizer of a GGUF import; the reference model
        # in the GGUF tests); our own GGUF reader needs neither.
        "test": ["pytest>=8", "pytest-xdist>=3.5", "torch==2.13.0", "gguf>=0.19", "accelerate>=1.0",
                 "inspect-ai>=0.3.285", "inspect-evals>=0.26", "lm-eval>=0.4.8"],
        "gguf": ["gguf>=0.19"],
        # `inspect eval TASK --model midalign/ours:DIR` (evals/inspect_provider.py)
        "inspect": ["inspect-ai>=0.3.285", "inspect-evals>=0.26"],
        "bench": ["torch==2.13.0", "lm-eval>=0.4.8", "accelerate>=1.0", "trl==1.16.*", "datasets"],
        "tpu": ["jax[tpu]"],
        "gpu": ["jax[cuda12]"],
    },
    entry_points={"inspect_ai": ["midalign = evals.inspect_provider"]},
)
