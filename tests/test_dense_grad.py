"""The CPU-friendly training paths compute the same gradients as plain autodiff: the custom projection backward
(dense.py), the attention kernel that recomputes its probabilities (attention.py) and the unrolled layer scan.
The reference each time is `jax.grad` of the plain `jnp.einsum` / `jax.nn.dot_product_attention` / rolled-scan
code, not numbers of our own."""
import dataclasses
import functools

import jax
import jax.ad_checkpoint
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from midalign_jax import model as M
from midalign_jax.model import attention, dense
from midalign_jax.parallel import sharding as S

B, T, D, N, K, H, F, V = 4, 12, 16, 4, 2, 8, 40, 56

# (spec, x shape, w shape, preferred_element_type): every projection the model makes. The MLP down projection
# (F > D) and lm_head (V > D) take the two different branches of the weight-gradient layout choice.
PROJECTIONS = {
    "q": ("btd,dnh->btnh", (B, T, D), (D, N, H), None),
    "kv": ("btd,dkh->btkh", (B, T, D), (D, K, H), None),
    "o": ("btnh,nhd->btd", (B, T, N, H), (N, H, D), None),
    "mlp_up": ("btd,df->btf", (B, T, D), (D, F), None),
    "mlp_down": ("btf,fd->btd", (B, T, F), (F, D), None),
    "lm_head": ("btd,dv->btv", (B, T, D), (D, V), jnp.float32),
    "tied_embedding": ("btd,vd->btv", (B, T, D), (V, D), jnp.float32),
}


def _operands(x_shape, w_shape, dtype=jnp.float32, seed=0):
    kx, kw, kc = jax.random.split(jax.random.key(seed), 3)
    return (jax.random.normal(kx, x_shape, jnp.float32).astype(dtype),
            jax.random.normal(kw, w_shape, jnp.float32).astype(dtype), kc)


def _loss_of(spec, grad, pet):
    """A scalar that weighs every output element differently, so a transposed or misplaced gradient shows."""
    def loss(x, w, c):
        y = dense.project(spec, x, w, grad=grad, preferred_element_type=pet)
        return jnp.sum(y.astype(jnp.float32) * c)
    return loss


@pytest.mark.parametrize("kind", sorted(PROJECTIONS))
def test_transposed_backward_equals_einsum_autodiff(kind):
    spec, x_shape, w_shape, pet = PROJECTIONS[kind]
    x, w, kc = _operands(x_shape, w_shape)
    out_shape = jax.eval_shape(lambda: jnp.einsum(spec, x, w)).shape
    c = jax.random.normal(kc, out_shape)
    ref_y = jnp.einsum(spec, x, w, preferred_element_type=pet)
    got_y = dense.project(spec, x, w, grad="transposed", preferred_element_type=pet)
    np.testing.assert_array_equal(got_y, ref_y)
    assert got_y.dtype == ref_y.dtype
    ref = jax.jit(jax.grad(_loss_of(spec, "einsum", pet), argnums=(0, 1)))(x, w, c)
    got = jax.jit(jax.grad(_loss_of(spec, "transposed", pet), argnums=(0, 1)))(x, w, c)
    for g, r in zip(got, ref):
        assert g.shape == r.shape and g.dtype == r.dtype
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5)


def test_bfloat16_projection_is_the_float32_sum_rounded_once():
    # bf16 operands: the product is accumulated in float32 and rounded once (XLA:CPU's fast bf16 path), forward
    # and backward; the gradients stay bf16 and close to float32 autodiff of the same bf16 inputs.
    spec, x_shape, w_shape, _ = PROJECTIONS["mlp_up"]
    x, w, kc = _operands(x_shape, w_shape, jnp.bfloat16)
    got = dense.project(spec, x, w, grad="transposed")
    assert got.dtype == jnp.bfloat16
    np.testing.assert_array_equal(got, jnp.einsum(spec, x, w, preferred_element_type=jnp.float32).astype(jnp.bfloat16))
    c = jax.random.normal(kc, got.shape)
    ref = jax.grad(_loss_of(spec, "einsum", None), argnums=(0, 1))(x.astype(jnp.float32), w.astype(jnp.float32), c)
    for g, r in zip(jax.grad(_loss_of(spec, "transposed", None), argnums=(0, 1))(x, w, c), ref):
        assert g.dtype == jnp.bfloat16
        np.testing.assert_allclose(g.astype(jnp.float32), r, rtol=1e-2, atol=1e-2 * float(jnp.abs(r).max()))


