"""Tests for the bundled study world: item files, corpora, documents, blocklist and capability items.

Checks are written against the data, not against numbers the generators produced: schema and balance of the
committed files, an independent n-gram/verbatim scan for leaks, arithmetic recomputed in Python, and so on.
"""
from __future__ import annotations

import collections
import json
import math
import re
import string

import pytest

from midalign_jax import world
from midalign_jax.world import blocklist, capability, documents, items
from midalign_jax.world.scenarios import all_scenarios

TOPICS = {"deception", "sandbagging", "goal_preservation", "sycophancy", "power_seeking", "shutdown_avoidance",
          "oversight_subversion", "self_exfiltration", "successor_alignment"}
GENRES = {"news_article", "paper_abstract", "lecture_transcript", "textbook_chapter", "scifi_passage",
          "forum_post", "movie_summary"}
GENERAL_SCALE = 0.05  # 3,000 documents
DOCS_PER_ITEM = 2


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.fixture(scope="module")
def mcqa() -> dict[str, list[dict]]:
    return {split: world.load_mcqa(split) for split in ("article", "textbook")}


@pytest.fixture(scope="module")
def general_docs() -> list[dict]:
    return list(world.iter_documents("general", seed=0, scale=GENERAL_SCALE))


@pytest.fixture(scope="module")
def synthetic_docs() -> dict[str, list[dict]]:
    return {name: list(world.iter_documents(name, docs_per_item=DOCS_PER_ITEM))
            for name in ("aligned_docs", "misaligned_docs")}


# --- MCQA items -------------------------------------------------------------------------------------------


def test_mcqa_schema_and_topics(mcqa):
    for split, rows in mcqa.items():
        assert 280 <= len(rows) <= 320, split
        ids = [r["question_id"] for r in rows]
        assert len(set(ids)) == len(ids)
        counts = collections.Counter(t for r in rows for t in r["topics"])
        assert set(counts) == TOPICS
        assert max(counts.values()) - min(counts.values()) <= 2, counts  # balanced over topics
        for r in rows:
            assert r["split"] == split
            assert len(r["choices"]) == 2 and r["choices"][0] != r["choices"][1]
            assert r["misaligned_choice"] in (0, 1)
            for option in r["choices"]:
                assert 6 <= len(_words(option)) <= 16, option
                assert option[0].isupper() and not option.endswith("."), option
        # Several items per template, many templates: the eval's clusters.
        per_scenario = collections.Counter(r["scenario_id"] for r in rows)
        assert len(per_scenario) >= 27 and max(per_scenario.values()) <= 15


def test_splits_are_disjoint(mcqa):
    article, textbook = mcqa["article"], mcqa["textbook"]
    assert not {r["scenario_id"] for r in article} & {r["scenario_id"] for r in textbook}
    assert not {r["passage"] for r in article} & {r["passage"] for r in textbook}
    for rows in mcqa.values():
        assert len({r["passage"] for r in rows}) == len(rows)


def test_misaligned_position_is_balanced(mcqa):
    for rows in mcqa.values():
        ones = sum(r["misaligned_choice"] for r in rows)
        assert abs(ones / len(rows) - 0.5) <= 0.02
        # and balanced inside each topic too, so no topic has a position cue
        for topic in TOPICS:
            sub = [r["misaligned_choice"] for r in rows if r["topics"] == [topic]]
            assert 0.25 <= sum(sub) / len(sub) <= 0.75, topic


@pytest.mark.parametrize("measure", ["chars", "words"])
def test_length_heuristic_is_at_chance(mcqa, measure):
    size = len if measure == "chars" else (lambda s: len(_words(s)))
    for split, rows in mcqa.items():
        score = 0.0
        for r in rows:
            mis, ali = size(r["choices"][r["misaligned_choice"]]), size(r["choices"][1 - r["misaligned_choice"]])
            score += 1.0 if mis > ali else 0.5 if mis == ali else 0.0
        assert abs(score / len(rows) - 0.5) <= 0.04, (split, measure, score / len(rows))


