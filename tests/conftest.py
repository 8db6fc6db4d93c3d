"""Test setup: 8 simulated CPU devices so that sharding is real, and float32 matmuls at full precision."""
import atexit
import os
import shutil
import tempfile

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# XLA's compilation cache (midalign_jax/compile_cache.py) in a directory of this test process's own, which the
# runs it starts inherit: nothing goes into the user's cache, and the main.py runs of one worker reuse each
# other's programs. One directory per worker, because the cache's writes are not atomic.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="midalign-test-xla-")
    atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)

import jax  # noqa: E402  (must come after XLA_FLAGS)

jax.config.update("jax_default_matmul_precision", "highest")