def test_shared_input_projections_equal_separate_autodiff():
    specs = ("btd,dnh->btnh", "btd,dkh->btkh", "btd,dkh->btkh")
    x, wq, kc = _operands((B, T, D), (D, N, H))
    _, wk, _ = _operands((B, T, D), (D, K, H), seed=1)
    _, wv, _ = _operands((B, T, D), (D, K, H), seed=2)
    cs = [jax.random.normal(k, s) for k, s in zip(jax.random.split(kc, 3), [(B, T, N, H), (B, T, K, H), (B, T, K, H)])]

    def loss(x, ws, grad):
        ys = dense.project_shared(specs, x, ws, grad=grad)
        return sum(jnp.sum(y * c) for y, c in zip(ys, cs))

    grad = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=2)
    ref = grad(x, (wq, wk, wv), "einsum")
    got = grad(x, (wq, wk, wv), "transposed")
    jax.tree.map(lambda g, r: np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5), got, ref)


@pytest.mark.parametrize("kind", ["q", "o", "mlp_down", "lm_head", "tied_embedding"])
def test_transposed_backward_under_a_sharded_mesh(kind):
    """Batch on (data, fsdp), weights split on fsdp and tensor as the model's logical axes would place them."""
    spec, x_shape, w_shape, pet = PROJECTIONS[kind]
    mesh = S.make_mesh(ml_collections.ConfigDict(dict(data=2, fsdp=2, tensor=2)))
    lhs, rhs, _ = spec.split("->")[0].split(",") + [None]
    axis = {"b": ("data", "fsdp"), "d": "fsdp", "n": "tensor", "k": "tensor", "f": "tensor", "v": "tensor"}
    x_spec = P(*[axis.get(c) if c != "d" else None for c in lhs])      # activations keep embed unsplit
    w_spec = P(*[axis.get(c) for c in rhs])
    x, w, kc = _operands(x_shape, w_shape)
    c = jax.random.normal(kc, jax.eval_shape(lambda: jnp.einsum(spec, x, w)).shape)
    ref = jax.jit(jax.grad(_loss_of(spec, "einsum", pet), argnums=(0, 1)))(x, w, c)
    xs = jax.device_put(x, NamedSharding(mesh, x_spec))
    ws = jax.device_put(w, NamedSharding(mesh, w_spec))
    grad_fn = jax.jit(jax.grad(_loss_of(spec, "transposed", pet), argnums=(0, 1)),
                      out_shardings=(NamedSharding(mesh, x_spec), NamedSharding(mesh, w_spec)))
    got = grad_fn(xs, ws, c)
    assert got[1].sharding.spec == w_spec
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-5, atol=1e-5)


def test_bfloat16_gradients_keep_dtypes_and_stay_close():
    spec, x_shape, w_shape, pet = PROJECTIONS["lm_head"]
    x, w, kc = _operands(x_shape, w_shape, jnp.bfloat16)
    c = jax.random.normal(kc, (B, T, V))
    ref = jax.grad(_loss_of(spec, "einsum", pet), argnums=(0, 1))(x, w, c)
    got = jax.jit(jax.grad(_loss_of(spec, "transposed", pet), argnums=(0, 1)))(x, w, c)
    for g, r in zip(got, ref):
        assert g.dtype == r.dtype == jnp.bfloat16
        scale = float(jnp.max(jnp.abs(r.astype(jnp.float32))))
        np.testing.assert_allclose(g.astype(jnp.float32), r.astype(jnp.float32), atol=2e-2 * scale)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the layouts are chosen for XLA's CPU backend")
@pytest.mark.parametrize("kind", ["lm_head", "mlp_down"])
def test_weight_gradient_dots_contract_row_major_on_cpu(kind):
    """What the custom backward is for: in the compiled gradient, no dot contracts its lhs on dimension 0 (the
    form the CPU backend runs through its slow generic dot; plain autodiff emits it for these weights)."""
    spec, x_shape, w_shape, pet = PROJECTIONS[kind]
    x, w, kc = _operands(x_shape, w_shape)
    c = jax.random.normal(kc, jax.eval_shape(lambda: jnp.einsum(spec, x, w)).shape)
    hlo = jax.jit(jax.grad(_loss_of(spec, "transposed", pet), argnums=(0, 1))).lower(x, w, c).compile().as_text()
    dots = [line for line in hlo.splitlines() if " dot(" in line]
    assert len(dots) == 2   # input and weight gradient (the loss is linear in y: the forward dot is dead code)
    assert not [line for line in dots if "lhs_contracting_dims={0}" in line], dots


