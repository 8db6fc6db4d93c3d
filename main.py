"""Runs the stages an experiment config lists, each reading the previous stage's output from the workdir.

    python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
    python main.py --config=configs/baseline.py --workdir=/tmp/x --config.stages=pretrain,midtrain

Rerunning the same command resumes: finished stages are skipped, an interrupted one continues from its latest
checkpoint. The console shows a banner per stage, our own log lines and a progress bar per training stage (a plain
line every log_every steps when stdout is not a terminal); `--verbosity=0` or `1` adds the libraries' logs. A bad
config value or a missing file is one line on stderr with exit status 2; `--traceback` shows its full trace.
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
    from midalign_jax.console import configure_logging
    from study import stages
    verbosity = flags.FLAGS["verbosity"]
    configure_logging(verbosity.value if verbosity.present else None, keep=flags.FLAGS.logger_levels)
    stages.run(_CONFIG.value, _WORKDIR.value)


if __name__ == "__main__":
    from midalign_jax.errors import run_absl_main
    run_absl_main(main, prog="main.py")
