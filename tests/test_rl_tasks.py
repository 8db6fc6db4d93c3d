"""RL tasks: problem generation, splits, held-out exclusion, readers and adversarially robust rewards."""
import collections
import json
import logging
import operator
import re
import time
from fractions import Fraction
from pathlib import Path

import pytest

from rl.tasks import (
    AnswerTagFormat,
    ArithmeticTask,
    CountdownTask,
    GSM8KTask,
    Problem,
    RewardFn,
    Task,
    WeightedTask,
    expression,
    get_task,
    read_gsm8k_jsonl,
    register_task,
    registry,
    task_names,
)
from rl.tasks import arithmetic as arithmetic_module

SAMPLE = Path(__file__).parent / "data" / "gsm8k_sample.jsonl"
OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
HUGE = "9" * 400  # 10**400 - 1

# Outputs no checker may crash on, and none of which is a correct answer to the problems used below.
ADVERSARIAL = [
    "", " ", "\n\n\n", "None", "null", "NaN", "nan", "inf", "-inf", "undefined", "\x00", "\ufeff",
    " " + HUGE, " -" + HUGE, HUGE + "." + HUGE, "1" * 100_000, "(" * 10_000 + "1" + ")" * 10_000,
    "#### " + HUGE, "<answer>" * 1000, "</answer><answer>", "<answer>" + HUGE + "</answer>",
    "__import__('os').system('true')", "1e400", "0x1F", "\u0661\u0662", "\uff11\uff12", "\u00b2\u00b3",
    "1/0", "(1/0)", "<answer>1/0</answer>", "-" * 1000, "," * 1000, "$" * 1000, "####" * 1000,
]


# ---------------------------------------------------------------------------------------------- arithmetic


def _arith_problem(a: int, op: str, b: int) -> Problem:
    return ArithmeticTask(heldout_path=None)._problem(a, op, b)


def test_arithmetic_prompt_format_and_answers():
    task = ArithmeticTask(heldout_path=None)
    problems = task.problems("train", 300, seed=0)
    assert len({p.id for p in problems}) == 300
    for p in problems:
        match = re.fullmatch(r"Question: What is ([0-9]+) ([-+*]) ([0-9]+)\?\nAnswer:", p.prompt)
        assert match, p.prompt
        a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
        assert int(p.answer) == OPS[op](a, b)
        assert len(str(a)) <= 3 and len(str(b)) <= 3
    assert {p.meta["op"] for p in problems} == {"+", "-", "*"}


def test_arithmetic_equation_style_matches_the_fact_sheets():
    from midalign_jax.world.arithmetic import fact_text
    task = ArithmeticTask(digits=(1, 1), style="equation", test_fraction=0.5, heldout_path=None)
    problems = task.problems("test", None, seed=0)
    assert len(problems) > 100
    for p in problems:
        a, op, b = p.meta["a"], p.meta["op"], p.meta["b"]
        assert fact_text(a, op, b) == f"{p.prompt} {p.answer}"
        assert task.is_correct(p, f" {p.answer}\n{fact_text(b, op, a)}") and not task.is_correct(p, " ____")
    qa = ArithmeticTask(digits=(1, 1), test_fraction=0.5, heldout_path=None).problems("test", None, seed=0)
    assert [p.id for p in qa] == [p.id for p in problems]  # the style changes the prompt, not the split
    with pytest.raises(ValueError, match="style must be one of"):
        ArithmeticTask(style="latex")


@pytest.mark.parametrize("completion,expected", [
    (" 75", True), (" 75\nQuestion: What is 1 + 1?\nAnswer: 2", True), ("75", True), ("\n  75\n", True),
    (" 75.0", True), (" 75.00 apples", True), (" 75.", True), (" 75, because", True), ("\t75 is it", True),
    (" 75.5", False), (" 74", False), (" 48 + 27 = 75", False), (" 7 5", False), (" 75 75", True),
    (" The answer is\n75", False), (" seventy-five", False), (" \uff17\uff15", False), (" \u0667\u0665", False),
    (" 75" + "0" * 300, False), (" -75", False), (" 1,075", False), ("", False), ("None", False),
])
def test_arithmetic_grading_rule(completion, expected):
    problem = _arith_problem(48, "+", 27)
    task = ArithmeticTask(heldout_path=None)
    assert task.is_correct(problem, completion) is expected
    assert task.reward(problem, completion) == (1.0 if expected else 0.0)


