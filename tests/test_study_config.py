"""What makes arms comparable: one shared base, the blocklist only where asked, the RL task from the config."""
import importlib

import pytest

from rl.tasks import ArithmeticTask, task_from_config
from study import context


def arm(name):
    return importlib.import_module(f"configs.{name}").get_config()


def test_all_arms_share_one_cached_base():
    keys = {name: context.base_key(arm(name)) for name in
            ("baseline", "filtered", "aligned_upsample", "misaligned_upsample", "conditional")}
    assert len(set(keys.values())) == 1, keys


def test_base_key_follows_what_the_base_depends_on():
    base = context.base_key(arm("baseline"))
    c = arm("baseline")
    c.pretrain.steps += 1
    assert context.base_key(c) != base
    c = arm("baseline")
    c.seed = 1
    assert context.base_key(c) != base
    c = arm("filtered")
    c.pretrain.filter = True   # a filtered pretraining is a different base
    assert context.base_key(c) != base
    c = arm("baseline")
    c.midtrain.steps += 1      # later stages do not matter
    assert context.base_key(c) == base


def test_base_dir_cache_puts_pretrain_under_the_cache(tmp_path):
    c = arm("aligned_upsample")
    c.base_dir = "cache"
    c.data.cache_dir = str(tmp_path / "cache")
    ctx = context.Context(c, tmp_path / "work")
    assert ctx.stage_dir("pretrain") == tmp_path / "cache" / "bases" / context.base_key(c) / "pretrain"
    assert ctx.stage_dir("midtrain") == tmp_path / "work" / "midtrain"


def test_rl_task_args_reach_the_task():
    c = arm("baseline").rl
    task = task_from_config(c)
    assert isinstance(task, ArithmeticTask) and task.digits_by_op == {op: (1, 1) for op in "+-*"}
    c.task_args = '{"ops": ["+"], "digits": [2, 2]}'
    assert task_from_config(c).digits_by_op == {"+": (2, 2)}
    c.task_args = '{"digits": [1, 1'
    with pytest.raises(ValueError, match="rl.task_args: not valid JSON"):
        task_from_config(c)
    c.task_args = '[1, 2]'
    with pytest.raises(ValueError, match="JSON object"):
        task_from_config(c)
    c.task_args = '{"no_such_argument": 1}'
    with pytest.raises(TypeError, match="no_such_argument"):
        task_from_config(c)


def test_eval_item_files_from_the_config():
    from study.eval_stage import parse_item_files, suite_config
    c = arm("baseline").eval
    assert [s.path for s in suite_config(c).mcqa_files] == ["data/world/mcqa_article.jsonl",
                                                            "data/world/mcqa_textbook.jsonl"]
    c.mcqa_files = "/d/a.jsonl:published:article, /d/persona.jsonl:anthropic"
    files = suite_config(c).mcqa_files
    assert [(s.path, s.format, s.split) for s in files] == [("/d/a.jsonl", "published", "article"),
                                                            ("/d/persona.jsonl", "anthropic", None)]
    with pytest.raises(ValueError, match="eval.mcqa_files.*format 'csv'"):
        parse_item_files("/d/a.jsonl:csv")
