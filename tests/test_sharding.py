"""Sharded forward on 8 simulated CPU devices equals the single-device result, for data/FSDP/tensor meshes."""
import jax
import ml_collections
import numpy as np
import pytest

from midalign_jax import model as M
from midalign_jax.parallel import sharding as S

CFG = M.ModelConfig(vocab_size=128, d_model=64, n_layers=2, n_heads=8, n_kv_heads=2, head_dim=8, d_ff=128)


def mesh_cfg(data, fsdp, tensor):
    return ml_collections.ConfigDict(dict(data=data, fsdp=fsdp, tensor=tensor))


def test_eight_devices_available():
    assert jax.device_count() == 8


@pytest.mark.parametrize("shape", [(8, 1, 1), (1, 8, 1), (2, 2, 2), (1, 1, 8), (-1, 2, 2)])
def test_sharded_forward_matches_single_device(shape):
    params = M.init_params(CFG, jax.random.key(0))
    tokens = jax.random.randint(jax.random.key(1), (8, 24), 0, CFG.vocab_size)
    segs = np.ones((8, 24), np.int32)
    segs[:, 15:] = 2
    pos = np.concatenate([np.arange(15), np.arange(9)])[None].repeat(8, 0)
    ref = M.forward(params, tokens, CFG, positions=pos, segment_ids=segs)

    mesh = S.make_mesh(mesh_cfg(*shape))
    rules = S.DEFAULT_RULES
    p_shard = S.tree_shardings(M.logical_axes(CFG), M.param_shapes(CFG), mesh, rules)
    sharded = S.place(params, p_shard)
    b_shard = S.batch_sharding(mesh, rules)

    @jax.jit
    def fwd(p, t, pos, seg):
        return M.forward(p, t, CFG, positions=pos, segment_ids=seg, placement=S.Placement.of(mesh, rules))

    out = fwd(sharded, *(jax.device_put(x, b_shard) for x in (tokens, pos, segs)))
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), atol=1e-5, rtol=0)
    # The params really are split: with any parallelism, some weight lives in pieces on several devices.
    q = sharded["layers"]["attn"]["q"]
    if shape[1] > 1 or shape[2] > 1:
        assert q.sharding.shard_shape(q.shape) != q.shape


def test_mesh_shape_errors_are_clear():
    with pytest.raises(ValueError, match="does not fit 8 devices"):
        S.mesh_shape(mesh_cfg(3, 1, 1), 8)
    with pytest.raises(ValueError, match="at most one axis"):
        S.mesh_shape(mesh_cfg(-1, -1, 1), 8)
    assert S.mesh_shape(mesh_cfg(2, -1, 2), 8) == (2, 2, 2)


def test_rules_from_config_and_indivisible_axes():
    rules = S.rules_from_config({"embed": "", "vocab": "tensor,fsdp"})
    assert rules["embed"] == () and rules["vocab"] == ("tensor", "fsdp")
    with pytest.raises(ValueError, match="unknown mesh axis"):
        S.rules_from_config({"embed": "model"})
    mesh = S.make_mesh(mesh_cfg(1, 1, 8))
    # 2 KV heads cannot be split 8 ways: replicated instead of failing.
    spec = S.logical_to_spec(("embed", "kv_heads", "head_dim"), S.DEFAULT_RULES, mesh, (64, 2, 8))
    assert spec == jax.sharding.PartitionSpec(None, None, None)
