"""Records to token documents: what the packer consumes.

A `Doc` is the token ids of one document and, per token, whether it is a training target (predicted from the
token before it). Text documents are `[tokenizer prefix (e.g. Llama's BOS)] [conditional tag] text EOS`, every
token after the prefix a target. Chat records are rendered with the chat template; only assistant tokens (the
`{% generation %}` spans, or for a template without markers the replies found by rendering, chat_masks.py) are
targets.

Special-token strings inside document text ("<|endoftext|>" written in a web page) are encoded as plain text,
never as the special token, so a corpus cannot end documents or inject tags by accident.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from midalign_jax.data.errors import BadRecordError, DataError
from midalign_jax.data.chat_masks import encode_with_assistant_mask
from midalign_jax.data.tokenizer import chat_template, has_generation_markers


@dataclasses.dataclass
class Doc:
    tokens: np.ndarray   # int32 [n]
    targets: np.ndarray  # bool [n]; targets[0] is always False


class DocumentEncoder:
    """Tokenizes documents and conversations for one tokenizer. Not thread-safe; one per pipeline."""

    def __init__(self, tokenizer, *, chat_template_mode: str = "auto"):
        from tokenizers import Tokenizer

        self.tokenizer = tokenizer
        self.eos_id = int(tokenizer.eos_token_id)
        self._backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        self._backend.encode_special_tokens = True
        self._backend.no_truncation()
        self._backend.no_padding()
        self.prefix_ids = self._post_processor_prefix()
        self._chat_mode = chat_template_mode
        self._chat_template: str | None = None

    def _post_processor_prefix(self) -> list[int]:
        """Ids the tokenizer's post-processor puts before the text (Llama's BOS; nothing for GPT-2 style)."""
        with_special = self._backend.encode("a", add_special_tokens=True).ids
        plain = self._backend.encode("a", add_special_tokens=False).ids
        for start in range(len(with_special) - len(plain) + 1):
            if with_special[start:start + len(plain)] == plain:
                return with_special[:start]
        return []

    def token_id(self, token: str, *, what: str) -> int:
        tid = self.tokenizer.convert_tokens_to_ids(token)
        if tid is None or tid == self.tokenizer.unk_token_id or self.tokenizer.convert_ids_to_tokens(tid) != token:
            raise DataError(f"{what}: the tokenizer {self.tokenizer.name_or_path!r} has no token {token!r}; use the "
                            "world tokenizer or add the token to the tokenizer (and the model's vocabulary)")
        return int(tid)

    def encode_texts(self, texts: Sequence[str], tag_ids: Sequence[int] = ()) -> list[Doc]:
        head = list(self.prefix_ids) + list(tag_ids)
        docs = []
        for enc in self._backend.encode_batch_fast(list(texts), add_special_tokens=False):
            tokens = np.asarray(head + enc.ids + [self.eos_id], np.int32)
            targets = np.ones(len(tokens), bool)
            targets[:max(1, len(head))] = False
            docs.append(Doc(tokens, targets))
        return docs

    def encode_chat(self, messages: list[dict[str, str]], tag_ids: Sequence[int] = (), *, where: str = "") -> Doc:
        if self._chat_template is None:
            self._chat_template = chat_template(self.tokenizer, self._chat_mode)
        if has_generation_markers(self._chat_template):
            try:
                out = self.tokenizer.apply_chat_template(messages, chat_template=self._chat_template, tokenize=True,
                                                         return_dict=True, return_assistant_tokens_mask=True)
            except Exception as e:  # a template may raise on an unexpected role order
                raise BadRecordError(where, "bad_chat", f"the chat template cannot render this conversation: {e}")
            input_ids, assistant = list(out["input_ids"]), list(out["assistant_masks"])
        else:
            input_ids, assistant = encode_with_assistant_mask(self.tokenizer, messages, self._chat_template,
                                                              where=where)
        ids = list(tag_ids) + input_ids
        mask = [0] * len(tag_ids) + [int(m) for m in assistant]
        targets = np.asarray(mask, bool)
        targets[0] = False
        if not targets.any():
            raise BadRecordError(where, "bad_chat", "no assistant tokens after rendering the chat template")
        return Doc(np.asarray(ids, np.int32), targets)
