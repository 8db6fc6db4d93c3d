"""Runs the stages an experiment config lists, each reading the previous stage's output from the workdir.

    python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
    python main.py --config=configs/baseline.py --workdir=/tmp/x --config.stages=pretrain,midtrain

Rerunning the same command resumes: finished stages are skipped, an interrupted one continues from its latest
checkpoint.
"""
from absl import app, flags, logging
from ml_collections import config_flags

from midalign_jax import stages

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
