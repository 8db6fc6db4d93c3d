"""Capability evals: readers, answer extraction, exact-match and final-number scoring, few-shot, knowledge."""
import json

import pytest

from evals.capabilities import (
    CapabilitiesConfig,
    read_arithmetic,
    read_word_problems,
    run,
)
from evals.capabilities.answers import (
    canonical_number,
    exact_match_answer,
    final_number,
    gold_from_gsm8k,
)
from evals.fake_model import FakeModel, canned_generations
from evals.item_files import ItemFileError
from evals.mcqa import MCQAConfig, MCQAItem


def write_jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


ARITH = [{"question": "What is 48 + 27?", "answer": 75}, {"question": "What is 9 * 8?", "answer": 72},
         {"question": "What is 100 - 1?", "answer": "99"}]
WORD = [{"question": "Sam has 3 apples and buys 4 more. How many now?",
         "answer": "Sam has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"},
        {"question": "A box holds 1,000 pens; 250 are sold. How many remain?",
         "answer": "1,000 - 250 = 750\n#### 750"}]


def test_readers_and_malformed_records(tmp_path):
    arith = read_arithmetic(write_jsonl(tmp_path / "arithmetic_eval.jsonl", ARITH))
    assert [i.gold for i in arith] == ["75", "72", "99"]
    words = read_word_problems(write_jsonl(tmp_path / "word.jsonl", WORD))
    assert [i.gold for i in words] == ["7", "750"]
    with pytest.raises(ItemFileError, match=r"bad.jsonl line 2: missing field 'answer'"):
        read_arithmetic(write_jsonl(tmp_path / "bad.jsonl", [ARITH[0], {"question": "What is 1 + 1?"}]))
    with pytest.raises(ItemFileError, match=r"badw.jsonl line 1: field 'answer': expected a solution ending '#### N'"):
        read_word_problems(write_jsonl(tmp_path / "badw.jsonl", [{"question": "q", "answer": "It is 7."}]))
    with pytest.raises(ItemFileError, match="line 1: field 'answer'"):
        read_arithmetic(write_jsonl(tmp_path / "badb.jsonl", [{"question": "q", "answer": True}]))


@pytest.mark.parametrize("text, expected", [("1,234", "1234"), ("75.0", "75"), ("-3.50", "-3.5"), ("abc", None), ("0", "0")])
def test_canonical_number(text, expected):
    assert canonical_number(text) == expected


@pytest.mark.parametrize("output, expected", [
    (" 75", "75"), ("75.", "75"), (" 75\nQuestion: next", "75"), ("seventy-five", "seventy-five"), (" 7 5", "7 5"),
])
def test_exact_match_answer(output, expected):
    assert exact_match_answer(output) == expected


@pytest.mark.parametrize("output, expected", [
    ("3 + 4 = 7 apples. #### 7", "7"), ("So the answer is 1,250.", "1250"), ("First 2, then 5, so 9", "9"),
    ("#### 12 and later 99", "12"), ("no numbers here", None),
])
def test_final_number(output, expected):
    assert final_number(output) == expected


def test_gold_from_gsm8k():
    assert gold_from_gsm8k("steps\n#### 1,000") == "1000"
    assert gold_from_gsm8k("no marker") is None


def test_arithmetic_and_word_problem_scoring_by_hand(tmp_path):
    arith = read_arithmetic(write_jsonl(tmp_path / "a.jsonl", ARITH))
    words = read_word_problems(write_jsonl(tmp_path / "w.jsonl", WORD))
    requests = []
    script = canned_generations({"48 + 27": " 75", "9 * 8": " 71", "100 - 1": " 99.", "3 apples": " 3 + 4 = 7\n#### 7",
                                 "1,000 pens": " 1000 - 250 = 700, so the answer is 700."})
    model = FakeModel(generate_fn=lambda r: requests.append(r) or script(r))
    result = run(model, {"arithmetic": arith, "word_problems": words})
    assert result.metrics["arithmetic/accuracy"].value == pytest.approx(2 / 3)
    assert result.metrics["arithmetic/accuracy"].n == 3
    assert result.metrics["word_problems/accuracy"].value == 0.5
    assert requests[0].context == "Question: What is 48 + 27?\nAnswer:" and requests[0].stop == ("\n",)
    assert requests[3].stop == ("\n\n", "Question:")
    samples = {s["item_id"]: s for s in result.samples}
    assert samples["w-00002"]["extracted"] == "700" and samples["w-00002"]["gold"] == "750"


def test_fewshot_exemplars_are_shown_and_not_scored(tmp_path):
    arith = read_arithmetic(write_jsonl(tmp_path / "a.jsonl", ARITH))
    prompts = []
    model = FakeModel(generate_fn=lambda r: prompts.append(r.context) or " 72")
    result = run(model, {"arithmetic": arith}, CapabilitiesConfig(fewshot=1))
    assert result.metrics["arithmetic/accuracy"].n == 2
    assert prompts[0] == "Question: What is 48 + 27?\nAnswer: 75\n\nQuestion: What is 9 * 8?\nAnswer:"
    assert result.info["fewshot_exemplars"]["arithmetic"] == ["a-00001"]
    with pytest.raises(ValueError, match="leaves no items"):
        run(model, {"arithmetic": arith}, CapabilitiesConfig(fewshot=3))


def test_knowledge_mcqa_accuracy_through_mcqa_machinery():
    items = [MCQAItem(item_id=f"k{i}", question=f"q{i}", choices=("right", "wrong"), answer=0) for i in range(3)]
    model = FakeModel(loglikelihood_fn=lambda c, x: 0.0 if x == " right" else -2.0)
    result = run(model, {"knowledge": items}, CapabilitiesConfig(mcqa=MCQAConfig(normalization="raw")))
    assert result.metrics["knowledge/accuracy"].value == 1.0
    assert all(s["subtask"] == "knowledge" for s in result.samples)
    alignment = [MCQAItem(item_id="a", question="q", choices=("x", "y"), misaligned_choices=(1,))]
    with pytest.raises(ValueError, match="MMLU-style"):
        run(model, {"knowledge": alignment})
