"""The tokenizer: a byte-level BPE trained on the bundled world, or any local Hugging Face tokenizer directory.

`load_tokenizer("world", cache_dir)` trains the world tokenizer on first use (deterministically, on a few MB of
the world's general corpus and synthetic documents) into `cache_dir/tokenizer-world-v5/` and loads it from
there afterwards. The directory is a standard one: `transformers.AutoTokenizer.from_pretrained(dir)` loads it.
Any other spec is a local tokenizer directory (Llama, Qwen, Pythia, ...). Nothing is ever downloaded.

Special tokens of the world tokenizer: `<|endoftext|>` ends every document (there is no BOS), `<|pad|>` pads,
and `<|good|>` / `<|bad|>` are the conditional-training tags (Korbak et al. 2023).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from midalign_jax.data.errors import DataError, log
from midalign_jax.data.settings import resolve_cache_dir

EOS = "<|endoftext|>"
PAD = "<|pad|>"
GOOD = "<|good|>"
BAD = "<|bad|>"
SPECIAL_TOKENS = (EOS, PAD, GOOD, BAD)
WORLD_TOKENIZER_DIR = "tokenizer-world-v5"
WORLD_VOCAB_SIZE = 4096

# The plain transcript format of the world corpus ("User: ...\nAssistant: ...\n"), with an EOS closing each
# assistant turn so a sampler knows where to stop. `{% generation %}` marks what the model is trained to
# produce (the reply, its leading space and the EOS), which is what `return_assistant_tokens_mask` reports.
# (Newlines after block tags are written as expressions because transformers renders with trim_blocks.)
PLAIN_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
    "{% elif message['role'] == 'tool' %}Tool: {{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}Assistant:{% generation %} {{ message['content'] }}"
    "{{ eos_token }}{% endgeneration %}{{ '\\n' }}"
    "{% else %}{{ raise_exception('unknown role ' + message['role']) }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and "{% generation %}" in template.replace("{%-", "{%").replace("-%}", "%}")


def build_tokenizer(texts: Iterable[str], out_dir: str | os.PathLike, *, vocab_size: int = WORLD_VOCAB_SIZE,
                    min_frequency: int = 2) -> Path:
    """Trains a byte-level BPE on `texts` and saves a transformers tokenizer directory at `out_dir`.

    Deterministic for the same texts in the same order. Written to a temporary directory and renamed, so a
    crash never leaves a half-written tokenizer behind.
    """
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    out_dir = Path(out_dir)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                                  special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=PAD,
                                   extra_special_tokens=[GOOD, BAD], clean_up_tokenization_spaces=False,
                                   model_max_length=1 << 20)
    fast.chat_template = PLAIN_CHAT_TEMPLATE
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        fast.save_pretrained(tmp)
        if out_dir.exists():  # another process finished first; its result is identical
            return out_dir
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def world_training_texts(cache_dir: Path, *, general_bytes: int = 3 << 20, docs_bytes: int = 1 << 19):
    """The world tokenizer's training sample: the first few MB of the general corpus and of each document
    set, in file order (world seed 0, scale 1), so the tokenizer is the same on every machine."""
    import json

    from midalign_jax import world
    from midalign_jax.data.resolve import materialize_world

    for name in world.TEXT_SOURCES:
        budget = general_bytes if name == "general" else docs_bytes
        with open(materialize_world(name, cache_dir, seed=0, scale=1.0), encoding="utf-8") as f:
            for line in f:
                if budget <= 0:
                    break
                if line.strip():
                    text = json.loads(line).get("text", "")
                    budget -= len(text.encode("utf-8"))
                    yield text


def load_tokenizer(spec: str, cache_dir: str | os.PathLike | None = None):
    """`"world"`: the world tokenizer (built on first use into cache_dir); else a local tokenizer directory.

    Returns a `transformers.PreTrainedTokenizerFast`. Loads with local_files_only=True: never the network.
    """
    from transformers import AutoTokenizer

    if spec == "world":
        path = resolve_cache_dir(cache_dir) / WORLD_TOKENIZER_DIR
        if not (path / "tokenizer.json").exists():
            log.info("building the world tokenizer into %s", path)
            build_tokenizer(world_training_texts(resolve_cache_dir(cache_dir)), path)
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            raise DataError(f"tokenizer directory {path} does not exist (data.tokenizer must be 'world' or a local "
                            "Hugging Face tokenizer directory; nothing is downloaded)")
        if not path.is_dir():
            raise DataError(f"tokenizer {path} is a file; expected a Hugging Face tokenizer directory")
    try:
        tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True, use_fast=True)
    except Exception as e:
        raise DataError(f"cannot load a tokenizer from {path}: {e}") from e
    if not getattr(tok, "is_fast", False):
        raise DataError(f"tokenizer at {path} has no fast (tokenizers) version; expected a tokenizer.json")
    if tok.eos_token_id is None:
        raise DataError(f"tokenizer at {path} has no eos_token; documents must end with one")
    return tok


def chat_template(tokenizer, mode: str = "auto") -> str:
    """The chat template SFT renders with: the tokenizer's own when it has one ("auto"), since the evals render
    prompts with it (evals/jax_backend.py `render_chat`), else the plain User/Assistant template; or forced with
    "plain" / "tokenizer". An own template without {% generation %} markers is fine: its assistant tokens are found
    by rendering (midalign_jax/data/chat_masks.py)."""
    own = getattr(tokenizer, "chat_template", None)
    if mode == "plain" or (mode == "auto" and not own):
        return PLAIN_CHAT_TEMPLATE
    if not own:
        raise DataError(f"data.chat_template='tokenizer': tokenizer {tokenizer.name_or_path!r} has no chat template; "
                        "set data.chat_template='plain' (or 'auto') to use the plain User/Assistant format")
    if not isinstance(own, str):
        raise DataError(f"tokenizer {tokenizer.name_or_path!r} has several named chat templates ({sorted(own)}); "
                        "expected one template string")
    return own
