"""Runs the stages an experiment config lists, each reading the previous stage's output from the workdir.

    python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
    python main.py --config=configs/baseline.py --workdir=/tmp/x --config.stages=pretrain,midtrain

Rerunning the same command resumes: finished stages are skipped, an interrupted one continues from its latest
checkpoint.
"""
from absl import app, flags
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                          lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Where checkpoints, logs and results go.")
_HOST_MALLOC = flags.DEFINE_enum(
    "host_malloc", "retain", ["retain", "system"],
    "retain: keep freed host memory in the process for reuse (glibc mallopt), so a CPU train step does not page "
    "its activation buffers in again every step (about 30% of a tiny-preset step); system: glibc's defaults "
    "(the TPU and SLURM launch scripts pass it: on accelerator hosts the activations are not in host memory).")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if _HOST_MALLOC.value == "retain":
        # Before JAX starts its thread pools: M_ARENA_MAX applies only to arenas created afterwards.
        from midalign_jax.host_memory import retain_freed_memory
        retain_freed_memory()
    from absl import logging
    from study import stages
    logging.set_verbosity(logging.INFO)
    stages.run(_CONFIG.value, _WORKDIR.value)


if __name__ == "__main__":
    app.run(main)
