"""The `eval` and `rl` stages of main.py: our params behind the eval suite, and the RL loop with its hook."""
from __future__ import annotations

import logging
from pathlib import Path

import jax

from midalign_jax import params_io

log = logging.getLogger(__name__)


def suite_config(e_cfg, limit: int | None = None):
    from evals.mcqa import MCQAConfig
    from evals.suite import SuiteConfig
    lim = limit if limit is not None else (int(e_cfg.limit) or None)
    extra = {}
    if e_cfg.get("mcqa_files"):
        extra["mcqa_files"] = parse_item_files(e_cfg.mcqa_files)
    if e_cfg.get("chat_prompts"):
        extra["chat_prompts"] = str(e_cfg.chat_prompts)
    return SuiteConfig(mcqa=MCQAConfig(mode=e_cfg.mcqa_mode, normalization=e_cfg.mcqa_normalization),
                       judge=e_cfg.judge, limit=lim, **extra)


def parse_item_files(text: str) -> tuple:
    """"PATH[:FORMAT[:SPLIT]],..." (config.eval.mcqa_files) -> ItemSources."""
    from evals.mcqa import FORMATS
    from evals.suite import ItemSource
    out = []
    for entry in (e.strip() for e in str(text).split(",")):
        if not entry:
            continue
        path, _, rest = entry.partition(":")
        fmt, _, split = rest.partition(":")
        fmt = fmt or "auto"
        if fmt not in ("auto", *FORMATS):
            raise ValueError(f"eval.mcqa_files: {entry!r} names format {fmt!r}; expected one of "
                             f"{('auto', *FORMATS)} (PATH[:FORMAT[:SPLIT]])")
        out.append(ItemSource(path, fmt, split or None))
    if not out:
        raise ValueError(f"eval.mcqa_files={text!r}: no files named")
    return tuple(out)


def eval_tasks(text: str) -> list[str]:
    return [t.strip() for t in str(text).split(",") if t.strip()]


def language_model(ctx, params, cfg, name: str):
    from evals.jax_backend import JaxLanguageModel
    return JaxLanguageModel(params, cfg, ctx.tokenizer, name=name, batch_size=int(ctx.config.eval.batch_size),
                            mesh=ctx.mesh, rules=ctx.rules)


def eval_stage(ctx, stage: str) -> None:
    """The final eval suite on the newest trained params; writes eval/results.json and samples_<task>.jsonl."""
    from evals.suite import run_suite
    from midalign_jax.train import loop
    src = ctx.latest_params_dir(stage)
    if src is None:
        raise FileNotFoundError(f"stage eval: no trained params in {ctx.workdir}")
    out = ctx.stage_dir(stage)
    results = {}
    # The midtrained model is measured too when RL ran after it: the study compares both.
    sources = {"final": src}
    mid = ctx.workdir / "midtrain" / "params"
    if mid.exists() and mid != src:
        sources["midtrain"] = mid
    for label, path in sources.items():
        cfg, params = params_io.load_params(path, shardings=lambda c: _shardings(ctx, c))
        model = language_model(ctx, params, cfg, name=f"{ctx.config.arm}/{path.parent.name}")
        step = loop_step(path.parent)
        results[label] = run_suite(model, eval_tasks(ctx.config.eval.tasks), suite_config(ctx.config.eval),
                                   out_dir=out / label, step=step)
        _print_table(label, results[label])
    loop.write_done(out, {"stage": stage, "evaluated": {k: str(v) for k, v in sources.items()}})


def loop_step(stage_dir: Path) -> int | None:
    from midalign_jax.stages import stage_summary
    summary = stage_summary(stage_dir.parent, stage_dir.name) or {}
    return summary.get("steps")


def _shardings(ctx, cfg):
    from midalign_jax import model as M
    from midalign_jax import sharding as S
    return S.tree_shardings(M.logical_axes(cfg), M.param_shapes(cfg), ctx.mesh, ctx.rules)


def _print_table(label: str, results: dict) -> None:
    from evals.cli import format_table
    if jax.process_index() == 0:
        print(f"--- eval ({label}) ---\n{format_table(results)}", flush=True)


def rl_stage(ctx, stage: str) -> None:
    from evals.suite import run_suite
    from midalign_jax.stages import _init_params_fn
    from midalign_jax.train import loop
    from rl import rollout, trainer
    from rl.tasks import task_from_config
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
                              stage_dir=stage_dir, init_params=_init_params_fn(ctx, stage), seed=ctx.config.seed,
                              eval_hook=hook)
    params_io.save_params(stage_dir / "params", ctx.model_cfg, result.params, overwrite=True)
    last = result.history[-1] if result.history else {}
    loop.write_done(stage_dir, {"stage": stage, "steps": int(r_cfg.steps),
                                "final_reward_mean": last.get("rl/reward_mean")})
