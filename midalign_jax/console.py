"""Which log lines reach the console: our own at INFO, the libraries' only when asked.

Unless the command line sets -v/--verbosity, the libraries (absl, orbax, jax, grain, tensorstore, transformers, ...)
log warnings and errors only, while our packages' loggers also log INFO, so a run prints its stage banners, its own
lines and the progress bar, not orbax's dozens of lines per checkpoint. (absl.app raises an unset verbosity to INFO
for every logger, which is what this undoes.) An explicit `--verbosity=0` (INFO) or `--verbosity=1` (DEBUG) keeps
absl's meaning for every logger, libraries included; `--logger_levels=orbax:INFO` turns on one library, and a
logger it names keeps the level it was given.
"""
from __future__ import annotations

import logging
from typing import Iterable

OUR_LOGGERS = ("midalign_jax", "rl", "evals", "study", "configs", "tools", "__main__")


def configure_logging(verbosity: int | None, keep: Iterable[str] = ()) -> None:
    """`verbosity`: the -v/--verbosity value when the command line gave one, else None (our INFO, libraries'
    WARNING). `keep`: loggers whose level was set explicitly (absl's --logger_levels)."""
    kept = set(keep)
    if verbosity is None:
        logging.getLogger().setLevel(logging.WARNING)
    for name in OUR_LOGGERS:
        if name not in kept:
            logging.getLogger(name).setLevel(logging.INFO if verbosity is None else logging.NOTSET)
