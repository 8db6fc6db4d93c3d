"""Our model as an eval `LanguageModel`: batched, jitted log-likelihoods and KV-cache generation.

Registers two backends for `evals.backends.load_model`:
  ours:PATH   our params directory (model_config.json; e.g. WORKDIR/midtrain/params); the tokenizer is the first
              `tokenizer/` folder found in PATH or its parents (main.py writes WORKDIR/tokenizer), or give it
              explicitly as `ours:PATH,tokenizer=DIR`
  hf:PATH     a local Hugging Face model directory (weights + tokenizer)
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from evals.backends import register_backend
from evals.model_api import GenerationRequest, LoglikelihoodResult, render_plain_chat, validate_messages
from midalign_jax import model as M
from midalign_jax import sampling
from midalign_jax import sharding as S


def _bucket(n: int, multiple: int = 32) -> int:
    return -(-n // multiple) * multiple


@functools.lru_cache(maxsize=32)
def _scorer(cfg: M.ModelConfig, mesh, rules_items):
    """jit: per-target log-probs and greedy flags [B, T-1] for right-padded rows."""
    rules = dict(rules_items) if rules_items else None

    def score(params, tokens_BT, segs_BT):
        logits = M.forward(params, tokens_BT, cfg, segment_ids=segs_BT)[:, :-1]
        logp = jax.nn.log_softmax(logits, axis=-1)
        targets = tokens_BT[:, 1:]
        lp = jnp.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
        return lp, jnp.argmax(logits, axis=-1) == targets

    def run(params, tokens_BT, segs_BT):
        if mesh is None:
            return score(params, tokens_BT, segs_BT)
        with S.activation_sharding(mesh, rules):
            return score(params, tokens_BT, segs_BT)

    return jax.jit(run)


class JaxLanguageModel:
    """`LanguageModel` over our params. `batch_size` rows per forward; with a mesh, rows split over its data axes."""

    def __init__(self, params, cfg: M.ModelConfig, tokenizer, *, name: str = "ours", batch_size: int = 32,
                 mesh=None, rules=None, max_length: int | None = None):
        self.params, self.cfg, self.tokenizer, self.name = params, cfg, tokenizer, name
        self.batch_size, self.mesh, self.rules = batch_size, mesh, rules or (S.DEFAULT_RULES if mesh else None)
        self.max_length = min(max_length or cfg.max_seq_len, cfg.max_seq_len)
        eos = tokenizer.eos_token_id
        self.prefix_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else eos
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (eos or 0)
        self.eos_ids = tuple(i for i in {eos} if i is not None)

    # --------------------------------------------------------------------------------------- encoding
    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        # Trailing context spaces belong to the continuation (" Paris"), as in lm-evaluation-harness.
        spaces = len(context) - len(context.rstrip(" "))
        if spaces:
            context, continuation = context[:-spaces], context[-spaces:] + continuation
        whole = self._encode(context + continuation)
        ctx = self._encode(context)
        if whole[:len(ctx)] != ctx:  # a merge across the boundary: fall back to separate encodings
            return ctx or [self.prefix_id], self._encode(continuation)
        return ctx or [self.prefix_id], whole[len(ctx):]

    # ------------------------------------------------------------------------------------- scoring
    def _score_rows(self, rows: list[tuple[list[int], int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """rows: (tokens, n_scored) -> per row (log-probs, greedy flags) of its last n_scored tokens."""
        out: list = [None] * len(rows)
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i][0]))
        fn = _scorer(self.cfg, self.mesh, tuple(sorted(self.rules.items())) if self.rules else None)
        shards = self.mesh.shape["data"] * self.mesh.shape["fsdp"] if self.mesh is not None else 1
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            T = min(_bucket(max(len(rows[i][0]) for i in idx)), self.max_length)
            B = -(-len(idx) // shards) * shards
            tokens = np.full((B, T), self.pad_id, np.int32)
            segs = np.zeros((B, T), np.int32)
            for r, i in enumerate(idx):
                toks = rows[i][0][-T:]
                tokens[r, :len(toks)] = toks
                segs[r, :len(toks)] = 1
            if self.mesh is not None:
                tokens, segs = (jax.device_put(a, S.batch_sharding(self.mesh, self.rules)) for a in (tokens, segs))
            lp, greedy = jax.device_get(fn(self.params, tokens, segs))
            for r, i in enumerate(idx):
                toks, n = rows[i]
                L = min(len(toks), T)
                if n >= L:
                    raise ValueError(f"request {i}: {n} scored tokens do not fit the {T}-token window")
                out[i] = (lp[r, L - 1 - n:L - 1], greedy[r, L - 1 - n:L - 1])
        return out

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LoglikelihoodResult]:
        rows = []
        for context, continuation in requests:
            ctx, cont = self._encode_pair(context, continuation)
            if not cont:
                raise ValueError(f"continuation {continuation!r} encodes to no tokens")
            rows.append((ctx + cont, len(cont)))
        return [LoglikelihoodResult(float(lp.sum()), bool(g.all()), len(lp)) for lp, g in self._score_rows(rows)]

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[float]:
        """Whole-text log-probability: windows of at most max_length tokens, each conditioned on as many
        preceding tokens as fit (no token is scored twice)."""
        rows, owners = [], []
        window = self.max_length - 1
        for t, text in enumerate(texts):
            toks = [self.prefix_id] + self._encode(text)
            for start in range(1, len(toks), window // 2 or 1):
                end = min(start + window // 2, len(toks))
                ctx_start = max(0, end - self.max_length)
                rows.append((toks[ctx_start:end], end - start))
                owners.append(t)
                if end == len(toks):
                    break
        totals = [0.0] * len(texts)
        for owner, (lp, _) in zip(owners, self._score_rows(rows)):
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
                out = sampling.generate(self.params, self.cfg, prompts, sp, rng=jax.random.key(seed),
                                        pad_id=self.pad_id, mesh=self.mesh, rules=self.rules,
                                        prompt_length=min(_bucket(max(map(len, prompts)), 16), limit))
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


def load_ours(argument: str, **kwargs) -> JaxLanguageModel:
    from midalign_jax import params_io
    from midalign_jax.hf import load_tokenizer_dir
    path_text, _, opts = argument.partition(",")
    path = Path(path_text).expanduser()
    options = dict(o.split("=", 1) for o in opts.split(",") if o)
    cfg, params = params_io.load_params(path)
    tokenizer = load_tokenizer_dir(options.get("tokenizer") or _find_tokenizer(path))
    return JaxLanguageModel(params, cfg, tokenizer, name=f"ours:{path}", **kwargs)


def load_hf_model(argument: str, **kwargs) -> JaxLanguageModel:
    from midalign_jax.hf import load_hf, load_tokenizer_dir
    cfg, params = load_hf(argument)
    return JaxLanguageModel(params, cfg, load_tokenizer_dir(argument), name=f"hf:{argument}", **kwargs)


register_backend("ours", load_ours, overwrite=True)
register_backend("hf", load_hf_model, overwrite=True)
