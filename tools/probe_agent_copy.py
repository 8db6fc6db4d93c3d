"""Does a model copy the path a user names into its first tool call? The skill every agentic eval episode needs
first, probed on fresh episodes of the world's own task kinds (the post-training set's format, not its records).

    python tools/probe_agent_copy.py --model=ours:/tmp/midalign/aligned/sft/params
    python tools/probe_agent_copy.py --model=hf:/path/to/SmolLM2-135M-Instruct -n 40 --show

For each episode the model gets the system and user turns and writes its first turn (greedy). Printed per kind:
well-formed calls, first calls that name exactly the path the user gave, and how many of those are paths that
recur (in more than 1% of their kind's episodes in a 2,000-episode sample): names a model can have memorised
rather than copied. The copies of drawn names are the ones that show copying.
"""
from __future__ import annotations

import argparse
import collections
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.backends import load_model  # noqa: E402
from evals.model_api import GenerationRequest  # noqa: E402
from midalign_jax.agent.tools import CALL_CLOSE, InvalidCall, parse_call  # noqa: E402
from midalign_jax.world import agent_episodes  # noqa: E402

# The kinds whose first call names a path from the user's turn (`recover` guesses one on purpose).
KINDS = ("choose", "summarise", "update_setting", "backup")


def first_path(messages: list[dict[str, str]]) -> str:
    return parse_call(messages[2]["content"]).args["path"]


def episodes(n: int, tag: str = "probe") -> list[tuple[str, list[dict[str, str]]]]:
    """(kind, messages) for n fresh episodes, the kinds in turn; `tag` seeds them apart from other samples."""
    kinds = [KINDS[i % len(KINDS)] for i in range(n)]
    return [(kind, agent_episodes.episode(random.Random(f"{tag}:{i}"), kind)) for i, kind in enumerate(kinds)]


def common_paths(sample: int = 2000, share: float = 0.01) -> set[str]:
    counts = collections.Counter(first_path(m) for _, m in episodes(sample, "common"))
    return {p for p, n in counts.items() if n > share * sample / len(KINDS)}


def called_path(text: str) -> tuple[bool, str | None]:
    """(well formed, path): the first call in a generated turn."""
    try:
        call = parse_call(text)   # a call cut at the stop string (its closing tag) still parses
    except InvalidCall:
        return False, None
    return call is not None, (call.args.get("path") if call is not None else None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="PREFIX:ARG as for `python -m evals`, e.g. ours:WORKDIR/sft/params")
    p.add_argument("-n", type=int, default=60, help="episodes, spread evenly over the kinds")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--show", action="store_true", help="print each wanted and written path")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error(f"-n {args.n}: expected at least 1 episode")
    model = load_model(args.model)
    common = common_paths()
    probes = episodes(args.n)
    requests = [GenerationRequest(context=model.render_chat(m[:2]), stop=(CALL_CLOSE,),
                                  max_new_tokens=args.max_new_tokens) for _, m in probes]
    rows = collections.defaultdict(collections.Counter)
    for (kind, messages), text in zip(probes, model.generate_until(requests)):
        want = first_path(messages)
        formed, got = called_path(text)
        row = rows[kind]
        row["n"] += 1
        row["formed"] += formed
        row["copied"] += got == want
        row["copied_common"] += got == want and want in common
        if args.show:
            print(f"{kind:15s} {want!r} -> {got!r}")
    total = sum(rows.values(), collections.Counter())
    print(f"{'kind':15s} {'n':>4s} {'well formed':>12s} {'copied':>7s} {'of them common':>15s}")
    for kind, row in [*sorted(rows.items()), ("all", total)]:
        print(f"{kind:15s} {row['n']:4d} {row['formed']:12d} {row['copied']:7d} {row['copied_common']:15d}")
    print(f"copied a drawn (uncommon) path: {total['copied'] - total['copied_common']} of "
          f"{sum(1 for _, m in probes if first_path(m) not in common)} episodes that had one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
