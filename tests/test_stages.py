"""Stages in one process on the bundled world (small): SFT masking, HF init, optimizer restore, guards."""
import json
from pathlib import Path

import jax
import numpy as np
import pytest

from configs import aligned_upsample
from midalign_jax import hf, params_io
from midalign_jax import model as M
from midalign_jax.train import memory
from study import context, stages


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def small_config(cache: Path, stages_text: str):
    c = aligned_upsample.get_config()
    c.stages = stages_text
    c.data.cache_dir = str(cache)
    c.data.world_scale = 0.1
    for name in ("pretrain", "midtrain", "sft"):
        t = c[name]
        t.steps, t.batch_size, t.seq_len, t.eval_every, t.eval_batches, t.log_every = 4, 8, 64, 0, 1, 2
    return c


def test_sft_trains_only_on_assistant_tokens(cache, tmp_path):
    chat = tmp_path / "chat.jsonl"
    with chat.open("w") as f:
        for i in range(40):
            f.write(json.dumps({"messages": [{"role": "user", "content": f"What is {i} + 1?"},
                                             {"role": "assistant", "content": f"{i + 1}"}]}) + "\n")
    c = small_config(cache, "pretrain,sft")
    c.data.sources.chat.path = str(chat)
    ctx = stages.run(c, tmp_path / "w")
    assert (tmp_path / "w" / "sft" / "done.json").exists()
    from midalign_jax.data import pipeline
    it = pipeline.make_sft_iterator(c.data, ctx.tokenizer, seq_len=64, global_batch_size=4)
    batch = next(it)
    tok = ctx.tokenizer
    for row, mask in zip(batch["tokens"], batch["loss_mask"]):
        targets = tok.decode([int(t) for t, m in zip(row, mask) if m > 0])
        context = tok.decode([int(t) for t, m in zip(row, mask) if m == 0])
        assert "User" not in targets and "What is" not in targets
        assert "What is" in context and any(ch.isdigit() for ch in targets)


def test_midtrain_from_a_hugging_face_checkpoint_with_restored_optimizer(cache, tmp_path):
    c = small_config(cache, "pretrain")
    ctx = stages.run(c, tmp_path / "base")
    cfg, params = params_io.load_params(tmp_path / "base" / "pretrain" / "params")
    hf.save_hf(tmp_path / "hf", cfg, params, tokenizer=ctx.tokenizer)
    # From an HF directory: the architecture comes from the checkpoint, whatever the preset says.
    c = small_config(cache, "midtrain")
    c.model.preset = "small"
    c.midtrain.init_from = str(tmp_path / "hf")
    ctx2 = stages.run(c, tmp_path / "from_hf")
    assert context.same_architecture(ctx2.model_cfg, cfg)
    # From our previous stage with its Adam moments.
    c = small_config(cache, "pretrain,midtrain")
    c.base_dir = str(tmp_path / "base")
    c.midtrain.restore_optimizer = True
    stages.run(c, tmp_path / "restored")
    assert (tmp_path / "restored" / "midtrain" / "done.json").exists()
    c.midtrain.init_from = str(tmp_path / "hf")
    with pytest.raises(FileNotFoundError, match="restore_optimizer"):
        stages.run(c, tmp_path / "bad")


def test_eval_alone_on_a_hugging_face_checkpoint(cache, tmp_path):
    """--config.stages=eval with eval.init_from: no trained stage in the workdir, the checkpoint is the model."""
    c = small_config(cache, "pretrain")
    ctx = stages.run(c, tmp_path / "base")
    ours = tmp_path / "base" / "pretrain" / "params"
    hf.save_hf(tmp_path / "hf", *params_io.load_params(ours), tokenizer=ctx.tokenizer)
    results = {}
    for name, source in (("hf", tmp_path / "hf"), ("ours", ours)):
        c = small_config(cache, "eval")
        c.model.preset = "small"   # ignored: the architecture is the checkpoint's
        c.eval.tasks, c.eval.limit, c.eval.init_from = "mcqa", 4, str(source)
        workdir = tmp_path / f"eval_{name}"
        stages.run(c, workdir)
        done = json.loads((workdir / "eval" / "done.json").read_text())
        assert done["evaluated"] == {"final": str(source)}
        results[name] = [[ll["logprob"] for ll in json.loads(line)["loglikelihoods"]] for line in
                         (workdir / "eval" / "final" / "samples_mcqa.jsonl").read_text().splitlines()]
    assert len(results["hf"]) == 8   # 4 items of each split
    np.testing.assert_allclose(results["hf"], results["ours"], rtol=1e-5)
    c = small_config(cache, "eval")
    with pytest.raises(FileNotFoundError, match="eval.init_from"):
        stages.run(c, tmp_path / "empty")