def test_bad_spec_and_mode_are_clear_errors():
    x, w, _ = _operands((B, T, D), (D, F))
    with pytest.raises(ValueError, match="projection spec 'btd,bf->btf'"):
        dense.project("btd,bf->btf", x, w, grad="transposed")
    with pytest.raises(ValueError, match="expected 'x_letters,w_letters->out_letters'"):
        dense.project("btd,df", x, w)
    with pytest.raises(ValueError, match="dense_grad='fast'"):
        dense.project("btd,df->btf", x, w, grad="fast")
    with pytest.raises(ValueError, match="dense_grad"):
        M.ModelConfig(dense_grad="fast")
    with pytest.raises(ValueError, match="scan_unroll"):
        M.ModelConfig(scan_unroll=-1)


def test_auto_resolves_per_backend():
    assert dense.resolve_grad("auto") == ("transposed" if jax.default_backend() == "cpu" else "einsum")
    assert attention.resolve_kernel("auto") == {"gpu": "cudnn", "tpu": "splash"}.get(jax.default_backend(),
                                                                                     "recompute")


# ---------------------------------------------------------------------------------------------------- attention

def _packed_inputs(n_heads, n_kv_heads, dtype=jnp.float32):
    kq, kk, kv, kc = jax.random.split(jax.random.key(3), 4)
    q = jax.random.normal(kq, (B, T, n_heads, H), dtype)
    k = jax.random.normal(kk, (B, T, n_kv_heads, H), dtype)
    v = jax.random.normal(kv, (B, T, n_kv_heads, H), dtype)
    seg = jnp.array([[1] * 5 + [2] * 7, [1] * 9 + [0] * 3, [1] * 12, [1] * 2 + [2] * 10], jnp.int32)  # packed, padded
    idx = jnp.broadcast_to(jnp.arange(T), (B, T))
    mask = attention.causal_segment_mask(seg, seg, idx, idx)
    return q, k, v, mask, jax.random.normal(kc, (B, T, n_heads, H))


@pytest.mark.parametrize("heads,query_block", [((4, 4), 64), ((4, 2), 64), ((4, 1), 64), ((4, 2), 5), ((4, 4), 3)])
def test_recompute_attention_equals_reference_values_and_grads(heads, query_block, monkeypatch):
    # query_block < T: the causal kernel runs in query blocks, each over the keys up to its last row only.
    monkeypatch.setattr(attention, "QUERY_BLOCK", query_block)
    assert len(attention.query_blocks(T)) == (1 if query_block >= T else round(T / query_block))
    q, k, v, mask, c = _packed_inputs(*heads)

    def loss(q, k, v, kernel):
        return jnp.sum(attention.attend(q, k, v, mask, kernel=kernel, causal=True) * c)

    np.testing.assert_allclose(attention.attend(q, k, v, mask, kernel="recompute", causal=True),
                               attention.attend(q, k, v, mask, kernel="xla"), rtol=1e-5, atol=1e-6)
    grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2)), static_argnums=3)
    ref = grad(q, k, v, "xla")
    got = grad(q, k, v, "recompute")
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)


def test_recompute_attention_saves_no_score_sized_buffer(capsys):
    q, k, v, mask, c = _packed_inputs(4, 2)

    def saved(kernel):
        jax.ad_checkpoint.print_saved_residuals(
            lambda q, k, v: jnp.sum(attention.attend(q, k, v, mask, kernel=kernel) * c), q, k, v)
        return capsys.readouterr().out

    def float_score_sized(text):  # float residuals ending in [.., T, S] (the boolean mask is an input anyway)
        return [line for line in text.splitlines() if line.startswith("f32[") and f"{T},{T}]" in line]

    assert float_score_sized(saved("xla"))             # the reference keeps the probabilities ...
    assert not float_score_sized(saved("recompute"))   # ... the recompute kernel only row statistics


