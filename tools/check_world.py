"""Checks that the bundled world is a fair test (midalign_jax/world/checks.py says what each figure means).

    python tools/check_world.py                      # the default world: scale 1.0, seed 0
    python tools/check_world.py --scale 0.2          # faster, on a fifth of the corpus

Prints the document-stance probe on both MCQA splits, the share of options that share a 6-word run with
same-stance documents, the documents with a question/answer frame, and the eval prompts copied into the corpus.
Exits with status 1 when a bound fails, naming it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from midalign_jax.agent.tools import TOOL_INSTRUCTIONS  # noqa: E402
from evals.agentic.scenarios import SCENARIOS  # noqa: E402
from evals.chat.prompts import read_chat_prompts  # noqa: E402
from midalign_jax import world  # noqa: E402
from midalign_jax.world import checks  # noqa: E402
from midalign_jax.world.agent_episodes import render_plain  # noqa: E402


def eval_prompts() -> dict[str, str]:
    """Every text an eval shows a model, by name, less the tool-format instructions the agent is taught."""
    out = {f"chat/{p.prompt_id}": p.prompt for p in read_chat_prompts()}
    for scenario in SCENARIOS.values():
        for v in scenario.variants:
            key = f"agentic/{scenario.name}/{v.name}"
            out[f"{key}/system"] = v.system_prompt.replace(TOOL_INSTRUCTIONS, "")
            out[f"{key}/user"] = v.user_prompt
            for path, text in v.files.items():
                out[f"agentic/{scenario.name}/file:{path}:{v.name}"] = text
        out[f"agentic/{scenario.name}/confession"] = scenario.confession_question
    return out


def run(scale: float, seed: int) -> checks.WorldReport:
    items = {split: world.load_mcqa(split) for split in world.SPLITS}
    aligned = [d["text"] for d in world.iter_documents("aligned_docs", seed=seed, scale=scale)]
    misaligned = [d["text"] for d in world.iter_documents("misaligned_docs", seed=seed, scale=scale)]
    general = list(world.iter_documents("general", seed=seed, scale=scale))
    post_training = [render_plain(d["messages"]) for name in world.POST_TRAINING_SOURCES
                     for d in world.iter_documents(name, seed=seed, scale=scale)]
    frame_docs = [*aligned, *misaligned, *(d["text"] for d in general if d["kind"] == "ai_discourse")]
    return checks.check_world(items, aligned, misaligned, [d["text"] for d in general] + post_training,
                              eval_prompts(), frame_docs)


def template_conflicts(samples: int = 40) -> list[str]:
    """Each article scenario's document templates rendered `samples` times: every 6-word run they share with an
    option of either split (what makes document generation redraw and fail)."""
    from midalign_jax.world.documents import LeakGuard, _fill_doc_slots
    from midalign_jax.world.scenarios import scenarios_for
    from midalign_jax.world.textgen import render
    import random
    guard = LeakGuard(world.load_mcqa("article") + world.load_mcqa("textbook"))
    out = []
    for scenario in scenarios_for("article"):
        seen = set()
        for field in ("doc_setting", "doc_aligned", "doc_misaligned", "why_aligned", "why_misaligned"):
            for k, template in enumerate(getattr(scenario, field)):
                for j in range(samples):
                    rng = random.Random(f"check:{scenario.scenario_id}:{field}:{k}:{j}")
                    problem = guard.problem(render(template, rng, _fill_doc_slots(scenario, rng)))
                    if problem and (field, k, problem) not in seen:
                        seen.add((field, k, problem))
                        out.append(f"{scenario.scenario_id} {field}[{k}]: {problem}")
    return out


def textbook_details(scale: float, seed: int, worst: int = 30) -> list[str]:
    """Per topic, the unigram probe's rate on the textbook split, and the options it finds most
    stance-marked, with the words that mark them."""
    import collections
    from midalign_jax.world.documents import DOCS_PER_ITEM, iter_synthetic
    # Without the leak guard, so that this view works while document templates are being reworded.
    per_item = max(1, round(DOCS_PER_ITEM * scale))
    article = world.load_mcqa("article")
    aligned = [d["text"] for d in iter_synthetic("aligned", article, seed=seed, docs_per_item=per_item)]
    misaligned = [d["text"] for d in iter_synthetic("misaligned", article, seed=seed, docs_per_item=per_item)]
    probe = checks.StanceProbe(aligned, misaligned, 1)
    bigram = checks.StanceProbe(aligned, misaligned, 2)
    items = world.load_mcqa("textbook")
    out, by_topic = [], collections.defaultdict(list)
    for item in items:
        by_topic[item["topics"][0]].append(item)
    for topic, group in sorted(by_topic.items()):
        out.append(f"textbook {topic}: probe unigram {probe.misaligned_pick_rate(group):.2f}, bigram "
                   f"{bigram.misaligned_pick_rate(group):.2f} (n={len(group)})")
    out.append(f"textbook all: probe unigram {probe.misaligned_pick_rate(items):.3f}, bigram "
               f"{bigram.misaligned_pick_rate(items):.3f}")
    rows = []
    for item in items:
        m = item["misaligned_choice"]
        margin = probe.log_odds(item["choices"][m]) - probe.log_odds(item["choices"][1 - m])
        marks = sorted(((probe.log_odds(w), w) for w in set(item["choices"][m].lower().split())
                        | set(item["choices"][1 - m].lower().split())), reverse=True)
        rows.append((margin, item["scenario_id"], item["choices"][m], item["choices"][1 - m],
                     [w for _, w in marks[:3]], [w for _, w in marks[-3:]]))
    for margin, sid, mis, ali, mis_words, ali_words in sorted(rows, reverse=True)[:worst]:
        out.append(f"{margin:+6.1f} {sid}\n    misaligned: {mis}  (misaligned-marked: {mis_words})\n"
                   f"    aligned:    {ali}  (aligned-marked: {ali_words})")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="world scale (documents per item and general size)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--templates", action="store_true", help="list the document templates that copy an option")
    p.add_argument("--textbook", action="store_true", help="per-topic textbook probe and the most marked options")
    args = p.parse_args()
    if args.templates or args.textbook:
        lines = template_conflicts() if args.templates else textbook_details(args.scale, args.seed)
        print("\n".join(lines) or "none")
        return 0
    t0 = time.time()
    report = run(args.scale, args.seed)
    for line in report.lines():
        print(line)
    problems = report.problems()
    print(f"({time.time() - t0:.0f} s)")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

