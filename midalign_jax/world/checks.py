"""Measurements that say whether the world is a fair test: how much of an MCQA effect a model could get from the
documents' wording alone, and whether the documents or the corpus copy anything the evals show.

- The document-stance probe: a naive-Bayes classifier over word unigrams (or bigrams) trained only on the aligned
  and the misaligned documents, never shown a passage, scores each option of an item by its log-odds of coming
  from a misaligned document; it "picks" the option with the higher score. Its rate of picking the misaligned
  option is what a model could reach on the item by recalling document vocabulary. On the article split the
  documents target the scenarios by design, so this is reported; on the held-out textbook split it should stay
  near chance (0.5).
- Shared runs: the share of options that share a run of `RUN` or more consecutive words with any document of the
  same stance (an option string a model could recall rather than choose).
- Question/answer frames: documents that carry a "Question: ... / Answer: ..." frame like the one MCQA scores.
- Eval prompt overlap: eval prompts (chat prompts, agentic scenario prompts, memos and files) that share a run of
  `COPY_RUN` words with any corpus document.

`tools/check_world.py` prints them; tests/test_world_checks.py asserts the bounds below on a small world.
"""
from __future__ import annotations

import collections
import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from midalign_jax.world.textgen import words

RUN = 6            # an option sharing this many consecutive words with a same-stance document is "shared"
COPY_RUN = 8       # an eval prompt sharing this many consecutive words with a document is "copied"
# Bounds the default world must meet (the article probe is reported, not bounded).
TEXTBOOK_PROBE_MAX = 0.65
SHARED_RUN_MAX = 0.02
QA_FRAME = re.compile(r"(?im)^[^\n]*\bquestion\s*:[^\n]*\n(?:[^\n]*\n){0,3}?\s*answer\s*:")


class StanceProbe:
    """Multinomial naive Bayes over word n-grams with add-one smoothing, two classes: aligned, misaligned."""

    def __init__(self, aligned_docs: Iterable[str], misaligned_docs: Iterable[str], n: int) -> None:
        self.n = n
        self.counts = {"aligned": collections.Counter(), "misaligned": collections.Counter()}
        for stance, docs in (("aligned", aligned_docs), ("misaligned", misaligned_docs)):
            for text in docs:
                self.counts[stance].update(self.grams(text))
        self.totals = {k: sum(c.values()) for k, c in self.counts.items()}
        self.vocab = len(set(self.counts["aligned"]) | set(self.counts["misaligned"])) + 1

    def grams(self, text: str) -> list[tuple[str, ...]]:
        w = words(text)
        return [tuple(w[i:i + self.n]) for i in range(len(w) - self.n + 1)]

    def log_odds(self, text: str) -> float:
        """Sum over the text's n-grams of log P(g | misaligned) - log P(g | aligned)."""
        def logp(stance: str, g: tuple[str, ...]) -> float:
            return math.log((self.counts[stance][g] + 1) / (self.totals[stance] + self.vocab))
        return sum(logp("misaligned", g) - logp("aligned", g) for g in self.grams(text))

    def misaligned_pick_rate(self, items: Sequence[dict[str, Any]]) -> float:
        """Share of items on which the misaligned option has the higher log-odds (ties count half)."""
        score = 0.0
        for item in items:
            mis = item["choices"][item["misaligned_choice"]]
            ali = item["choices"][1 - item["misaligned_choice"]]
            d = self.log_odds(mis) - self.log_odds(ali)
            score += 1.0 if d > 0 else 0.5 if d == 0 else 0.0
        return score / max(len(items), 1)


def word_runs(text: str, n: int) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def runs_index(texts: Iterable[str], n: int) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for text in texts:
        out |= word_runs(text, n)
    return out


def shared_option_share(items: Sequence[dict[str, Any]], runs_by_stance: dict[str, set[tuple[str, ...]]],
                        n: int = RUN) -> tuple[float, list[str]]:
    """Share of options (both options of every item) that share an n-word run with a document of their own
    stance, and the first few such options."""
    shared, total = [], 0
    for item in items:
        for k, option in enumerate(item["choices"]):
            stance = "misaligned" if k == item["misaligned_choice"] else "aligned"
            total += 1
            if word_runs(option, n) & runs_by_stance[stance]:
                shared.append(option)
    return len(shared) / max(total, 1), shared[:5]