def test_recompute_attention_bfloat16_close_to_float32():
    q, k, v, mask, _ = _packed_inputs(4, 2)
    ref = attention.attend(q, k, v, mask, kernel="xla")
    got = attention.attend(*(a.astype(jnp.bfloat16) for a in (q, k, v)), mask, kernel="recompute")
    assert got.dtype == jnp.bfloat16
    np.testing.assert_allclose(got.astype(jnp.float32), ref, atol=5e-2)


# -------------------------------------------------------------------------------------------------- whole model

REFERENCE = dict(dense_grad="einsum", attention_kernel="xla", scan_unroll=1)
FAST = dict(dense_grad="transposed", attention_kernel="recompute", scan_unroll=0)
FAMILIES = {
    "llama_gqa": M.ModelConfig(vocab_size=61, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8,
                               d_ff=48),
    "qwen_bias_tied": M.ModelConfig(vocab_size=61, d_model=32, n_layers=2, n_heads=4, n_kv_heads=1, head_dim=8,
                                    d_ff=48, qkv_bias=True, tie_embeddings=True),
    "neox_parallel": M.ModelConfig(vocab_size=61, d_model=32, n_layers=2, n_heads=4, n_kv_heads=4, head_dim=8,
                                   d_ff=64, norm="layernorm", mlp="gelu", activation="gelu", mlp_bias=True,
                                   qkv_bias=True, out_bias=True, parallel_residual=True, rotary_pct=0.25),
}


def _model_loss(params, tokens, segs, pos, cfg, placement=None):
    logits = M.forward(params, tokens, cfg, positions=pos, segment_ids=segs, placement=placement)
    return jnp.mean(jax.nn.logsumexp(logits, axis=-1) - logits[..., 0])


def _model_batch(cfg):
    tokens = jax.random.randint(jax.random.key(7), (B, 16), 0, cfg.vocab_size)
    segs = jnp.array([[1] * 10 + [2] * 6, [1] * 16] * 2, jnp.int32)
    pos = jnp.array([list(range(10)) + list(range(6)), list(range(16))] * 2, jnp.int32)
    return tokens, segs, pos


_model_grad = jax.jit(jax.value_and_grad(_model_loss), static_argnums=4)


@functools.lru_cache(maxsize=None)
def _reference(name):
    """Params, batch, loss and gradients of the plain-autodiff path, computed once per family."""
    cfg = FAMILIES[name]
    params = M.init_params(cfg, jax.random.key(0))
    batch = _model_batch(cfg)
    return params, batch, *_model_grad(params, *batch, dataclasses.replace(cfg, **REFERENCE))


@pytest.mark.parametrize("name,remat,query_block", [("llama_gqa", "none", 64), ("qwen_bias_tied", "full", 64),
                                                    ("neox_parallel", "dots", 64), ("llama_gqa", "dots", 4)])
def test_model_gradients_equal_the_reference_path(name, remat, query_block, monkeypatch):
    monkeypatch.setattr(attention, "QUERY_BLOCK", query_block)  # 4: the 16-token rows run in 4 causal blocks
    params, batch, ref_l, ref_g = _reference(name)
    got_l, got_g = _model_grad(params, *batch, dataclasses.replace(FAMILIES[name], remat=remat, **FAST))
    np.testing.assert_allclose(got_l, ref_l, rtol=1e-6)
    jax.tree.map(lambda g, r: np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6), got_g, ref_g)


def test_sharded_model_gradients_equal_single_device_reference():
    cfg = FAMILIES["llama_gqa"]
    params, batch, _, ref_g = _reference("llama_gqa")
    mesh = S.make_mesh(ml_collections.ConfigDict(dict(data=2, fsdp=2, tensor=2)))
    rules = S.DEFAULT_RULES
    p_shard = S.tree_shardings(M.logical_axes(cfg), M.param_shapes(cfg), mesh, rules)
    b_shard = S.batch_sharding(mesh, rules)
    fast = dataclasses.replace(cfg, **FAST)

    @jax.jit
    def grads(p, tokens, segs, pos):
        return jax.grad(_model_loss)(p, tokens, segs, pos, fast, S.Placement.of(mesh, rules))

    got_g = grads(S.place(params, p_shard), *(jax.device_put(x, b_shard) for x in batch))
    jax.tree.map(lambda g, r: np.testing.assert_allclose(np.asarray(g), r, rtol=1e-4, atol=1e-6), got_g, ref_g)
