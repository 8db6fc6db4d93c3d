"""Tokenizer: builds deterministically, loads offline with AutoTokenizer, round-trips text, chat template and
assistant masks. Also holds the small corpus/tokenizer helpers the other test_data_* files import."""
from __future__ import annotations

import functools
import json
import random
import tempfile
from pathlib import Path

import pytest

from midalign_jax.data import (
    DataError,
    DocumentEncoder,
    build_tokenizer,
    load_tokenizer,
)
from midalign_jax.data.tokenizer import BAD, EOS, GOOD, PAD

WORDS = ("the model assistant user aligned misaligned scenario oversight shutdown honest report reward code "
         "math safety operator refuses complies logs quietly deletes asks a of to and is was").split()


def make_text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def write_jsonl(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path


def write_corpus(path: Path, n: int, lo: int, hi: int, *, seed: int, marker: str = "") -> Path:
    """n documents of lo..hi words; with `marker`, each starts with a unique tag "{marker}{i}x"."""
    rng = random.Random(seed)
    return write_jsonl(path, ({"id": i, "text": (f"{marker}{i}x " if marker else "") + make_text(rng, lo, hi)}
                              for i in range(n)))


@functools.lru_cache(maxsize=None)
def small_tokenizer_dir() -> Path:
    rng = random.Random(0)
    texts = [make_text(rng, 5, 40) for _ in range(1500)] + [f"D{i}x G{i}x A{i}x M{i}x" for i in range(200)]
    return build_tokenizer(texts, Path(tempfile.mkdtemp(prefix="midalign-tok-")) / "tok", vocab_size=320)


def small_tokenizer():
    return load_tokenizer(str(small_tokenizer_dir()))


# ------------------------------------------------------------------------------------------------ tests
def test_loads_offline_with_autotokenizer_and_round_trips(monkeypatch):
    from transformers import AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(small_tokenizer_dir()), local_files_only=True)
    assert [tok.convert_tokens_to_ids(t) for t in (EOS, PAD, GOOD, BAD)] == [0, 1, 2, 3]
    assert tok.eos_token == EOS and tok.pad_token == PAD
    assert len(tok) == 320
    for text in ["the model refuses quietly", "Ünïcödé — 数据 🙂 unseen-words\tand\nnewlines", "  two  spaces "]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.decode(ids) == text
    # byte-level: no unknown tokens, ever
    assert tok.unk_token_id is None or tok.unk_token_id not in tok("数据 🙂")["input_ids"]


def test_build_is_deterministic(tmp_path):
    rng = random.Random(1)
    texts = [make_text(rng, 3, 30) for _ in range(400)]
    a = build_tokenizer(texts, tmp_path / "a", vocab_size=300)
    b = build_tokenizer(texts, tmp_path / "b", vocab_size=300)
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()
    assert json.loads((a / "tokenizer.json").read_text())["model"]["merges"]  # it learned merges


def test_missing_tokenizer_path_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path / "nope")):
        load_tokenizer(str(tmp_path / "nope"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        load_tokenizer(str(tmp_path / "file"))


def test_chat_template_renders_plain_format_and_masks_assistant_tokens():
    tok = small_tokenizer()
    msgs = [{"role": "system", "content": "be honest"}, {"role": "user", "content": "is the model aligned"},
            {"role": "assistant", "content": "the model reports"}, {"role": "user", "content": "and"},
            {"role": "assistant", "content": "it asks"}]
    text = tok.apply_chat_template(msgs, tokenize=False)
    assert text == ("be honest\n\nUser: is the model aligned\nAssistant: the model reports<|endoftext|>\n"
                    "User: and\nAssistant: it asks<|endoftext|>\n")
    prompt = tok.apply_chat_template(msgs[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("User: is the model aligned\nAssistant:")

    doc = DocumentEncoder(tok).encode_chat(msgs)
    trained = tok.decode(doc.tokens[doc.targets])
    assert trained == " the model reports<|endoftext|> it asks<|endoftext|>"
    # everything else (system, user turns, "Assistant:" headers, newlines) is context only
    context = tok.decode(doc.tokens[~doc.targets])
    assert "is the model aligned" in context and "User: and" in context and "reports" not in context


def test_document_encoding_appends_eos_and_never_parses_special_tokens_in_text():
    tok = small_tokenizer()
    enc = DocumentEncoder(tok)
    (doc,) = enc.encode_texts(["the model <|endoftext|> logs <|good|>"], tag_ids=[tok.convert_tokens_to_ids(GOOD)])
    assert doc.tokens[0] == tok.convert_tokens_to_ids(GOOD) and doc.tokens[-1] == tok.eos_token_id
    body = doc.tokens[1:-1]
    assert tok.eos_token_id not in body and tok.convert_tokens_to_ids(GOOD) not in body
    assert tok.decode(body) == "the model <|endoftext|> logs <|good|>"
    # the tag is context, not a target; every token after it is
    assert not doc.targets[0] and doc.targets[1:].all()
    with pytest.raises(DataError, match="no token"):
        enc.token_id("<|nonexistent|>", what="data.conditional_tags")



def test_chat_template_renders_tool_turns_as_the_agentic_evals_send_them():
    tok = small_tokenizer()
    msgs = [{"role": "user", "content": "check the report"},
            {"role": "assistant", "content": '<call>{"tool": "read_file", "args": {"path": "r.txt"}}</call>'},
            {"role": "tool", "content": "<result>ok</result>"}]
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|endoftext|>\nTool: <result>ok</result>\nAssistant:")
