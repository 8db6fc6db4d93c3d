"""One process of a multi-process CPU training run, launched by tests/test_multiprocess.py.

    python tests/multiprocess_worker.py --process_id=0 --num_processes=2 --coordinator=localhost:12345 \
        --local_devices=2 --workdir=/tmp/run/stage --out=/tmp/run/result.json &
    python tests/multiprocess_worker.py --process_id=1 --num_processes=2 --coordinator=localhost:12345 \
        --local_devices=2 --workdir=/tmp/run/stage --out=/tmp/run/result.json

Every process trains the tiny model on the same global mesh and feeds only its own rows of each global batch
(PatternIterator with process_index/process_count), exactly as a pod host feeds its shard. Process 0 writes the
losses and per-leaf checksums of the final params to --out; every process writes `<out>.rows-<id>.json` with a
digest of the rows it fed, so the test can check that no process saw another's rows.

With --num_processes=1 there is no coordinator: the same run on one process holding all devices (the reference).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--process_id", type=int, required=True)
    p.add_argument("--num_processes", type=int, required=True)
    p.add_argument("--coordinator", default="", help="host:port of process 0; empty for a single process")
    p.add_argument("--local_devices", type=int, required=True, help="simulated CPU devices in this process")
    p.add_argument("--workdir", required=True, help="stage directory shared by all processes (checkpoints)")
    p.add_argument("--out", required=True, help="JSON result written by process 0")
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--batch_size", type=int, default=8, help="global batch, in rows")
    p.add_argument("--mesh", default="1,2,2", help="data,fsdp,tensor over all processes' devices")
    p.add_argument("--crash_at", type=int, default=0,
                   help="if > 0: every process crashes when asked for batch N, then the run resumes from the last "
                        "checkpoint in the same processes (checks multi-process save/restore)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Must be set before jax is imported: the platform and the number of simulated devices are fixed at start-up.
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.local_devices}"
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))

    import jax
    import ml_collections
    import numpy as np
    from jax.experimental import multihost_utils

    jax.config.update("jax_default_matmul_precision", "highest")  # as tests/conftest.py, so runs compare tightly
    # The run resumed after --crash_at compiles the same programs again; a per-process on-disk cache saves that.
    jax.config.update("jax_compilation_cache_dir", str(Path(args.out).parent / f"jit-cache-{args.process_id}"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

    from midalign_jax import model as M
    from midalign_jax.parallel import distributed
    from midalign_jax.parallel import sharding as S
    from midalign_jax.train import loop
    from tests.train_fixtures import TINY, PatternIterator, mesh_cfg, t_cfg

    multi = args.num_processes > 1
    distributed.maybe_initialize(ml_collections.ConfigDict(dict(
        initialize="yes" if multi else "no", coordinator_address=args.coordinator if multi else "",
        num_processes=args.num_processes if multi else 0, process_id=args.process_id if multi else -1)))
    if jax.process_count() != args.num_processes or jax.process_index() != args.process_id:
        raise RuntimeError(f"expected process {args.process_id} of {args.num_processes}, jax reports "
                           f"{jax.process_index()} of {jax.process_count()}")

    rows_seen: list[str] = []

    class RecordingIterator(PatternIterator):
        """Remembers a digest of every row this process fed, to show it only ever saw its own rows."""

        def __next__(self):
            batch = super().__next__()
            rows_seen.extend(hashlib.sha256(r.tobytes()).hexdigest()[:16] for r in batch["tokens"])
            return batch

    mesh = S.make_mesh(mesh_cfg(*(int(x) for x in args.mesh.split(","))))
    init = lambda shardings: S.place(M.init_params(TINY, jax.random.key(0)), shardings)  # noqa: E731
    eval_batch = next(PatternIterator(args.batch_size, 32, seed=999))  # held-out batch: global on every process

    def run_stage(fail_at: int | None) -> loop.StageResult:
        it = RecordingIterator(args.batch_size, 32, fail_at=fail_at, process_index=jax.process_index(),
                               process_count=jax.process_count())
        data = loop.StageData(iterator=it, source_names=("a", "b"), eval_batches={"a": [eval_batch]})
        return loop.train(t_cfg=t_cfg(steps=args.steps), model_cfg=TINY, mesh=mesh, rules=S.DEFAULT_RULES,
                          stage_dir=Path(args.workdir), data=data, init_params=init, stage_name="multiprocess")

    if args.crash_at > 0:
        try:
            run_stage(args.crash_at)
            raise RuntimeError(f"--crash_at={args.crash_at}: the run finished without the simulated crash")
        except KeyboardInterrupt:
            pass
    res = run_stage(None)

    # The params are sharded across processes: gather the full arrays onto every host before summarizing.
    full = multihost_utils.process_allgather(res.params, tiled=True)
    names = ["/".join(str(getattr(k, "key", k)) for k in path) for path, _ in jax.tree_util.tree_leaves_with_path(full)]
    checksums = {}
    for name, leaf in zip(names, jax.tree.leaves(full)):
        x = np.asarray(leaf, np.float64).ravel()
        # A position-weighted sum catches permuted or misplaced shards that a plain sum would not.
        weights = np.sin(np.arange(x.size) * 0.37 + 1.0)
        checksums[name] = [float(x.sum()), float(np.sqrt((x * x).sum())), float((x * weights).sum())]

    out = Path(args.out)
    Path(f"{out}.rows-{args.process_id}.json").write_text(json.dumps({
        "process_index": jax.process_index(), "process_count": jax.process_count(),
        "local_devices": jax.local_device_count(), "global_devices": jax.device_count(), "rows": rows_seen}))
    if jax.process_index() == 0:
        tmp = out.with_suffix(".tmp")
        # The scalar log covers every step, also those before a crash; res.losses only the last run's.
        logged = [json.loads(line) for line in (Path(args.workdir) / "tb" / "scalars.jsonl").read_text().splitlines()]
        train_loss = {r["step"]: r["train/loss"] for r in logged if "train/loss" in r}
        eval_loss = {r["step"]: r["eval/loss_a"] for r in logged if "eval/loss_a" in r}
        tmp.write_text(json.dumps({"losses": res.losses, "logged_train_loss": train_loss,
                                   "logged_eval_loss": eval_loss, "checksums": checksums, "mesh": dict(mesh.shape),
                                   "process_count": jax.process_count(), "global_devices": jax.device_count()}))
        tmp.rename(out)
    # Keep every process alive until all have written: an early exit can tear down the coordinator.
    multihost_utils.sync_global_devices("multiprocess_worker done")


if __name__ == "__main__":
    main()
