#!/usr/bin/env bash
# The SmolLM2-135M-shape train step in bfloat16 and the KV-cache sampler on a GPU: MFU and tokens/s, in under
# 8 minutes including the install (bench/device_check.py does the measuring).
#
#   bash bench/device.sh           # on a machine with an NVIDIA GPU (e.g. the project's lent H200)
#   bash bench/device.sh --tiny    # anywhere: the tiny preset on whatever jax sees (checks this script on a CPU)
#
# With a GPU and no CUDA jax in the current python, it makes a virtual environment (DEVICE_VENV, default
# /tmp/midalign-device-venv) with jax[cuda12], optax and numpy from PyPI; nothing else is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${DEVICE_BUDGET_S:-480}
PY=${PYTHON:-python3}
has_gpu() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }
jax_on_gpu() { "$1" -c 'import jax, sys; sys.exit(jax.default_backend() != "gpu")' >/dev/null 2>&1; }

if has_gpu && ! jax_on_gpu "$PY"; then
  VENV=${DEVICE_VENV:-/tmp/midalign-device-venv}
  if [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install -q -U "jax[cuda12]" optax numpy
    PY="$VENV/bin/python"
  else  # no venv module in this python: install next to the repository's code instead
    "$PY" -m pip install -q -U --target /tmp/midalign-device-site "jax[cuda12]" optax numpy
    export PYTHONPATH=/tmp/midalign-device-site${PYTHONPATH:+:$PYTHONPATH}
  fi
  jax_on_gpu "$PY" || { echo "device.sh: jax[cuda12] installed but jax does not see the GPU" >&2; exit 1; }
fi
has_gpu && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
LEFT=$((BUDGET - SECONDS))
[ "$LEFT" -gt 30 ] || { echo "device.sh: the install took the whole ${BUDGET}s budget" >&2; exit 1; }
echo "device.sh: ${SECONDS}s spent installing; ${LEFT}s left for the measurement"
XLA_PYTHON_CLIENT_MEM_FRACTION=${XLA_PYTHON_CLIENT_MEM_FRACTION:-0.9} timeout "$LEFT" "$PY" bench/device_check.py "$@"
