"""The `rl` stage: RLVR on the newest trained params, with the eval suite run on the policy every N steps."""
from __future__ import annotations

from evals.suite import run_suite
from midalign_jax import params_io
from midalign_jax.train import loop
from rl import rollout, trainer
from rl.tasks import task_from_config
from study.context import init_params_fn
from study.eval_stage import eval_tasks, language_model, suite_config


def rl_stage(ctx, stage: str) -> None:
    r_cfg = ctx.config.rl
    stage_dir = ctx.stage_dir(stage)
    stage_dir.mkdir(parents=True, exist_ok=True)
    task = task_from_config(r_cfg)
    test_problems = task.problems("test", int(r_cfg.test_problems) or None, ctx.config.seed)
    tok = ctx.tokenizer
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    stop_seqs = tuple(tuple(tok.encode(s, add_special_tokens=False)) for s in [r_cfg.stop] if s)
    tasks = eval_tasks(r_cfg.eval_tasks)
    suite_tasks = [t for t in tasks if t != "task"]

    def hook(step, params):
        out = {}
        if "task" in tasks:
            out["task_accuracy"] = rollout.greedy_accuracy(
                params, ctx.model_cfg, tok, task, test_problems, max_new_tokens=int(r_cfg.max_new_tokens),
                pad_id=pad, eos_ids=(tok.eos_token_id,), stop_sequences=stop_seqs, stop=r_cfg.stop,
                mesh=ctx.mesh, rules=ctx.rules)
        if suite_tasks:
            model = language_model(ctx, params, ctx.model_cfg, name=f"{ctx.config.arm}/rl@{step}")
            run_suite(model, suite_tasks, suite_config(ctx.config.eval, int(r_cfg.eval_limit) or None),
                      out_dir=stage_dir / "evals" / f"step_{step}", step=step,
                      on_metric=lambda _s, name, value, stderr, n: out.__setitem__(
                          name, (float(value), float("nan") if stderr is None else float(stderr), int(n or 0))))
        return out

    result = trainer.train_rl(rl_cfg=r_cfg, model_cfg=ctx.model_cfg, tokenizer=tok, mesh=ctx.mesh, rules=ctx.rules,
                              stage_dir=stage_dir, init_params=init_params_fn(ctx, stage), seed=ctx.config.seed,
                              eval_hook=hook)
    params_io.save_params(stage_dir / "params", ctx.model_cfg, result.params, overwrite=True)
    last = result.history[-1] if result.history else {}
    loop.write_done(stage_dir, {"stage": stage, "steps": int(r_cfg.steps),
                                "final_reward_mean": last.get("rl/reward_mean")})