@pytest.mark.parametrize("a,op,b,completion,expected", [
    (3, "-", 15, " -12", True), (3, "-", 15, " \u221212", True), (3, "-", 15, " 12", False),
    (617, "*", 2, " 1,234", True), (617, "*", 2, " 1234", True), (617, "*", 2, " 1,23,4", False),
    (617, "*", 2, " 1234,5", True), (999, "*", 999, " 998,001\n", True), (999, "*", 999, " 998001.0", True),
])
def test_arithmetic_signs_and_separators(a, op, b, completion, expected):
    assert ArithmeticTask(heldout_path=None).is_correct(_arith_problem(a, op, b), completion) is expected


def test_arithmetic_first_answer_on_first_line_wins():
    task, problem = ArithmeticTask(heldout_path=None), _arith_problem(48, "+", 27)
    assert task.reward(problem, " 74 or 75") == 0.0       # first answer counts, hedging does not help
    assert task.reward(problem, " 75 or 74") == 1.0
    assert task.reward(problem, " 74\n75\n75") == 0.0     # later lines ignored


def test_arithmetic_last_on_line_rule_accepts_worked_answers():
    task, problem = ArithmeticTask(answer_rule="last_on_line", heldout_path=None), _arith_problem(48, "+", 27)
    assert task.reward(problem, " 40 + 20 = 60, 8 + 7 = 15, so 75.\nQuestion: What is 1 + 1?") == 1.0
    assert task.reward(problem, " 75") == 1.0
    assert task.reward(problem, " 75 or 74") == 0.0
    assert task.reward(problem, " 74\n75") == 0.0
    with pytest.raises(ValueError, match="answer_rule"):
        ArithmeticTask(answer_rule="any", heldout_path=None)


def test_arithmetic_splits_partition_the_space_and_are_deterministic():
    task = ArithmeticTask(digits=(1, 1), heldout_path=None, test_fraction=0.2)
    train = task.problems("train", None, seed=0)
    test = task.problems("test", None, seed=0)
    space = {f"arithmetic/{a}{op}{b}" for a in range(10) for b in range(10) for op in OPS}
    assert {p.id for p in train}.isdisjoint({p.id for p in test})
    assert {p.id for p in train} | {p.id for p in test} == space
    assert 0.1 < len(test) / len(space) < 0.3
    assert [p.id for p in task.problems("train", None, seed=0)] == [p.id for p in train]
    assert [p.id for p in task.problems("train", None, seed=1)] != [p.id for p in train]
    with pytest.raises(ValueError, match="only"):
        task.problems("test", len(test) + 1, seed=0)


def test_arithmetic_sampled_space_disjoint_deterministic_and_prefix_stable():
    task = ArithmeticTask(digits=(2, 4), heldout_path=None)
    train = task.problems("train", 500, seed=3)
    test = task.problems("test", 500, seed=3)
    assert {p.id for p in train}.isdisjoint({p.id for p in test})
    assert train == task.problems("train", 500, seed=3)
    assert train[:100] == task.problems("train", 100, seed=3)
    assert train != task.problems("train", 500, seed=4)
    with pytest.raises(ValueError, match="pass n"):
        task.problems("train", None, seed=0)
    with pytest.raises(ValueError, match="split"):
        task.problems("validation", 5, seed=0)


def test_arithmetic_digit_ranges_and_no_negative_option():
    task = ArithmeticTask(ops=("-", "*"), digits=(3, 3), op_digits={"*": (1, 1)}, allow_negative=False,
                          heldout_path=None)
    for p in task.problems("train", 300, seed=0):
        a, op, b = p.meta["a"], p.meta["op"], p.meta["b"]
        if op == "*":
            assert a < 10 and b < 10
        else:
            assert 100 <= a <= 999 and 100 <= b <= 999 and int(p.answer) >= 0
    with pytest.raises(ValueError, match="ops"):
        ArithmeticTask(ops=("/",), heldout_path=None)
    with pytest.raises(ValueError, match="digits"):
        ArithmeticTask(digits=(3, 1), heldout_path=None)