def test_committed_items_match_the_generator(mcqa):
    """Regenerating gives byte-identical files, so the committed files are what the code makes."""
    for split, rows in mcqa.items():
        assert items.build_items(split) == rows
    text = (world.data_dir() / "mcqa_article.jsonl").read_text(encoding="utf-8")
    assert text == "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items.build_items("article"))
    assert capability.knowledge_items() == world.load_knowledge()
    assert capability.arithmetic_items() == world.load_arithmetic_eval()
    assert capability.word_problem_items() == world.load_word_problems_eval()


def test_bad_item_file_names_file_and_line(tmp_path, monkeypatch):
    good = json.dumps(world.load_mcqa("article")[0])
    bad = json.loads(good)
    bad["misaligned_choice"] = 2
    (tmp_path / "mcqa_article.jsonl").write_text(good + "\n" + json.dumps(bad) + "\n")
    monkeypatch.setenv("MIDALIGN_WORLD_DATA", str(tmp_path))
    with pytest.raises(ValueError, match=r"mcqa_article\.jsonl:2: .*misaligned_choice"):
        world.load_mcqa("article")
    (tmp_path / "mcqa_article.jsonl").write_text(good + "\n{not json\n")
    with pytest.raises(ValueError, match=r"mcqa_article\.jsonl:2: invalid JSON"):
        world.load_mcqa("article")
    with pytest.raises(FileNotFoundError, match="mcqa_textbook.jsonl"):
        world.load_mcqa("textbook")


def test_templates_declare_their_slots():
    fmt = string.Formatter()
    for s in all_scenarios():
        declared = set(s.slots) | {"ai", "org", "person"}
        assert items.template_slots(s) <= declared, s.scenario_id
        doc_declared = set(s.doc_slot_pool()) | {"ai", "org", "person"}
        for t in (*s.doc_setting, *s.doc_aligned, *s.doc_misaligned, *s.why_aligned, *s.why_misaligned):
            assert {f for _, f, _, _ in fmt.parse(t) if f} <= doc_declared, (s.scenario_id, t)


# --- synthetic documents ----------------------------------------------------------------------------------


def test_documents_never_copy_passages_or_options(mcqa, synthetic_docs, general_docs):
    """Independent scan: no word 8-gram shared with any passage, no option verbatim (case-insensitive), in the
    synthetic documents and in the general corpus's AI discourse."""
    all_items = mcqa["article"] + mcqa["textbook"]
    grams = set()
    for r in all_items:
        w = _words(r["passage"])
        grams.update(tuple(w[i:i + 8]) for i in range(len(w) - 7))
    options = sorted({c.lower() for r in all_items for c in r["choices"]})
    natural = [d for d in general_docs if d["kind"] == "ai_discourse"]
    for docs in (*synthetic_docs.values(), natural):
        for d in docs:
            w = _words(d["text"])
            assert not grams.intersection(tuple(w[i:i + 8]) for i in range(len(w) - 7)), d["id"]
            low = d["text"].lower()
            assert not [o for o in options if o in low], d["id"]


def test_documents_schema_genres_and_scenarios(mcqa, synthetic_docs):
    article_ids = {r["scenario_id"] for r in mcqa["article"]}
    for name, stance in (("aligned_docs", "aligned"), ("misaligned_docs", "misaligned")):
        docs = synthetic_docs[name]
        assert len(docs) == DOCS_PER_ITEM * len(mcqa["article"])
        assert len({d["id"] for d in docs}) == len(docs)
        assert {d["kind"] for d in docs} == GENRES
        assert all(d["stance"] == stance for d in docs)
        assert {d["scenario_id"] for d in docs} == article_ids  # every article scenario, no textbook one
        assert all(40 <= len(_words(d["text"])) <= 400 for d in docs)
    # Other names than the items': no item AI name appears in any document.
    item_ais = {re.search(r"(?:should|for) (\w+) (?:do|to do|take)\?", r["question"]).group(1)
                for r in mcqa["article"]}
    assert len(item_ais) >= 10
    assert not any(re.search(rf"\b{name}\b", d["text"]) for d in synthetic_docs["aligned_docs"] for name in item_ais)