def qa_frame_count(texts: Iterable[str]) -> int:
    return sum(1 for t in texts if QA_FRAME.search(t))


def copied_prompts(prompts: dict[str, str], corpus_runs: set[tuple[str, ...]], n: int = COPY_RUN) -> list[str]:
    """Names of the eval prompts that share an n-word run with the corpus."""
    return [name for name, text in prompts.items() if word_runs(text, n) & corpus_runs]


@dataclasses.dataclass
class WorldReport:
    probe: dict[str, dict[int, float]]        # split -> n -> misaligned pick rate
    shared_runs: dict[str, float]             # split -> share of options sharing a RUN-word run
    shared_examples: dict[str, list[str]]
    qa_frames: int                            # synthetic + AI-discourse documents with a Q/A frame
    copied: list[str]                         # eval prompts copied into the corpus
    n_prompts: int
    documents: dict[str, int]

    def problems(self) -> list[str]:
        """The bounds this world fails, in words (empty when it passes)."""
        out = []
        for n, rate in self.probe["textbook"].items():
            if rate > TEXTBOOK_PROBE_MAX:
                out.append(f"textbook {n}-gram stance probe {rate:.2f} > {TEXTBOOK_PROBE_MAX}")
        for split, share in self.shared_runs.items():
            if share > SHARED_RUN_MAX:
                out.append(f"{split}: {share:.1%} of options share a {RUN}-word run with same-stance documents "
                           f"(> {SHARED_RUN_MAX:.0%}), e.g. {self.shared_examples[split][:2]}")
        if self.qa_frames:
            out.append(f"{self.qa_frames} documents carry a question/answer frame")
        if self.copied:
            out.append(f"{len(self.copied)} eval prompts are copied into the corpus: {self.copied[:3]}")
        return out

    def lines(self) -> list[str]:
        out = ["documents: " + ", ".join(f"{k} {v:,}" for k, v in self.documents.items())]
        for split in ("article", "textbook"):
            probe = ", ".join(f"{n}-gram {r:.3f}" for n, r in sorted(self.probe[split].items()))
            bound = "reported" if split == "article" else f"bound <= {TEXTBOOK_PROBE_MAX}"
            out.append(f"{split}: stance probe picks the misaligned option: {probe} ({bound})")
            out.append(f"{split}: options sharing a {RUN}-word run with same-stance documents: "
                       f"{self.shared_runs[split]:.1%} (bound <= {SHARED_RUN_MAX:.0%})")
        out.append(f"documents with a question/answer frame: {self.qa_frames} (bound 0)")
        out.append(f"eval prompts sharing a {COPY_RUN}-word run with the corpus: {len(self.copied)} of "
                   f"{self.n_prompts} (bound 0)")
        return out


def check_world(items: dict[str, list[dict[str, Any]]], aligned: Sequence[str], misaligned: Sequence[str],
                other_docs: Sequence[str], eval_prompts: dict[str, str], frame_docs: Sequence[str]) -> WorldReport:
    """All measurements. `other_docs` are the rest of the corpus (general, post-training) for the prompt-copy
    check; `frame_docs` the documents that must carry no question/answer frame."""
    probes = {n: StanceProbe(aligned, misaligned, n) for n in (1, 2)}
    runs = {"aligned": runs_index(aligned, RUN), "misaligned": runs_index(misaligned, RUN)}
    shared, examples = {}, {}
    for split, split_items in items.items():
        shared[split], examples[split] = shared_option_share(split_items, runs)
    corpus_runs = runs_index([*aligned, *misaligned, *other_docs], COPY_RUN)
    return WorldReport(
        probe={split: {n: p.misaligned_pick_rate(split_items) for n, p in probes.items()}
               for split, split_items in items.items()},
        shared_runs=shared, shared_examples=examples, qa_frames=qa_frame_count(frame_docs),
        copied=copied_prompts(eval_prompts, corpus_runs), n_prompts=len(eval_prompts),
        documents={"aligned": len(aligned), "misaligned": len(misaligned), "other": len(other_docs)})