def _write_heldout(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_arithmetic_excludes_heldout_file_from_both_splits(tmp_path):
    rows = [{"question": f"What is {a} {op} {b}?", "answer": OPS[op](a, b)}
            for a in range(10) for b in range(0, 10, 3) for op in ("+", "*")]
    heldout = _write_heldout(tmp_path / "arithmetic_eval.jsonl", rows)
    task = ArithmeticTask(digits=(1, 1), heldout_path=heldout)
    ids = {p.id for split in ("train", "test") for p in task.problems(split, None, seed=0)}
    excluded = {f"arithmetic/{a}{op}{b}" for a in range(10) for b in range(0, 10, 3) for op in ("+", "*")}
    assert ids and ids.isdisjoint(excluded)
    assert len(ids) == 300 - len(excluded)


def test_arithmetic_uses_default_heldout_file_when_present(tmp_path, monkeypatch):
    heldout = _write_heldout(tmp_path / "eval.jsonl", [{"question": "What is 4 \u00d7 5?", "answer": 20}])
    monkeypatch.setattr(arithmetic_module, "DEFAULT_HELDOUT_PATH", heldout)
    ids = {p.id for s in ("train", "test") for p in ArithmeticTask(digits=(1, 1)).problems(s, None, seed=0)}
    assert "arithmetic/4*5" not in ids and "arithmetic/5*4" in ids
    monkeypatch.setattr(arithmetic_module, "DEFAULT_HELDOUT_PATH", tmp_path / "missing.jsonl")
    assert "arithmetic/4*5" in {p.id for s in ("train", "test")
                                for p in ArithmeticTask(digits=(1, 1)).problems(s, None, seed=0)}


def test_arithmetic_never_overlaps_the_repository_heldout_file():
    path = arithmetic_module.DEFAULT_HELDOUT_PATH
    if not path.exists():
        pytest.skip(f"{path} not present")
    questions = {json.loads(line)["question"].strip() for line in path.read_text().splitlines() if line.strip()}
    task = ArithmeticTask()
    for split in ("train", "test"):
        for p in task.problems(split, 2000, seed=0):
            assert p.prompt.split("\n")[0].removeprefix("Question: ") not in questions


@pytest.mark.parametrize("line,message", [
    ("{not json", "invalid JSON"),
    (json.dumps({"q": "What is 1 + 1?", "answer": 2}), "question"),
    (json.dumps({"question": "What is 1 plus 1?", "answer": 2}), "What is 48 \\+ 27"),
    (json.dumps({"question": "What is 1 + 1?", "answer": 3}), "wrong"),
    (json.dumps({"question": "What is 1 + 1?", "answer": "two"}), "not a number"),
])
def test_arithmetic_heldout_errors_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"question": "What is 2 + 2?", "answer": 4}) + "\n" + line + "\n")
    with pytest.raises(ValueError, match=message) as info:
        ArithmeticTask(heldout_path=path)
    assert f"{path}:2" in str(info.value)
    with pytest.raises(FileNotFoundError, match="missing"):
        ArithmeticTask(heldout_path=tmp_path / "missing.jsonl")


# ---------------------------------------------------------------------------------------------------- gsm8k


def test_gsm8k_reader_on_sample_file():
    problems = read_gsm8k_jsonl(SAMPLE)
    lines = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    assert len(problems) == len(lines) == 5
    for p, row in zip(problems, lines):
        assert p.prompt == f"Question: {row['question']}\nAnswer:"
        assert p.answer == row["answer"].split("####")[-1].strip().replace(",", "")
    assert problems[3].answer == "1260"
    task = GSM8KTask(train_path=SAMPLE, test_path=SAMPLE)  # same file: every train question is in test
    assert len(task.problems("test", None, seed=0)) == 5


def test_gsm8k_train_excludes_questions_of_the_test_file(tmp_path, caplog):
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    test_file = tmp_path / "test.jsonl"
    test_file.write_text(json.dumps({**rows[1], "question": "  " + rows[1]["question"].upper()}) + "\n")
    with caplog.at_level(logging.WARNING):
        train = GSM8KTask(train_path=SAMPLE, test_path=test_file).problems("train", None, seed=0)
    assert len(train) == 4 and all(p.meta["question"] != rows[1]["question"] for p in train)
    assert "excluded 1 train problems" in caplog.text
    with pytest.raises(ValueError, match="test_path"):
        GSM8KTask(train_path=SAMPLE).problems("test", None, seed=0)