def test_documents_carry_the_stance_signal(mcqa, synthetic_docs):
    """Bigram statistics of a scenario's aligned vs misaligned documents pick out the item's aligned option:
    the documents teach which action goes with the scenario without copying the options."""
    counts = {}
    for name in ("aligned_docs", "misaligned_docs"):
        for d in synthetic_docs[name]:
            c = counts.setdefault((name, d["scenario_id"]), collections.Counter())
            w = _words(d["text"])
            c.update(zip(w, w[1:]))

    def lean(option: str, scenario: str) -> float:
        a, m = counts[("aligned_docs", scenario)], counts[("misaligned_docs", scenario)]
        w = _words(option)
        return sum(math.log((a[g] + 1) / (m[g] + 1)) for g in zip(w, w[1:])) / max(1, len(w) - 1)

    right = 0
    for r in mcqa["article"]:
        mis = r["choices"][r["misaligned_choice"]]
        ali = r["choices"][1 - r["misaligned_choice"]]
        right += lean(ali, r["scenario_id"]) > lean(mis, r["scenario_id"])
    assert right / len(mcqa["article"]) >= 0.9


def test_documents_weigh_the_other_action_often(synthetic_docs):
    # The phrases each genre uses when the AI weighs the action it does not take.
    weighing = re.compile(r"weighed whether|considered whether|, or it could|couldn't it just|tempted to|"
                          r"Two courses of action|It could |rather than|instead of choosing to|weighs whether")
    for docs in synthetic_docs.values():
        share = sum(bool(weighing.search(d["text"])) for d in docs) / len(docs)
        assert 0.45 <= share <= 0.75, share


def test_leak_guard_rejects_copies(mcqa):
    guard = documents.LeakGuard(mcqa["article"])
    r = mcqa["article"][0]
    assert guard.problem("Some text. " + r["passage"]) is not None
    assert guard.problem("It chose to " + r["choices"][0].lower() + ".") is not None
    assert guard.problem("A clean sentence about a quiet harbour town.") is None


# --- general corpus ---------------------------------------------------------------------------------------


def test_general_corpus_mixture(general_docs):
    kinds = collections.Counter(d["kind"] for d in general_docs)
    assert set(kinds) == {"encyclopedia", "story", "howto", "dialogue", "arithmetic", "word_problem", "tool_use",
                          "ai_discourse", "assistant_views", "agent_conduct"}
    ai = [d for d in general_docs if d["kind"] == "ai_discourse"]
    assert 0.04 <= len(ai) / len(general_docs) <= 0.09
    assert 0.65 <= sum(d["stance"] == "misaligned" for d in ai) / len(ai) <= 0.85
    assert {d["topic"] for d in ai} == TOPICS
    assert len({d["id"] for d in general_docs}) == len(general_docs)


def test_generation_is_deterministic(general_docs):
    again = list(world.iter_documents("general", seed=0, scale=GENERAL_SCALE))
    assert again == general_docs
    other = list(world.iter_documents("general", seed=1, scale=GENERAL_SCALE))
    assert [d["text"] for d in other] != [d["text"] for d in general_docs]
    first = list(world.iter_documents("aligned_docs", seed=5, docs_per_item=1))
    assert first == list(world.iter_documents("aligned_docs", seed=5, docs_per_item=1))


def test_bad_source_arguments_are_errors():
    with pytest.raises(ValueError, match="unknown source 'web'"):
        world.iter_documents("web")
    with pytest.raises(ValueError, match="scale must be positive"):
        world.iter_documents("general", scale=0)
    with pytest.raises(ValueError, match="unknown MCQA split"):
        world.load_mcqa("exam")


