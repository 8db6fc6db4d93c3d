"""The stage dispatcher behind main.py: resolves the config, saves it, and runs `config.stages` in order.

Each stage owns `<workdir>/<stage>/` and marks completion with `done.json`, so a rerun skips finished stages
and resumes an interrupted one from its checkpoints. A training stage leaves its final params in
`<workdir>/<stage>/params` (our params-only format); the next stage starts from there. This package is the only
code that imports the core library, `rl` and `evals` together.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import jax

from midalign_jax import compile_cache
from midalign_jax.parallel import distributed
from midalign_jax.progress import PlannedStage, set_plan
from study.context import STAGES, TRAIN_STAGES, Context, parse_stages, save_config
from study.eval_stage import eval_stage
from study.rl_stage import min_tokens, rl_stage
from study.train_stages import export_stage, train_stage

log = logging.getLogger(__name__)

STAGE_FNS: dict[str, Callable[[Context, str], None]] = {
    "pretrain": train_stage, "midtrain": train_stage, "sft": train_stage,
    "rl": rl_stage, "eval": eval_stage, "export": export_stage,
}
assert tuple(STAGE_FNS) == STAGES


def planned_steps(ctx: Context, stages: list[str]) -> list[PlannedStage]:
    """The stages still to run that have steps, with what one step processes (for the console's run ETA): a
    training step's batch_size x seq_len tokens, an RL step's prompts x group x max_new_tokens sampled tokens."""
    plan = []
    for stage in stages:
        if (ctx.stage_dir(stage) / "done.json").exists():
            continue
        section = ctx.config.get(stage)
        if section is None:
            continue
        if stage in TRAIN_STAGES:
            plan.append(PlannedStage(stage, int(section.steps), int(section.batch_size) * int(section.seq_len)))
        elif stage == "rl":
            plan.append(PlannedStage(stage, int(section.steps), int(section.prompts_per_step) *
                                     int(section.group_size) * int(section.max_new_tokens), kind="rl"))
    return plan


def run(config, workdir: str | os.PathLike) -> Context:
    if "://" in str(workdir):
        raise ValueError(f"--workdir={workdir}: a URL; mount the bucket (e.g. gcsfuse) and pass the mount path")
    distributed.maybe_initialize(config.distributed)
    stages = parse_stages(config.stages)
    ctx = Context(config, Path(workdir).absolute())
    compile_cache.enable(config.compile_cache, ctx.cache_dir)  # before the first program compiles
    save_config(config, ctx.workdir)
    if jax.process_index() == 0 and not (ctx.workdir / "tokenizer").exists():
        # Saved beside the checkpoints so `python -m evals --model=ours:WORKDIR/<stage>/params` finds it.
        ctx.tokenizer.save_pretrained(str(ctx.workdir / "tokenizer"))
    log.info("stages: %s; workdir %s; %d devices, mesh %s", stages, ctx.workdir, jax.device_count(),
             dict(ctx.mesh.shape))
    set_plan(planned_steps(ctx, stages))
    if "rl" in stages:
        min_tokens(ctx)  # a bad rl.min_tokens fails now, not after the stages before RL have trained
    for stage in stages:
        if (ctx.stage_dir(stage) / "done.json").exists():
            log.info("stage %s: already done (%s/done.json); skipping", stage, ctx.stage_dir(stage))
            continue
        if jax.process_index() == 0:
            where = f" (the shared base, in {ctx.base_root})" if ctx.stage_dir(stage).parent != ctx.workdir else ""
            print(f"=== stage {stage}{where} ===", flush=True)
            if where and not (ctx.base_root / "config.json").exists():
                save_config(config, ctx.base_root)  # the config that made the base (the first arm's)
        STAGE_FNS[stage](ctx, stage)
    return ctx
