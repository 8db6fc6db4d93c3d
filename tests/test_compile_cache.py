"""XLA's persistent compilation cache: a second process loads the first one's programs instead of compiling them,
our BLAS custom call included, and a cache directory the user chose wins over ours."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from midalign_jax import compile_cache

REPO = Path(__file__).resolve().parents[1]

# Runs in a fresh process: enable the cache as main.py does, run jitted programs, report the cache's events.
SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import jax, jax.numpy as jnp, numpy as np
from jax import monitoring
events = []
monitoring.register_event_listener(lambda name, **kw: events.append(name))
from midalign_jax import compile_cache
directory = compile_cache.enable(sys.argv[2], sys.argv[3], min_compile_seconds=0.0)
x = jnp.asarray(np.random.default_rng(0).standard_normal((64, 96)), jnp.float32)
w = jnp.asarray(np.random.default_rng(1).standard_normal((96, 32)), jnp.float32)
values = [float(jax.jit(lambda x, w: jnp.tanh(x @ w).sum())(x, w))]
from midalign_jax.kernels import blas
if blas.available():
    values.append(float(jax.jit(lambda x, w: blas.gemm(x, w).sum())(x, w)))
print(json.dumps({"dir": None if directory is None else str(directory), "values": values,
                  "hits": events.count("/jax/compilation_cache/cache_hits"),
                  "misses": events.count("/jax/compilation_cache/cache_misses")}))
"""


def run(setting: str, root: Path, **env_extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env.update(JAX_PLATFORMS="cpu", **env_extra)
    env.pop("XLA_FLAGS", None)
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO), setting, str(root)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_resolve():
    assert compile_cache.resolve("", "/c") == Path("/c/xla")
    assert compile_cache.resolve(None, "/c") == Path("/c/xla")
    assert compile_cache.resolve("none", "/c") is None and compile_cache.resolve("OFF", "/c") is None
    assert compile_cache.resolve("~/x", "/c") == Path("~/x").expanduser()


@pytest.mark.slow
def test_second_process_loads_the_programs(tmp_path):
    first = run("", tmp_path)
    assert first["dir"] == str(tmp_path / "xla") and first["hits"] == 0 and first["misses"] >= 1
    assert list((tmp_path / "xla").glob("*-cache"))
    second = run("", tmp_path)
    # Every program of the first run came back from disk (the BLAS one too, where the library is there), and
    # computes the same numbers.
    assert second["hits"] >= len(second["values"]) and second["misses"] == 0
    assert second["values"] == first["values"]


@pytest.mark.slow
def test_off_and_the_users_directory(tmp_path):
    off = run("none", tmp_path)
    assert off["dir"] is None and off["hits"] == 0 and not (tmp_path / "xla").exists()
    mine = tmp_path / "mine"
    chosen = run("", tmp_path, JAX_COMPILATION_CACHE_DIR=str(mine))
    assert chosen["dir"] == str(mine) and not (tmp_path / "xla").exists()
