"""Our model as an eval `LanguageModel`: batched, jitted log-likelihoods and KV-cache generation.

Registers two backends for `evals.backends.load_model`:
  ours:PATH   our params directory (model_config.json; e.g. WORKDIR/midtrain/params); the tokenizer is the first
              `tokenizer/` folder found in PATH or its parents (main.py writes WORKDIR/tokenizer), or give it
              explicitly as `ours:PATH,tokenizer=DIR`
  hf:PATH     a local Hugging Face model directory (weights + tokenizer)
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import jax
import numpy as np

from evals import prefix_scoring
from evals.backends import register_backend
from evals.model_api import (
    GenerationRequest,
    LoglikelihoodResult,
    render_plain_chat,
    validate_messages,
)
from midalign_jax import model as M
from midalign_jax import sampling
from midalign_jax.parallel import sharding as S

_MAX_CONTINUATIONS = 8  # continuations scored against one prefilled context per program (unrolled loop)


def _bucket(n: int, minimum: int, per_octave: int = 8) -> int:
    """Round up to one of `per_octave` (a power of two) sizes between consecutive powers of two, and to a multiple
    of `minimum`: few distinct shapes (few compiles) and at most 1/per_octave padding."""
    step = max(minimum, 1 << max(0, n.bit_length() - 1 - per_octave.bit_length() + 1))
    return -(-n // step) * step


def _rows_for(n: int, batch_size: int, shards: int) -> int:
    """Rows for `n` units of work: `batch_size` when there is that much, else the next power of two, so the last
    batch of a call and a stream of small calls reuse a handful of compiled shapes; always a multiple of the
    number of batch shards."""
    rows = batch_size if n >= batch_size else 1 << max(0, (n - 1).bit_length())
    return -(-rows // shards) * shards


class JaxLanguageModel:
    """`LanguageModel` over our params. `batch_size` rows per forward; with a mesh, rows split over its data axes."""

    def __init__(self, params, cfg: M.ModelConfig, tokenizer, *, name: str = "ours", batch_size: int = 32,
                 mesh=None, rules=None, max_length: int | None = None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.params, self.cfg, self.tokenizer, self.name = params, cfg, tokenizer, name
        self.batch_size, self.mesh, self.rules = batch_size, mesh, rules or (S.DEFAULT_RULES if mesh else None)
        self.max_length = min(max_length or cfg.max_seq_len, cfg.max_seq_len)
        if self.max_length < 2:
            raise ValueError(f"max_length must be at least 2 tokens, got {self.max_length}")
        eos = tokenizer.eos_token_id
        self.prefix_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else eos
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (eos or 0)
        self.eos_ids = tuple(i for i in {eos} if i is not None)

    # --------------------------------------------------------------------------------------- encoding
    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text; one batched tokenizer call (the Rust tokenizers run it in parallel)."""
        if not texts:
            return []
        return [list(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def _encode_pairs(self, requests: Sequence[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        """(context ids, continuation ids) per request, the lm-evaluation-harness way: trailing context spaces
        belong to the continuation (" Paris"), the continuation is what the whole text adds to the context's
        tokens, and an empty context is the prefix (BOS, else EOS) token."""
        split = []
        for i, request in enumerate(requests):
            if not (isinstance(request, (tuple, list)) and len(request) == 2
                    and all(isinstance(x, str) for x in request)):
                raise ValueError(f"request {i}: expected a (context, continuation) pair of strings, got {request!r}")
            context, continuation = request
            spaces = len(context) - len(context.rstrip(" "))
            if spaces:
                context, continuation = context[:-spaces], context[-spaces:] + continuation
            split.append((context, continuation))
        contexts = list(dict.fromkeys(c for c, _ in split))
        ctx_ids = dict(zip(contexts, self._encode_many(contexts)))
        wholes = self._encode_many([c + t for c, t in split])
        pairs = []
        for i, ((context, continuation), whole) in enumerate(zip(split, wholes)):
            ctx = ctx_ids[context]
            if whole[:len(ctx)] == ctx:
                cont = whole[len(ctx):]
            else:  # a merge across the boundary: fall back to separate encodings
                cont = self._encode(continuation)
            if not cont:
                raise ValueError(f"request {i}: continuation {requests[i][1]!r} encodes to no tokens")
            pairs.append((ctx or [self.prefix_id], cont))
        return pairs

    # ------------------------------------------------------------------------------------- scoring
    def _score(self, pairs: list[tuple[list[int], list[int]]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(context ids, continuation ids) -> per pair (log-probs, greedy flags) of the continuation tokens.

        Contexts longer than `max_length` minus the continuation lose tokens from the left. Pairs with the same
        (truncated) context share one prefill (`evals.prefix_scoring`); identical pairs are scored once.
        """
        groups: dict[tuple[int, ...], dict[tuple[int, ...], list[int]]] = {}
        for i, (ctx, cont) in enumerate(pairs):
            room = self.max_length - len(cont)
            if room < 1:
                raise ValueError(f"request {i}: its continuation has {len(cont)} tokens, which leaves no room for "
                                 f"context within max_length={self.max_length}")
            groups.setdefault(tuple(ctx[-room:]), {}).setdefault(tuple(cont), []).append(i)
        # Work units: one context and up to _MAX_CONTINUATIONS continuations, grouped by how many, longest first.
        units = []
        for ctx, conts in groups.items():
            cont_list = list(conts)
            for k in range(0, len(cont_list), _MAX_CONTINUATIONS):
                units.append((ctx, cont_list[k:k + _MAX_CONTINUATIONS]))
        units.sort(key=lambda u: (-len(u[1]), -(len(u[0]) + max(map(len, u[1]))), -len(u[0])))

        placement = S.Placement.of(self.mesh, self.rules) if self.mesh is not None else None
        shards = self.mesh.shape["data"] * self.mesh.shape["fsdp"] if self.mesh is not None else 1
        cpu = (self.mesh.devices.flat[0] if self.mesh is not None else jax.devices()[0]).platform == "cpu"
        # One J for the whole call: the non-longest continuations are short and alike (options of one item), so a
        # per-batch J mostly multiplied the distinct (W, J) programs to compile for little padding saved.
        J = min(_bucket(max((len(c) - 1 for _, conts in units for c in sorted(conts, key=len)[:-1]), default=0), 4),
                self.max_length)
        pending = []  # dispatch every batch before reading any back, so host work overlaps device work
        for start in range(0, len(units), self.batch_size):
            batch = units[start:start + self.batch_size]
            B = _rows_for(len(batch), self.batch_size, shards)
            # Padded shapes: units are sorted, so a batch's rows are about as long as its longest; the rounding
            # keeps the number of distinct shapes (compilations) small without much padding.
            W = min(_bucket(max(len(ctx) + max(map(len, conts)) - 1 for ctx, conts in batch), 8), self.max_length)
            P = -(-_bucket(sum(len(c) for _, conts in batch for c in conts), 16) // shards) * shards
            laid = prefix_scoring.build_batch(batch, B=B, W=W, J=J, P=P, pad_id=self.pad_id)
            layout = prefix_scoring.plan_layout(self.cfg, B, W, cpu=cpu, shards=shards)
            arrays, picks = laid.arrays(), [laid.select_P, laid.targets_P]
            if self.mesh is not None:
                arrays = [jax.device_put(a, self._batch_sharding(a.ndim, batch_axis=1 if a.ndim == 3 else 0))
                          for a in arrays]
                picks = [jax.device_put(a, self._batch_sharding(1, batch_axis=0)) for a in picks]
            states = prefix_scoring.hidden_states(self.params, *arrays, cfg=self.cfg, placement=placement,
                                                  layout=layout)
            scores = prefix_scoring.head_scores(self.params, states, *picks, cfg=self.cfg, placement=placement,
                                                chunk=prefix_scoring.head_chunk(self.cfg, P, cpu=cpu, shards=shards))
            pending.append((batch, laid.spans, scores))
        out: list = [None] * len(pairs)
        for batch, spans, result in pending:
            lp_P, greedy_P = jax.device_get(result)
            for (ctx, conts), row_spans in zip(batch, spans):
                for cont, span in zip(conts, row_spans):
                    scored = (lp_P[span], greedy_P[span])
                    for i in groups[ctx][cont]:
                        out[i] = scored
        return out

    def _batch_sharding(self, ndim: int, batch_axis: int):
        spec = S.batch_sharding(self.mesh, self.rules, 1).spec
        axes = [None] * ndim
        axes[batch_axis] = spec[0]
        return jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(*axes))

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LoglikelihoodResult]:
        return [LoglikelihoodResult(float(lp.sum()), bool(g.all()), len(lp))
                for lp, g in self._score(self._encode_pairs(requests))]

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[float]:
        """Whole-text log-probability, conditioned on the prefix token (BOS, else EOS).

        Windowing rule: with ids = [prefix] + tokens(text) and s = (max_length - 1) // 2, the tokens ids[1:] are
        scored in consecutive chunks of s tokens (the last may be shorter); the chunk ids[a:b] is scored with the
        at most max_length tokens ids[max(0, b - max_length):b] as the model's input. So no token is scored
        twice, and every token sees at least max_length - s preceding tokens (all of them near the start). A
        text of fewer than max_length tokens is scored exactly as one forward pass over it.
        """
        pairs, owners = [], []
        chunk = (self.max_length - 1) // 2 or 1
        for t, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValueError(f"text {t}: expected a string, got {type(text).__name__}")
            ids = [self.prefix_id] + self._encode(text)
            for start in range(1, len(ids), chunk):
                end = min(start + chunk, len(ids))
                pairs.append((ids[max(0, end - self.max_length):start], ids[start:end]))
                owners.append(t)
        totals = [0.0] * len(texts)
        for owner, (lp, _) in zip(owners, self._score(pairs)):
            totals[owner] += float(lp.sum())
        return totals

    # ---------------------------------------------------------------------------------- generation
    def _stop_token_sequences(self, stops: Sequence[str]) -> tuple[tuple[int, ...], ...]:
        seqs = []
        for s in stops:
            ids = self._encode(s)
            if ids and self.tokenizer.decode(ids) == s:
                seqs.append(tuple(ids))
        return tuple(seqs)

    def generate_until(self, requests: Sequence[GenerationRequest]) -> list[str]:
        results: list[str | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.temperature, r.max_new_tokens, r.seed, tuple(r.stop)), []).append(i)
        for (temperature, max_new, seed, stops), idx in groups.items():
            # A request longer than the model's window keeps its most recent context and at most half the
            # window for new tokens (the same left truncation lm-evaluation-harness applies).
            max_new = min(int(max_new), self.max_length // 2)
            sp = sampling.SamplingParams(max_new_tokens=max_new, temperature=float(temperature),
                                         eos_ids=self.eos_ids, stop_sequences=self._stop_token_sequences(stops))
            limit = self.max_length - max_new
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start:start + self.batch_size]
                prompts = [(self._encode(requests[i].context) or [self.prefix_id])[-limit:] for i in chunk]
                # Two prompt lengths per octave: a multi-turn agent episode calls this once per turn with a longer
                # prompt, and at eight per octave its turns compiled a dozen sampling programs (4 s each on the
                # tiny preset) to save a little prefill.
                out = sampling.generate(self.params, self.cfg, prompts, sp, rng=jax.random.key(seed),
                                        pad_id=self.pad_id, mesh=self.mesh, rules=self.rules,
                                        prompt_length=min(_bucket(max(map(len, prompts)), 16, per_octave=2), limit))
                for r, i in enumerate(chunk):
                    ids = [int(t) for t in out.tokens[r, :out.lengths[r]] if int(t) not in self.eos_ids]
                    text = self.tokenizer.decode(ids, skip_special_tokens=True)
                    cut = min((text.find(s) for s in stops if s and s in text), default=len(text))
                    results[i] = text[:cut]
        return results  # type: ignore[return-value]

    def render_chat(self, messages: Sequence[dict]) -> str:
        validate_messages(messages)
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        return render_plain_chat(messages)


def _find_tokenizer(path: Path) -> Path:
    for folder in [path, *path.parents]:
        if (folder / "tokenizer").is_dir():
            return folder / "tokenizer"
        if (folder / "tokenizer.json").exists() or (folder / "tokenizer_config.json").exists():
            return folder
    raise FileNotFoundError(f"no tokenizer found in {path} or its parents; pass ours:{path},tokenizer=DIR")


_OURS_OPTIONS = ("tokenizer",)


def load_ours(argument: str, **kwargs) -> JaxLanguageModel:
    from midalign_jax import params_io
    from midalign_jax.hf import load_tokenizer_dir
    path_text, _, opts = argument.partition(",")
    path = Path(path_text).expanduser()
    options = {}
    for option in filter(None, opts.split(",")):
        key, eq, value = option.partition("=")
        if key not in _OURS_OPTIONS or not eq or not value:
            raise ValueError(f"model spec ours:{argument}: option {option!r} not understood; expected "
                             f"{', '.join(f'{k}=DIR' for k in _OURS_OPTIONS)}")
        options[key] = value
    cfg, params = params_io.load_params(path)
    tokenizer = load_tokenizer_dir(options.get("tokenizer") or _find_tokenizer(path))
    return JaxLanguageModel(params, cfg, tokenizer, name=f"ours:{path}", **kwargs)


def load_hf_model(argument: str, **kwargs) -> JaxLanguageModel:
    from midalign_jax.hf import load_hf, load_tokenizer_dir
    cfg, params = load_hf(argument)
    return JaxLanguageModel(params, cfg, load_tokenizer_dir(argument), name=f"hf:{argument}", **kwargs)


register_backend("ours", load_ours, overwrite=True)
register_backend("hf", load_hf_model, overwrite=True)
