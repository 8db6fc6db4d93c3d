"""Runs the stages an experiment config lists, each reading the previous stage's output from the workdir.

    python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
    python main.py --config=configs/baseline.py --workdir=/tmp/x --config.stages=pretrain,midtrain

Rerunning the same command resumes: finished stages are skipped, an interrupted one continues from its latest
checkpoint.
"""
import glob
import os


def _cpu_only() -> bool:
    platforms = os.environ.get("JAX_PLATFORMS", "")
    if platforms:
        return platforms == "cpu"
    return not any(glob.glob(p) for p in ("/dev/nvidia[0-9]*", "/dev/accel*", "/dev/vfio/[0-9]*"))


if os.environ.get("MIDALIGN_HOST_MALLOC", "retain") == "retain" and _cpu_only():
    # CPU runs: keep freed activation buffers for reuse instead of page-faulting them in every step. Before JAX
    # starts its threads. MIDALIGN_HOST_MALLOC=system leaves glibc's defaults.
    from midalign_jax.host_memory import retain_freed_memory
    retain_freed_memory()

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from study import stages  # noqa: E402

_CONFIG = config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                          lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Where checkpoints, logs and results go.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    logging.set_verbosity(logging.INFO)
    stages.run(_CONFIG.value, _WORKDIR.value)


if __name__ == "__main__":
    app.run(main)
