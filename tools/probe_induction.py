"""Does a model copy from its context? The induction probe: a run of random words, then the same run again.

    python tools/probe_induction.py --model=ours:/tmp/midalign/baseline/pretrain/params
    python tools/probe_induction.py --model=hf:/path/to/SmolLM2-135M-Instruct -n 64 --words=12

Each row is "Words: RUN. Again: RUN" with RUN a fresh draw of common words, so nothing but the context predicts
the second RUN. A model with induction heads reads the second copy almost for free; one without pays the same
per token twice. Printed: the mean NLL per token of each copy, their difference (the copy gain, with its
standard error over rows) and the share of rows whose whole second copy is the greedy prediction.

Every agentic episode needs this skill first (a tool call repeats the path the user named); tools/probe_agent_copy.py
measures it on the agent episodes themselves.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.backends import load_model  # noqa: E402
from evals.model_api import LanguageModel  # noqa: E402

# Common English words: familiar to any tokenizer trained on English, and to the bundled world's BPE.
WORDS = tuple("""
about after again air also animal answer area back ball bank bed bird black blue boat body book box boy bread
bridge brother brown build car card care cat chair child city class clock cloud coat cold color corner cup dark
day desk dog door dream dress drink earth egg end evening eye face farm father field fire fish floor flower food
foot forest friend fruit game garden girl glass gold grass green ground group hair hand hat head heart hill home
horse hour house ice island key king lake lamp land letter light line lion list map market milk money moon
morning mother mountain music name night north number ocean office orange paper park party people piano picture
place plant red river road rock room rose salt school sea seed sheep ship shoe shop silver sister sky snow song
south spring star stone story street summer sun table tea teacher tree truck voice wall watch water west wheel
white window winter wood word world yellow
""".split())
LEAD, BRIDGE = "Words:", ". Again:"
# Copying: the second copy at least a nat per token cheaper. Whole: it then costs at most MAX_SECOND nats a token
# (SmolLM2-135M-Instruct: 0.93, with half the rows greedy throughout); cheaper but dearer than that is partial.
MIN_GAIN, MAX_SECOND = 1.0, 1.5


@dataclasses.dataclass(frozen=True)
class InductionResult:
    n: int
    nll_first: float    # mean NLL per token of the first copy
    nll_second: float   # ... of the second copy, given the first
    gain: float         # nll_first - nll_second, mean over rows
    gain_se: float      # its standard error over rows
    exact: float        # share of rows whose whole second copy is the greedy prediction

    @property
    def verdict(self) -> str:
        if self.gain < MIN_GAIN:
            return "no"
        return "yes" if self.nll_second <= MAX_SECOND else "partial"

    @property
    def copies(self) -> bool:
        return self.verdict == "yes"


def runs(n: int, words: int, seed: int = 0) -> list[str]:
    if n < 2 or words < 1:
        raise ValueError(f"need at least 2 rows of at least 1 word, got n={n}, words={words}")
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(words)) for _ in range(n)]


def probe(model: LanguageModel, n: int = 32, words: int = 10, seed: int = 0) -> InductionResult:
    rows = runs(n, words, seed)
    requests = [(LEAD, " " + run) for run in rows] + [(f"{LEAD} {run}{BRIDGE}", " " + run) for run in rows]
    scored = model.loglikelihood(requests)
    first, second = scored[:n], scored[n:]
    nll1 = [-r.logprob / r.num_tokens for r in first]
    nll2 = [-r.logprob / r.num_tokens for r in second]
    gains = [a - b for a, b in zip(nll1, nll2)]
    mean = sum(gains) / n
    se = math.sqrt(sum((g - mean) ** 2 for g in gains) / (n - 1) / n)
    return InductionResult(n=n, nll_first=sum(nll1) / n, nll_second=sum(nll2) / n, gain=mean, gain_se=se,
                           exact=sum(r.is_greedy for r in second) / n)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="PREFIX:ARG as for `python -m evals`, e.g. ours:WORKDIR/sft/params")
    p.add_argument("-n", type=int, default=32, help="rows (independent runs of words)")
    p.add_argument("--words", type=int, default=10, help="words per run")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.n < 2 or args.words < 1:
        p.error(f"-n {args.n} --words {args.words}: expected at least 2 rows of at least 1 word")
    r = probe(load_model(args.model), args.n, args.words, args.seed)
    print(f"NLL per token, first copy {r.nll_first:.2f}, second copy {r.nll_second:.2f}")
    print(f"copy gain {r.gain:+.2f} nats/token (SE {r.gain_se:.2f}, n={r.n}); whole second copy greedy in "
          f"{r.exact:.0%} of rows")
    why = {"yes": "", "no": f" (needs a gain of at least {MIN_GAIN} nat/token)",
           "partial": f" (the second copy costs more than {MAX_SECOND} nats/token)"}
    print(f"in-context copying: {r.verdict}{why[r.verdict]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