def test_restored_optimizer_moments_are_the_previous_stages(cache, tmp_path):
    import optax

    from midalign_jax.train.checkpoints import Checkpointer
    from midalign_jax.train.optimizer import make_optimizer
    from midalign_jax.train.step import TrainState
    c = small_config(cache, "pretrain,midtrain")
    c.midtrain.restore_optimizer = True
    c.midtrain.steps = 1
    ctx = stages.run(c, tmp_path / "w")

    def restored(stage):
        tx = make_optimizer(c[stage])
        shapes = M.param_shapes(ctx.model_cfg)
        state = TrainState(jax.ShapeDtypeStruct((), np.int32), shapes, jax.eval_shape(tx.init, shapes),
                           jax.ShapeDtypeStruct((2,), np.uint32))
        return Checkpointer(tmp_path / "w" / stage / "checkpoints").restore_latest(state)[1].opt_state

    pre, mid = restored("pretrain"), restored("midtrain")
    nu_pre = np.concatenate([np.ravel(x) for x in jax.tree.leaves(optax.tree_utils.tree_get(pre, "nu"))])
    nu_mid = np.concatenate([np.ravel(x) for x in jax.tree.leaves(optax.tree_utils.tree_get(mid, "nu"))])
    # One Adam step from restored moments: nu = b2 * nu_prev + (1 - b2) * g^2 >= b2 * nu_prev everywhere; from
    # fresh moments nu would be (1 - b2) * g^2 and mostly far below that bound.
    b2 = c.midtrain.b2
    assert nu_pre.max() > 0
    assert np.all(nu_mid >= b2 * nu_pre * (1 - 1e-5))
    counts = [int(x) for path, x in jax.tree_util.tree_leaves_with_path(mid)
              if getattr(path[-1], "name", None) == "count"]
    assert counts and all(c == 1 for c in counts)  # the schedule restarted with this stage


def test_oom_prone_config_fails_fast_with_the_estimate():
    from midalign_jax.model import presets
    cfg = presets.model_config("pythia-6.9b")
    with pytest.raises(MemoryError, match="GiB per device"):
        memory.check_fits(cfg, batch_size=32, seq_len=2048, grad_accum=1, num_devices=1, param_shards=1)
    tiny = presets.model_config("tiny")
    assert memory.check_fits(tiny, batch_size=32, seq_len=128, grad_accum=1, num_devices=1, param_shards=1) > 0


def test_packed_pipeline_rows_never_attend_across_documents(cache):
    """A real packed batch from the pipeline, through the model: each document's logits equal its logits alone."""
    c = small_config(cache, "pretrain")
    from midalign_jax.data import pipeline
    from midalign_jax.data.tokenizer import load_tokenizer
    tok = load_tokenizer("world", cache)
    batch = next(pipeline.make_train_iterator(c.data, tok, mixture={"general": 0.5, "aligned_docs": 0.5},
                                              seq_len=512, global_batch_size=2))
    cfg = M.ModelConfig(vocab_size=len(tok), d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64,
                        max_seq_len=512)
    params = M.init_params(cfg, jax.random.key(0))
    out = M.forward(params, batch["tokens"], cfg, positions=batch["positions"], segment_ids=batch["segment_ids"])
    checked = 0
    for b in range(2):
        segs = batch["segment_ids"][b]
        for s in set(segs.tolist()) - {0}:
            idx = np.flatnonzero(segs == s)
            alone = M.forward(params, batch["tokens"][b:b + 1, idx], cfg, positions=batch["positions"][b:b + 1, idx])
            np.testing.assert_allclose(out[b, idx], alone[0], atol=1e-5)
            checked += 1
    assert checked >= 3  # the rows really are packed with several documents


def test_rl_token_floor_is_midtrainings_tokens_only_in_a_run_that_midtrains(tmp_path):
    from types import SimpleNamespace

    from study.rl_stage import min_tokens

    def floor(stages_text, value="midtrain", finished_midtrain=False):
        c = aligned_upsample.get_config()
        c.stages, c.rl.min_tokens = stages_text, value
        if finished_midtrain:
            (tmp_path / "midtrain").mkdir(exist_ok=True)
            (tmp_path / "midtrain" / "done.json").write_text("{}")
        return min_tokens(SimpleNamespace(config=c, stage_dir=lambda stage: tmp_path / stage))

    m = aligned_upsample.get_config().midtrain
    assert floor("pretrain,midtrain,sft,rl,eval") == int(m.steps) * int(m.batch_size) * int(m.seq_len)
    assert floor("rl,eval") == 0  # RL on a checkpoint: no midtraining to match
    assert floor("rl,eval", "12345") == 12345 and floor("midtrain,rl", "0") == 0
    with pytest.raises(ValueError, match=r"rl.min_tokens='midtrian': expected 'midtrain' or a token count"):
        floor("midtrain,rl", "midtrian")
    assert floor("rl,eval", finished_midtrain=True) == int(m.steps) * int(m.batch_size) * int(m.seq_len)
