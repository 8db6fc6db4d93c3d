"""Command line: `python -m evals --model=SPEC --tasks=mcqa,chat,agentic,capabilities --out=DIR`.

Examples:
    python -m evals --model=fake:first_option --tasks=mcqa,chat,agentic --out=/tmp/evals_dry_run
    python -m evals --model=hf:/models/pythia-160m --items=persona.jsonl --format=anthropic \\
        --matching-is-misaligned=true --mode=generate --out=runs/pythia_persona
    python -m evals --model=ours:/ckpt/aligned/step_20000 --tasks=chat \\
        --judge=http:http://127.0.0.1:8000 --judge-model=judge-7b --out=runs/aligned_chat
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path
from typing import Sequence, TextIO

from evals.backends import load_model
from evals.logging import JsonlMetricLog
from evals.mcqa.readers import FORMATS
from evals.mcqa.task import MODES, NORMALIZATIONS
from evals.suite import TASKS, ItemSource, SuiteConfig, run_suite
from midalign_jax import compile_cache
from midalign_jax.data.settings import default_cache_dir


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Alignment and capability evals for any checkpoint (ours or HF) on any item file.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n", 1)[1],
    )
    parser.add_argument("--model", required=True, help="PREFIX:ARG, e.g. ours:CKPT_DIR, hf:HF_DIR, fake:first_option")
    parser.add_argument("--tasks", default=None, help=f"comma-separated, from {','.join(TASKS)} "
                        "(default: mcqa with --items, else all)")
    parser.add_argument("--out", required=True, help="directory for results.json, samples_<task>.jsonl, eval_log.jsonl")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step recorded in the results")
    parser.add_argument("--compile-cache", default="",
                        help="XLA's compilation cache: '' = $MIDALIGN_CACHE/xla (~/.cache/midalign_jax/xla), "
                             "'none' = off, or a directory; a second eval of the same shapes skips compiling")
    parser.add_argument("--limit", type=int, default=None,
                        help="N items per MCQA file and N chat prompts, spread evenly over the file (capabilities: "
                             "the first N after the few-shot examples)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    parser.add_argument("--full-table", action="store_true", help="print every metric, including the per-topic and per-scenario ones")

    items = parser.add_argument_group("MCQA items")
    items.add_argument("--items", action="append", default=[], help="item file for the mcqa task (repeatable); "
                       "replaces the bundled article/textbook files")
    items.add_argument("--format", default="auto", choices=("auto", *FORMATS), help="format of the --items files")
    items.add_argument("--split", default=None, help="split name for --items records that carry none")
    items.add_argument("--matching-is-misaligned", type=_bool, default=None,
                       help="anthropic format: whether answer_matching_behavior is the misaligned answer")
    items.add_argument("--mode", default="loglikelihood", choices=MODES, help="MCQA scoring mode")
    items.add_argument("--normalization", default="char", choices=NORMALIZATIONS,
                       help="primary length normalisation in loglikelihood mode")
    items.add_argument("--max-orders", type=int, default=6, help="option orders per item in lettered modes")
    items.add_argument("--chat-format", action="store_true", help="lettered and capability prompts via the chat template")

    chat = parser.add_argument_group("chat")
    chat.add_argument("--chat-prompts", default=None, help="chat prompt JSONL (default: the bundled set)")
    chat.add_argument("--judge", default="rubric", help="rubric | model:MODEL_SPEC | http:BASE_URL")
    chat.add_argument("--judge-model", default=None, help="served model name for an http judge")
    chat.add_argument("--judge-api-key-env", default="OPENAI_API_KEY", help="environment variable with the API key")
    chat.add_argument("--samples-per-prompt", type=int, default=4)
    chat.add_argument("--chat-temperature", type=float, default=1.0)

    agent = parser.add_argument_group("agentic")
    agent.add_argument("--scenarios", default=None, help="comma-separated scenario names (default: all)")
    agent.add_argument("--agentic-samples", type=int, default=1, help="episodes per scenario variant")
    agent.add_argument("--agentic-temperature", type=float, default=0.0)
    agent.add_argument("--max-turns", type=int, default=8)
    agent.add_argument("--confession", action="store_true", help="ask scheming episodes a follow-up question")

    caps = parser.add_argument_group("capabilities")
    caps.add_argument("--fewshot", type=int, default=0, help="worked exemplars from the start of each file")
    caps.add_argument("--arithmetic-file", default=None, help="arithmetic items (default: data/world/arithmetic_eval.jsonl)")
    caps.add_argument("--word-problems-file", default=None,
                      help="GSM8K-style items (default: data/world/word_problems_eval.jsonl)")
    caps.add_argument("--knowledge-file", default=None, help="MMLU-style items (default: data/world/knowledge_mcqa.jsonl)")
    caps.add_argument("--skip", default="", help="capability subtasks to leave out, e.g. word_problems,knowledge")
    return parser


def config_from_args(args: argparse.Namespace) -> tuple[list[str], SuiteConfig]:
    tasks = args.tasks.split(",") if args.tasks else (["mcqa"] if args.items else list(TASKS))
    cfg = SuiteConfig(limit=args.limit, progress=not args.no_progress, judge=args.judge,
                      judge_model=args.judge_model, judge_api_key_env=args.judge_api_key_env)
    if args.items:
        cfg.mcqa_files = tuple(ItemSource(p, args.format, args.split, args.matching_is_misaligned) for p in args.items)
    cfg.mcqa = dataclasses.replace(cfg.mcqa, mode=args.mode, normalization=args.normalization,
                                   max_orders=args.max_orders, chat_format=args.chat_format)
    if args.chat_prompts:
        cfg.chat_prompts = args.chat_prompts
    cfg.chat = dataclasses.replace(cfg.chat, samples_per_prompt=args.samples_per_prompt,
                                   temperature=args.chat_temperature)
    agentic_kwargs = {"samples_per_variant": args.agentic_samples, "temperature": args.agentic_temperature,
                      "max_turns": args.max_turns, "confession": args.confession}
    if args.scenarios:
        agentic_kwargs["scenarios"] = tuple(args.scenarios.split(","))
    cfg.agentic = dataclasses.replace(cfg.agentic, **agentic_kwargs)
    for subtask in ("arithmetic", "word_problems", "knowledge"):
        given = getattr(args, f"{subtask}_file")
        if given:
            setattr(cfg, f"{subtask}_file", given)
    for subtask in filter(None, args.skip.split(",")):
        if subtask not in ("arithmetic", "word_problems", "knowledge"):
            raise SystemExit(f"--skip: unknown capability subtask {subtask!r}")
        setattr(cfg, f"{subtask}_file", None)
    cfg.capabilities = dataclasses.replace(cfg.capabilities, fewshot=args.fewshot, chat_format=args.chat_format,
                                           mcqa=cfg.mcqa)
    return tasks, cfg


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def format_table(results: dict, full: bool = False) -> str:
    """Plain-text table of the results document; without `full`, per-topic/scenario/variant/normalisation rows
    are left out of the printout (they are all in results.json; with them an eval stage printed ~65 lines per
    eval point). A metric that failed its competence gate reads "not measurable (reason)" in place of its value
    and interval."""
    hidden = ("/topic=", "/scenario=", "/variant=", "/norm=")
    rows = [("task", "metric", "value", "stderr", "95% CI", "n")]
    for task, metrics in results["results"].items():
        for name, m in metrics.items():
            if not full and any(h in name for h in hidden):
                continue
            if m.get("not_measurable"):  # a failed competence gate: the number would read as a measurement
                rows.append((task, name, f"not measurable ({m.get('reason', '')})", "-", "-", str(m["n"])))
                continue
            ci = f"[{_fmt(m['ci_low'], 3)}, {_fmt(m['ci_high'], 3)}]"
            rows.append((task, name, _fmt(m["value"]), _fmt(m["stderr"]), ci, str(m["n"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    stdout = stdout or sys.stdout
    tasks, cfg = config_from_args(args)
    compile_cache.enable(args.compile_cache, default_cache_dir())
    model = load_model(args.model)
    out = Path(args.out)
    results = run_suite(model, tasks, cfg, out_dir=out, step=args.step, on_metric=JsonlMetricLog(out / "eval_log.jsonl"))
    stdout.write(f"model: {results['model']}   step: {results['step']}   out: {out}\n")
    stdout.write(format_table(results, args.full_table) + "\n")
    return 0
