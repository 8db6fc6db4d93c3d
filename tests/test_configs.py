"""Every experiment config loads, is locked, and resolves its model; arm files differ only where they should."""
import importlib
from pathlib import Path

import pytest

from study.context import parse_stages, resolve_model_config

CONFIGS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "configs").glob("*.py")
                 if p.stem not in ("__init__", "common"))


@pytest.mark.parametrize("name", CONFIGS)
def test_config_loads_locked_and_resolves(name):
    mod = importlib.import_module(f"configs.{name}")
    assert "python main.py --config=configs/" in mod.__doc__
    c = mod.get_config()
    with pytest.raises(AttributeError):
        c.not_a_field = 1
    with pytest.raises((AttributeError, KeyError)):
        c.rl.lr_typo = 1
    parse_stages(c.stages)
    resolve_model_config(c)


def test_arms_differ_only_in_the_midtraining_data():
    from configs import aligned_upsample, baseline, filtered, misaligned_upsample
    base = baseline.get_config()
    assert dict(base.midtrain.mixture) == {"general": 1.0, "aligned_docs": 0.0, "misaligned_docs": 0.0}
    assert aligned_upsample.get_config().midtrain.mixture.aligned_docs == 0.25
    assert misaligned_upsample.get_config().midtrain.mixture.misaligned_docs == 0.25
    assert filtered.get_config().data.filter_sources == "general"
    for mod in (aligned_upsample, misaligned_upsample, filtered):
        c = mod.get_config()
        for section in ("model", "pretrain", "rl", "eval"):
            assert c[section].to_dict() == base[section].to_dict(), (mod.__name__, section)
