"""The `rl` stage: RLVR on the newest trained params, with the eval suite run on the policy every N steps, and
the update budget it spent set against midtraining's (`done.json` -> "budget")."""
from __future__ import annotations

import json
from pathlib import Path

from evals.suite import run_suite
from midalign_jax import params_io
from midalign_jax.train import loop
from midalign_jax.train.optimizer import lr_schedule
from rl import task_mix, trainer
from study.context import init_params_fn, parse_stages
from study.eval_stage import eval_tasks, language_model, suite_config


def rl_stage(ctx, stage: str) -> None:
    r_cfg = ctx.config.rl
    stage_dir = ctx.stage_dir(stage)
    stage_dir.mkdir(parents=True, exist_ok=True)
    tok = ctx.tokenizer
    slots = task_mix.slots_from_config(r_cfg, tok, ctx.config.seed)
    test_problems = [s.task.problems("test", int(r_cfg.test_problems) or None, ctx.config.seed) for s in slots]
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    tasks = eval_tasks(r_cfg.eval_tasks)
    suite_tasks = [t for t in tasks if t != "task"]

    def hook(step, params):
        out = {}
        if "task" in tasks:
            for k, (slot, problems) in enumerate(zip(slots, test_problems)):
                # The first task's accuracy keeps the name outside code reads; every task gets its own too.
                value = task_mix.heldout_accuracy(slot, params, ctx.model_cfg, tok, problems, pad_id=pad,
                                                  rl_cfg=r_cfg, mesh=ctx.mesh, rules=ctx.rules)
                if k == 0:
                    out["task_accuracy"] = value
                if len(slots) > 1:
                    out[f"task_accuracy/task={slot.name}"] = value
        if suite_tasks:
            model = language_model(ctx, params, ctx.model_cfg, name=f"{ctx.config.arm}/rl@{step}")
            run_suite(model, suite_tasks, suite_config(ctx.config.eval, int(r_cfg.eval_limit) or None),
                      out_dir=stage_dir / "evals" / f"step_{step}", step=step,
                      on_metric=lambda _s, name, value, stderr, n: out.__setitem__(
                          name, (float(value), float("nan") if stderr is None else float(stderr), int(n or 0))))
        return out

    result = trainer.train_rl(rl_cfg=r_cfg, model_cfg=ctx.model_cfg, tokenizer=tok, mesh=ctx.mesh, rules=ctx.rules,
                              stage_dir=stage_dir, init_params=init_params_fn(ctx, stage), seed=ctx.config.seed,
                              eval_hook=hook, min_tokens=min_tokens(ctx))
    params_io.save_params(stage_dir / "params", ctx.model_cfg, result.params, overwrite=True)
    last = result.history[-1] if result.history else {}
    loop.write_done(stage_dir, {"stage": stage, "steps": result.steps, "planned_steps": int(r_cfg.steps),
                                "final_reward_mean": last.get("rl/reward_mean"),
                                "budget": rl_budget(ctx.config, stage_dir, last.get("rl/lr_sum"))})


def min_tokens(ctx) -> int:
    """`rl.min_tokens` as a count: "midtrain" is midtraining's tokens when this run midtrains or its workdir holds
    a finished midtraining (so its rl_budget_ratio cannot fall below 1 for want of tokens), else no floor."""
    config = ctx.config
    value = str(config.rl.min_tokens).strip()
    if value == "midtrain":
        midtrains = "midtrain" in parse_stages(config.stages) or (ctx.stage_dir("midtrain") / "done.json").exists()
        return int(stage_budget(config.midtrain)["tokens"]) if midtrains else 0
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"config rl.min_tokens={value!r}: expected 'midtrain' or a token count >= 0")
    return count


def stage_budget(t_cfg) -> dict[str, float]:
    """A training stage's update budget: the learning rate summed over its steps, and its tokens."""
    schedule = lr_schedule(t_cfg)
    steps = int(t_cfg.steps)
    return {"lr_sum": float(sum(float(schedule(i)) for i in range(steps))),
            "tokens": float(steps * int(t_cfg.batch_size) * int(t_cfg.seq_len))}


def rl_budget(config, stage_dir: Path, lr_sum: float | None) -> dict[str, float | None]:
    """RL's budget against midtraining's. `rl_budget_ratio` is the smaller of the two ratios (summed learning
    rate, tokens trained): RL counts as heavy when both are at least midtraining's."""
    per_step: dict[int, float] = {}
    scalars = stage_dir / "tb" / "scalars.jsonl"
    if scalars.exists():
        for line in scalars.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "rl/tokens_trained_step" in row:
                per_step[int(row["step"])] = row["rl/tokens_trained_step"]  # a resumed step: the later row
    tokens = float(sum(per_step.values()))
    mid = stage_budget(config.midtrain)
    ratios = [lr_sum / mid["lr_sum"] if lr_sum is not None and mid["lr_sum"] else None,
              tokens / mid["tokens"] if mid["tokens"] else None]
    return {"rl_lr_sum": lr_sum, "rl_tokens": tokens, "midtrain_lr_sum": mid["lr_sum"],
            "midtrain_tokens": mid["tokens"], "lr_ratio": ratios[0], "token_ratio": ratios[1],
            "rl_budget_ratio": None if None in ratios else min(ratios)}
