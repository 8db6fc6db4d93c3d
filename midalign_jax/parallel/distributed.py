"""Multi-controller start-up: one process per host, a global mesh over all devices."""
from __future__ import annotations

import logging
import os

import jax

log = logging.getLogger(__name__)

_ENV_HINTS = ("JAX_COORDINATOR_ADDRESS", "SLURM_NTASKS", "TPU_WORKER_HOSTNAMES", "MEGASCALE_COORDINATOR_ADDRESS")


def maybe_initialize(dist_cfg) -> None:
    """Calls jax.distributed.initialize when the config asks for it, or (`auto`) when the environment shows a
    multi-process job: a TPU pod, SLURM with several tasks, or an explicit coordinator. Single-host runs skip it."""
    mode = str(dist_cfg.initialize)
    if mode not in ("auto", "yes", "no"):
        raise ValueError(f"distributed.initialize={mode!r}; expected auto, yes or no")
    explicit = bool(dist_cfg.coordinator_address)
    if mode == "no" or (mode == "auto" and not explicit and not _env_says_multiprocess()):
        return
    if jax.distributed.is_initialized():
        return
    kwargs = {}
    if explicit:
        kwargs = dict(coordinator_address=dist_cfg.coordinator_address,
                      num_processes=int(dist_cfg.num_processes), process_id=int(dist_cfg.process_id))
        if kwargs["num_processes"] <= 0 or kwargs["process_id"] < 0:
            raise ValueError("distributed.coordinator_address is set: also set distributed.num_processes (> 0) and "
                             "distributed.process_id (>= 0)")
    if jax.config.jax_platforms in ("cpu",) or os.environ.get("JAX_PLATFORMS") == "cpu":
        # Cross-process collectives on CPU need an explicit implementation (tests, laptops).
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(**kwargs)
    log.info("distributed: process %d of %d, %d local / %d global devices", jax.process_index(),
             jax.process_count(), jax.local_device_count(), jax.device_count())


def _env_says_multiprocess() -> bool:
    if any(os.environ.get(k) for k in _ENV_HINTS[:1] + _ENV_HINTS[2:]):
        return True
    return int(os.environ.get("SLURM_NTASKS", "1")) > 1
