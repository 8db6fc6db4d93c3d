"""Orbax checkpoints of the train state together with every process's data-iterator state.

Layout: <stage_dir>/checkpoints/<step>/{state, data}. `state` holds params, optimizer state, step and RNG
(sharded arrays, written by all processes); `data` holds one JSON file per process (its iterator state).
Saves are asynchronous; the last `keep` are kept plus any milestone steps.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable

import grain
import jax
import orbax.checkpoint as ocp

log = logging.getLogger(__name__)


class _IteratorState:
    """Adapts a data iterator with JSON-able get_state/set_state to grain's checkpoint handler (bytes)."""

    def __init__(self, iterator):
        self.iterator = iterator

    def get_state(self) -> bytes:
        return json.dumps(self.iterator.get_state(), sort_keys=True).encode()

    def set_state(self, state: bytes) -> None:
        self.iterator.set_state(json.loads(state))

    def start_prefetch(self) -> None:
        # grain's handler calls this after set_state; our iterators prefetch on their own when next() is called.
        start = getattr(self.iterator, "start_prefetch", None)
        if start is not None:
            start()


class Checkpointer:
    def __init__(self, directory: str | Path, *, keep: int = 2, milestones: tuple[int, ...] = (),
                 async_save: bool = True):
        self.directory = Path(directory).absolute()
        milestones = tuple(int(m) for m in milestones)
        opts = ocp.CheckpointManagerOptions(
            max_to_keep=None, enable_async_checkpointing=async_save, create=True,
            preservation_policy=ocp.checkpoint_managers.AnyPreservationPolicy([
                ocp.checkpoint_managers.LatestN(keep),
                ocp.checkpoint_managers.CustomSteps(list(milestones)),
            ]))
        self.manager = ocp.CheckpointManager(
            self.directory, options=opts,
            item_handlers={"state": ocp.StandardCheckpointHandler(), "data": grain.checkpoint.CheckpointHandler()})

    def all_steps(self) -> list[int]:
        return sorted(self.manager.all_steps())

    def save(self, step: int, state: Any, iterator=None, *, force: bool = False) -> None:
        items = {"state": ocp.args.StandardSave(state)}
        if iterator is not None:
            items["data"] = grain.checkpoint.CheckpointSave(_IteratorState(iterator))
        self.manager.save(step, args=ocp.args.Composite(**items), force=force)

    def wait(self) -> None:
        self.manager.wait_until_finished()

    def restore_latest(self, abstract_state: Any, iterator=None, *,
                       on_fallback: Callable[[int, Exception], None] | None = None) -> tuple[int, Any] | None:
        """Restores the newest checkpoint that reads back cleanly, onto the shardings in `abstract_state`
        (so a different mesh or device count re-shards on load). A corrupt latest checkpoint is reported and the
        previous one is used. Returns (step, state) or None when there is none."""
        for step in reversed(self.all_steps()):
            try:
                items = {"state": ocp.args.StandardRestore(abstract_state)}
                if iterator is not None:
                    items["data"] = grain.checkpoint.CheckpointRestore(_IteratorState(iterator))
                restored = self.manager.restore(step, args=ocp.args.Composite(**items))
                return step, restored["state"]
            except Exception as e:  # noqa: BLE001 - any read failure means "this checkpoint is unusable"
                log.error("checkpoint %s/%d is incomplete or corrupt (%s: %s); trying the previous one",
                          self.directory, step, type(e).__name__, e)
                if on_fallback is not None:
                    on_fallback(step, e)
        return None

    def close(self) -> None:
        self.manager.wait_until_finished()
        self.manager.close()


def abstract_like(tree: Any) -> Any:
    """ShapeDtypeStructs carrying each leaf's sharding: the restore target for `restore_latest`."""
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), tree)