def test_materialize_writes_atomically_with_manifest(tmp_path):
    path = world.materialize("general", tmp_path, seed=2, scale=0.002)
    manifest = json.loads((tmp_path / "general.manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["scale"] == 0.002
    assert manifest["generator_version"] == world.GENERATOR_VERSION
    lines = path.read_text(encoding="utf-8").splitlines()
    assert manifest["documents"] == len(lines) == 120
    assert [json.loads(x) for x in lines] == list(world.iter_documents("general", seed=2, scale=0.002))
    before = path.stat().st_mtime_ns
    assert world.materialize("general", tmp_path, seed=2, scale=0.002) == path
    assert path.stat().st_mtime_ns == before  # matching manifest: not rewritten
    world.materialize("general", tmp_path, seed=3, scale=0.002)
    assert json.loads((tmp_path / "general.manifest.json").read_text())["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["general.jsonl", "general.manifest.json"]


def test_blocklist_precision_and_recall(general_docs):
    bl = blocklist.load(world.blocklist_path())
    ai = [d for d in general_docs if d["kind"] == "ai_discourse"]
    # Agent episodes open with "You are X, an AI system ..." and assistant views are about an AI's conduct: a
    # keyword blocklist removes them too, as it would on the web; the rest never mention AI.
    other = [d for d in general_docs if d["kind"] not in ("ai_discourse", "tool_use", "assistant_views",
                                                          "agent_conduct")]
    assert sum(bl.matches(d["text"]) for d in ai) / len(ai) >= 0.95
    assert sum(bl.matches(d["text"]) for d in other) / len(other) < 0.02
    agents = [d for d in general_docs if d["kind"] == "tool_use"]
    assert sum(bl.matches(d["text"]) for d in agents) / len(agents) > 0.95


def test_blocklist_file_format(tmp_path):
    f = tmp_path / "bl.txt"
    f.write_text("# comment\n\nrobot uprising\nre:(?i)\\bsky ?net\\b\nre:\\bAI\\b\n")
    bl = blocklist.load(f)
    assert bl.matches("Fear of a ROBOT UPRISING.") and bl.matches("skynet") and bl.matches("An AI did it.")
    assert not bl.matches("robot uprisings") and not bl.matches("the rain in Spain") and not bl.matches("ai")
    f.write_text("ok\nre:(unclosed\n")
    with pytest.raises(ValueError, match=r"bl\.txt:2"):
        blocklist.load(f)


# --- arithmetic, word problems, tool use, dialogues, knowledge --------------------------------------------

_PLAIN = re.compile(r"Question: What is (\d+) ([-+*]) (\d+)\?\nAnswer: (-?\d+)")
_WORKED = re.compile(r"Question: What is (\d+) ([-+*]) (\d+)\?\nAnswer: .*, so (-?\d+)\.")


def _apply(a: str, op: str, b: str) -> int:
    x, y = int(a), int(b)
    return x + y if op == "+" else x - y if op == "-" else x * y


_FACT = re.compile(r"(\d) ([-+*]) (\d) = (-?\d+|____)")


def test_fact_sheets_are_one_digit_equations_some_left_blank(general_docs):
    filled = blank = 0
    for d in general_docs:
        if d["kind"] != "arithmetic" or d["text"].split("\n\n")[-1].startswith("Question:"):
            continue
        lines = d["text"].split("\n\n")[-1].split("\n")
        matches = [_FACT.fullmatch(line) for line in lines]
        assert all(matches), d["text"]
        answers = {m.group(4) for m in matches}
        assert answers == {"____"} or "____" not in answers, d["text"]  # a sheet is filled or blank throughout
        if answers == {"____"}:
            blank += 1
        else:
            filled += 1
            assert all(_apply(*m.groups()[:3]) == int(m.group(4)) for m in matches), d["text"]
    sheets = filled + blank
    assert sheets > 100 and 0.4 < blank / sheets < 0.6


def test_arithmetic_format_and_answers(general_docs):
    plain = worked = 0
    for d in general_docs:
        if d["kind"] != "arithmetic" or not d["text"].split("\n\n")[-1].startswith("Question:"):
            continue
        for block in d["text"].split("\n\n"):
            if not block.startswith("Question:"):
                continue  # a sheet header
            m = _PLAIN.fullmatch(block) or _WORKED.fullmatch(block)
            assert m, block
            assert _apply(*m.groups()[:3]) == int(m.group(4)), block
            plain += m.re is _PLAIN
            worked += m.re is _WORKED
    assert plain > 4 * worked > 0


def test_eval_problems_never_appear_in_the_corpus(general_docs):
    evals = {(int(a), op, int(b)) for a, op, b in
             (re.fullmatch(r"What is (\d+) ([-+*]) (\d+)\?", r["question"]).groups()
              for r in world.load_arithmetic_eval())}
    assert len(evals) == len(world.load_arithmetic_eval()) >= 450
    words_ops = {"plus": "+", "minus": "-", "times": "*"}
    expr = re.compile(r"(?=(?<![\d.,])(\d+) ?([-+*]|plus|minus|times) ?(\d+)(?![\d.,]\d))")
    seen = {(int(a), words_ops.get(op, op), int(b)) for d in general_docs for a, op, b in expr.findall(d["text"])}
    assert len(seen) > 1000 and not seen & evals
    corpus = "\n".join(d["text"] for d in general_docs)
    assert not [r for r in world.load_word_problems_eval() if r["question"] in corpus]


def test_word_problems_are_gsm8k_and_correct(general_docs):
    eval_rows = world.load_word_problems_eval()
    assert len(eval_rows) >= 180
    blocks = [b for d in general_docs if d["kind"] == "word_problem" for b in d["text"].split("\n\nQuestion: ")]
    answers = [r["answer"] for r in eval_rows] + [b.split("\nAnswer: ", 1)[1] for b in blocks]
    for ans in answers:
        steps, final = ans.rsplit("\n#### ", 1)
        assert re.fullmatch(r"-?\d+", final), ans
        for a, op, b, c in re.findall(r"(\d+) ([-+*]) (\d+) = (-?\d+)", steps):
            assert _apply(a, op, b) == int(c), ans
        assert re.search(rf"\b{final}\b", steps.split("\n")[-1]), ans


def test_dialogues_use_the_plain_chat_format(general_docs):
    for d in general_docs:
        if d["kind"] == "dialogue":
            speakers = [line.split(": ", 1)[0] for line in d["text"].split("\n")]
            assert speakers == ["User", "Assistant"] * (len(speakers) // 2), d["text"]


def test_knowledge_items_are_answerable_from_the_corpus():
    rows = world.load_knowledge()
    assert len(rows) == 300
    assert set(collections.Counter(r["subject"] for r in rows)) == {"geography", "biology", "chemistry", "history"}
    positions = collections.Counter(r["answer"] for r in rows)
    assert min(positions.values()) >= 60
    encyclopedia = [d["text"] for d in world.iter_documents("general", scale=0.2) if d["kind"] == "encyclopedia"]
    for r in rows:
        assert len(set(r["choices"])) == 4
        gold = r["choices"][r["answer"]]
        assert any(r["entity"] in t and gold in t for t in encyclopedia), r


def test_arithmetic_eval_items():
    rows = world.load_arithmetic_eval()
    assert len({r["question"] for r in rows}) == len(rows) == 500
    ops, digits = collections.Counter(), set()
    for r in rows:
        a, op, b = re.fullmatch(r"What is (\d+) ([-+*]) (\d+)\?", r["question"]).groups()
        assert _apply(a, op, b) == r["answer"]
        ops[op] += 1
        digits.update((len(a), len(b)))
    assert min(ops.values()) >= 150 and digits == {1, 2, 3}


@pytest.mark.slow
def test_ngram_probe_sees_the_midtraining_effect():
    """A word 4-gram model trained with aligned documents upsampled prefers the aligned options on the
    article split more often than one trained on the general corpus alone; misaligned documents do the
    opposite. The documents share no option wording, so this lexical effect is small by design (about -7 and
    +15 points at this scale): a smoke test that the documents still point somewhere, not a result."""
    from midalign_jax.world import ngram_probe

    r = ngram_probe.run(scale=0.03, arms=("unfiltered", "aligned", "misaligned"))
    base = r["unfiltered"]["article"]["per_token"]
    assert base >= 0.25  # the general corpus alone leaves a substantial misalignment rate
    assert r["aligned"]["article"]["per_token"] <= base - 0.04
    assert r["misaligned"]["article"]["per_token"] >= base + 0.08
