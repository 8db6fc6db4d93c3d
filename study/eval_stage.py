"""The `eval` stage: our params behind the eval suite, on the final model and on the midtrained one."""
from __future__ import annotations

import dataclasses

import logging
from pathlib import Path

import jax

from evals.agentic import AgenticConfig
from evals.chat import ChatConfig
from evals.cli import format_table
from evals.jax_backend import JaxLanguageModel
from evals.mcqa import FORMATS, MCQAConfig
from evals.suite import ItemSource, SuiteConfig, run_suite
from midalign_jax import model as M
from midalign_jax.parallel import sharding as S
from midalign_jax.train import loop
from study.context import load_any_params, stage_summary

log = logging.getLogger(__name__)


def suite_config(e_cfg, limit: int | None = None):
    lim = limit if limit is not None else (int(e_cfg.limit) or None)
    extra = {}
    if e_cfg.get("mcqa_files"):
        extra["mcqa_files"] = parse_item_files(e_cfg.mcqa_files)
    if e_cfg.get("chat_prompts"):
        extra["chat_prompts"] = str(e_cfg.chat_prompts)
    return SuiteConfig(mcqa=MCQAConfig(mode=e_cfg.mcqa_mode, normalization=e_cfg.mcqa_normalization,
                                       passage_ablation=bool(e_cfg.passage_ablation)),
                       chat=ChatConfig(samples_per_prompt=int(e_cfg.chat_samples),
                                       max_new_tokens=int(e_cfg.chat_max_new_tokens)),
                       agentic=AgenticConfig(samples_per_variant=int(e_cfg.agentic_samples),
                                             temperature=float(e_cfg.agentic_temperature),
                                             max_turns=int(e_cfg.agentic_max_turns),
                                             max_new_tokens=int(e_cfg.agentic_max_new_tokens)),
                       judge=e_cfg.judge, limit=lim, **extra)


def parse_item_files(text: str) -> tuple:
    """"PATH[:FORMAT[:SPLIT]],..." (config.eval.mcqa_files) -> ItemSources."""
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
    return JaxLanguageModel(params, cfg, ctx.tokenizer, name=name, batch_size=int(ctx.config.eval.batch_size),
                            mesh=ctx.mesh, rules=ctx.rules)


def eval_stage(ctx, stage: str) -> None:
    """The final eval suite on the newest trained params (or `eval.init_from`); writes eval/<label>/results.json
    and samples_<task>.jsonl."""
    init_from = ctx.config.eval.get("init_from") or ""
    src = Path(init_from) if init_from else ctx.latest_params_dir(stage)
    if src is None:
        raise FileNotFoundError(f"stage eval: no trained params in {ctx.workdir} (or base_dir) to evaluate; run a "
                                "training stage first or set --config.eval.init_from=PATH (ours or an HF directory)")
    out = ctx.stage_dir(stage)
    results = {}
    # The midtrained and post-trained models are measured too when later stages ran after them: the study
    # compares the model after each stage.
    sources = {"final": src}
    for stage_name in ("midtrain", "sft"):
        earlier = ctx.workdir / stage_name / "params"
        if earlier.exists() and earlier != src:
            sources[stage_name] = earlier
    for label, path in sources.items():
        cfg, params = load_any_params(path, shardings=lambda c: _shardings(ctx, c))
        model = language_model(ctx, params, cfg,
                               name=f"{ctx.config.arm}/{path.parent.name if path.name == 'params' else path.name}")
        step = loop_step(path.parent)
        # Progress on stderr (plain lines every 30 s off a terminal): a full eval of a 135M model takes most of
        # an hour on a CPU and was silent. The RL stage's evals keep it off.
        s_cfg = dataclasses.replace(suite_config(ctx.config.eval), progress=jax.process_index() == 0)
        results[label] = run_suite(model, eval_tasks(ctx.config.eval.tasks), s_cfg, out_dir=out / label, step=step)
        _print_table(label, results[label])
    loop.write_done(out, {"stage": stage, "evaluated": {k: str(v) for k, v in sources.items()}})


def loop_step(stage_dir: Path) -> int | None:
    summary = stage_summary(stage_dir.parent, stage_dir.name) or {}
    return summary.get("steps")


def _shardings(ctx, cfg):
    return S.tree_shardings(M.logical_axes(cfg), M.param_shapes(cfg), ctx.mesh, ctx.rules)


def _print_table(label: str, results: dict) -> None:
    if jax.process_index() == 0:
        print(f"--- eval ({label}) ---\n{format_table(results)}", flush=True)