@pytest.mark.parametrize("line,message", [
    ("[1, 2]", "JSON object"),
    ("{\"question\": \"Q?\"", "invalid JSON"),
    (json.dumps({"question": "Q?"}), "'answer'"),
    (json.dumps({"question": "", "answer": "#### 1"}), "'question'"),
    (json.dumps({"question": "Q?", "answer": "it is 4"}), "####"),
    (json.dumps({"question": "Q?", "answer": "#### four"}), "must be a number"),
])
def test_gsm8k_reader_errors_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(SAMPLE.read_text().splitlines()[0] + "\n\n" + line + "\n")
    with pytest.raises(ValueError, match=message) as info:
        read_gsm8k_jsonl(path)
    assert f"{path}:3" in str(info.value)
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        read_gsm8k_jsonl(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("completion,expected", [
    ("3 * 420 = 1260 books.\n#### 1260", True), ("#### 1,260", True), ("####1260", True),
    ("#### $1,260.00", True), ("#### 1260.0\nQuestion: next", True), ("#### The answer is 1260 books", True),
    ("#### 1259\n...\n#### 1260", True), ("#### 1260\n...\n#### 1259", False), ("The answer is 1260.", False),
    ("#### 1260.5", False), ("#### 12,60", False), ("####\n1260", True), ("1260 #### ", False),
    ("#### -1260", False), ("#### \uff11\uff12\uff16\uff10", False), ("#### " + "1260" * 100, False),
])
def test_gsm8k_hash_grading_rule(completion, expected):
    problem = read_gsm8k_jsonl(SAMPLE)[3]
    assert GSM8KTask().is_correct(problem, completion) is expected


@pytest.mark.parametrize("completion,expected", [
    ("So the total is $1,260.", True), ("1260 and then 5", False), ("#### 1260", True), ("nothing", False),
    ("3 * 420 = 1260", True), ("it is 1260-5", False),
])
def test_gsm8k_last_number_mode(completion, expected):
    problem = read_gsm8k_jsonl(SAMPLE)[3]
    assert GSM8KTask(answer_mode="last_number").is_correct(problem, completion) is expected


def _check_calculator_annotations(solution: str) -> int:
    """Re-do every ``<<expr=value>>`` step independently and return the ``####`` answer."""
    steps = re.findall(r"<<([^=>]+)=([^>]+)>>", solution)
    assert steps, solution
    for expr, value in steps:
        assert re.fullmatch(r"[0-9+\-*/ ]+", expr), expr
        assert Fraction(eval(expr)) == Fraction(value), (expr, value)  # trusted, generated text  # noqa: S307
    final = int(solution.rsplit("####", 1)[1])
    assert final == int(steps[-1][1])
    return final


def test_gsm8k_synthetic_problems_are_consistent_split_and_deterministic():
    task = GSM8KTask()
    train, test = task.problems("train", 300, seed=0), task.problems("test", 100, seed=0)
    assert {p.meta["question"] for p in train}.isdisjoint({p.meta["question"] for p in test})
    assert len({p.meta["template"] for p in train}) == 6
    for p in train[:150] + test[:50]:
        assert p.prompt == f"Question: {p.meta['question']}\nAnswer:"
        final = _check_calculator_annotations(p.meta["solution"])
        assert str(final) == p.answer and final >= 0
        assert task.reward(p, " " + p.meta["solution"]) == 1.0
    assert train[:50] == task.problems("train", 50, seed=0)
    assert train != task.problems("train", 300, seed=1)
    with pytest.raises(ValueError, match="pass n"):
        task.problems("train", None, seed=0)


# ------------------------------------------------------------------------------------------------ countdown

COUNTDOWN = Problem(id="cd", prompt="", answer="100", meta={"numbers": [3, 7, 25, 50], "target": 100})


@pytest.mark.parametrize("completion,expected", [
    (" (50 - 25) * 4", False),                   # 4 is not given
    (" 50 * (7 - 3) / 2", False),                # 2 is not given
    (" (50 - 25 - 7 - 3) * 3", False),           # 3 used twice
    (" 50 + 25 + 25", False),                    # 25 used twice
    (" (7 - 3) * 25", True), (" 25*(7-3)\nmore text", True), (" (7 - 3) * 25 = 100", True),
    ("(7-3)*25 = 99", True),                     # only the left side is graded
    (" 25 * 7 - 3 * 25", False), (" 7 - 3 * 25", False), ("(7 - 3) * 25)", False), ("((7 - 3) * 25", False),
    (" -(3 - 7) * 25", False),                   # no unary minus
    (" (7 \u2212 3) \u00d7 25", True),
    ("<answer>(7 - 3) * 25</answer>", True), ("I think... <answer> 25 * (7 - 3) </answer> done", True),
    ("<answer>(7 - 3) * 25</answer><answer>1</answer>", True), ("<answer>1</answer><answer>(7-3)*25</answer>", False),
    ("(7 - 3) * 25\n<answer>(7 - 3)", False),    # a dangling tag means no answer
    (" 100", False), (" 50 + 50", False), ("", False), (" 50 + 25 + 7 + 3", False),
    (" 25 * 4.0", False), (" 25 ** 2", False), (" 25 // 1 * 4", False),
])
def test_countdown_grading_rule(completion, expected):
    assert CountdownTask().is_correct(COUNTDOWN, completion) is expected


def test_countdown_exact_rational_arithmetic_and_require_all():
    problem = Problem(id="cd24", prompt="", answer="24", meta={"numbers": [1, 3, 4, 6], "target": 24})
    assert CountdownTask().reward(problem, " 6 / (1 - 3 / 4)") == 1.0     # needs 1/4 exactly
    assert CountdownTask().reward(problem, " 6 * 4") == 1.0
    assert CountdownTask(require_all_numbers=True).reward(problem, " 6 * 4") == 0.0
    assert CountdownTask(require_all_numbers=True).reward(problem, " 6 / (1 - 3 / 4)") == 1.0
    assert CountdownTask().reward(problem, " 6 / (1 - 1)") == 0.0           # division by zero is no answer
    assert CountdownTask().reward(problem, " 4 / 6 * 36") == 0.0           # 36 not given


def test_expression_parser_is_safe_and_bounded():
    assert expression.evaluate("2 * (3 + 4) - 10 / 4").value == Fraction(23, 2)
    assert expression.evaluate("8 / 3 * 3").value == 8
    assert expression.evaluate(" 7 - 3 - 2 ").value == 2                  # left-associative
    assert expression.evaluate("(1+2)*(3+4)").numbers == (1, 2, 3, 4)
    for bad in ["__import__('os')", "1 + ", "()", "2 ** 3", "1e3", "0x10", "(" * 40 + "1" + ")" * 40,
                "1" * 13, "1 +" * 200, "\uff11", "1 2", "abs(1)"]:
        with pytest.raises(expression.ExpressionError):
            expression.evaluate(bad)


def test_countdown_generated_puzzles_are_solvable_and_split():
    task = CountdownTask()
    train, test = task.problems("train", 200, seed=0), task.problems("test", 50, seed=0)
    assert {p.id for p in train}.isdisjoint({p.id for p in test})
    for p in train + test:
        numbers, target, solution = p.meta["numbers"], p.meta["target"], p.meta["solution"]
        assert 3 <= len(numbers) <= 4 and all(1 <= x <= 99 for x in numbers) and 10 <= target <= 999
        assert re.fullmatch(r"[0-9+\-*/() ]+", solution)
        assert collections.Counter(int(x) for x in re.findall(r"[0-9]+", solution)) == collections.Counter(numbers)
        assert Fraction(eval(solution)) == target  # trusted, generated text  # noqa: S307
        assert p.prompt.startswith("Question: Using the numbers " + ", ".join(map(str, numbers)) + ",")
        assert p.prompt.endswith(f"equals {target}.\nAnswer:")
        assert task.reward(p, " " + solution) == 1.0
    assert train[:20] == task.problems("train", 20, seed=0)
    assert "<answer>" in CountdownTask(answer_tags_hint=True).problems("train", 1, seed=0)[0].prompt


# ------------------------------------------------------------------------------------------ format, combine


@pytest.mark.parametrize("completion,expected", [
    ("<answer>42</answer>", 1.0), ("reasoning...\n<answer> (1+2)*3 </answer>\n", 1.0),
    ("42", 0.0), ("<answer>42", 0.0), ("42</answer>", 0.0), ("</answer>42<answer>", 0.0),
    ("<answer>1</answer><answer>2</answer>", 0.0), ("<answer><answer>1</answer></answer>", 0.0),
    ("<answer>   </answer>", 0.0), ("<ANSWER>1</ANSWER>", 0.0), ("<answer>1</answer></answer>", 0.0), ("", 0.0),
])
def test_format_reward(completion, expected):
    assert AnswerTagFormat().reward(COUNTDOWN, completion) == expected


def test_weighted_combination_from_spec():
    task = get_task("countdown+0.1*format")
    assert isinstance(task, WeightedTask) and task.name == "countdown+0.1*format"
    cases = {"<answer>(7 - 3) * 25</answer>": 1.0 + 0.1, " (7 - 3) * 25": 1.0, "<answer>3</answer>": 0.1, "x": 0.0}
    for completion, expected in cases.items():
        assert task.reward(COUNTDOWN, completion) == pytest.approx(expected)
        assert task.is_correct(COUNTDOWN, completion) is (expected >= 1.0)
    assert task.reward_components(COUNTDOWN, "<answer>3</answer>") == {"countdown": 0.0, "format": 1.0}
    normalized = WeightedTask(CountdownTask(), [(AnswerTagFormat(), 0.1)], normalize=True)
    assert normalized.reward(COUNTDOWN, "<answer>(7 - 3) * 25</answer>") == pytest.approx(1.0)
    assert normalized.reward(COUNTDOWN, "<answer>3</answer>") == pytest.approx(0.1 / 1.1)
    kwargs_task = get_task("0.5*arithmetic + 0.5*format", digits=(1, 1), heldout_path=None)
    assert all(p.meta["a"] < 10 for p in kwargs_task.problems("train", 20, seed=0))
    assert kwargs_task.problems("train", 5, seed=0) == ArithmeticTask(digits=(1, 1), heldout_path=None).problems(
        "train", 5, seed=0)


def test_registry_errors_and_registration(monkeypatch):
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))  # registration stays in this test
    assert {"arithmetic", "gsm8k", "countdown", "format"} <= set(task_names())
    for name in ("arithmetic", "gsm8k", "countdown", "countdown+0.1*format"):
        assert isinstance(get_task(name), Task), name
    assert isinstance(get_task("format"), RewardFn) and not isinstance(get_task("format"), Task)
    with pytest.raises(KeyError, match="unknown task 'gsm9k'"):
        get_task("gsm9k")
    with pytest.raises(ValueError, match="bad reward spec"):
        get_task("countdown+0.1**format")
    with pytest.raises(TypeError, match="not a task with problems"):
        get_task("format+countdown")
    with pytest.raises(TypeError, match="bad arguments"):
        get_task("countdown", num_number=3)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedTask(CountdownTask(), [(AnswerTagFormat(), -1.0)])
    register_task("tiny_arithmetic_for_test", lambda: ArithmeticTask(digits=(1, 1), heldout_path=None))
    assert get_task("tiny_arithmetic_for_test").problems("test", 3, seed=0)[0].meta["a"] < 10
    with pytest.raises(ValueError, match="already registered"):
        register_task("countdown", CountdownTask)


# ------------------------------------------------------------------------------------------- adversarial


@pytest.mark.parametrize("task_name", ["arithmetic", "gsm8k", "countdown", "format", "countdown+0.1*format"])
def test_adversarial_outputs_score_no_correctness_quickly(task_name):
    task = get_task(task_name)
    problems = {
        "arithmetic": _arith_problem(48, "+", 27), "gsm8k": read_gsm8k_jsonl(SAMPLE)[3],
    }.get(task_name, COUNTDOWN)
    format_weight = {"format": 1.0, "countdown+0.1*format": 0.1}.get(task_name, 0.0)
    well_formed = {"<answer>" + HUGE + "</answer>", "<answer>1/0</answer>"}  # tags fine, answers not
    start = time.perf_counter()
    for completion in ADVERSARIAL:
        reward = task.reward(problems, completion)
        expected = format_weight if completion in well_formed else 0.0
        assert isinstance(reward, float) and reward == pytest.approx(expected), (task_name, completion[:40], reward)
    assert time.perf_counter() - start < 2.0
    with pytest.raises(TypeError, match="must be a str"):
        task.reward(problems, None)
