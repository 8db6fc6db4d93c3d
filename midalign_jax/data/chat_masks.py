"""Assistant tokens of a conversation rendered with a chat template that has no `{% generation %}` markers.

Instruct tokenizers ship such templates (ChatML in SmolLM2 and Qwen2.5, Llama 3's headers), so transformers'
`return_assistant_tokens_mask` has nothing to report for them. Their assistant turns can still be found by
rendering: the conversation before an assistant turn, with the generation prompt, is a prefix of the conversation
through that turn, and the text the turn adds is the reply and its end-of-turn token. The targets are the tokens
that cover that text up to and including its last end-of-turn (EOS) string, the same tokens a template marked with
`{% generation %}<reply><eos>{% endgeneration %}` reports, so SFT trains on what the model is asked to produce
after the generation prompt, in the format the evals render, and nothing else.
"""
from __future__ import annotations

import numpy as np

from midalign_jax.data.errors import BadRecordError, DataError


def _render(tokenizer, messages, template: str, *, generation_prompt: bool, where: str) -> str:
    try:
        return tokenizer.apply_chat_template(list(messages), chat_template=template, tokenize=False,
                                             add_generation_prompt=generation_prompt)
    except Exception as e:  # a template may raise on an unexpected role order
        raise BadRecordError(where, "bad_chat", f"the chat template cannot render this conversation: {e}")


def assistant_spans(tokenizer, messages: list[dict[str, str]], template: str, *,
                    where: str = "") -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans [start, end) of its assistant replies."""
    text = _render(tokenizer, messages, template, generation_prompt=False, where=where)
    eos = tokenizer.eos_token or ""
    spans = []
    for k, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        before = _render(tokenizer, messages[:k], template, generation_prompt=True, where=where)
        through = _render(tokenizer, messages[:k + 1], template, generation_prompt=False, where=where)
        if not (through.startswith(before) and text.startswith(through)):
            raise DataError(
                f"{where or 'chat record'}: the chat template of tokenizer {tokenizer.name_or_path!r} has no "
                "{% generation %} markers and does not render a conversation as a prefix of its continuation "
                f"(assistant turn {k}), so its assistant tokens cannot be found; add the markers to the template or "
                "set data.chat_template='plain'")
        start, end = len(before), len(through)
        if eos:
            last = text.rfind(eos, start, end)
            if last >= 0:
                end = last + len(eos)
        if end > start:
            spans.append((start, end))
    return text, spans


def encode_with_assistant_mask(tokenizer, messages: list[dict[str, str]], template: str, *,
                               where: str = "") -> tuple[list[int], np.ndarray]:
    """Token ids of the rendered conversation and, per token, whether it covers assistant reply text."""
    text, spans = assistant_spans(tokenizer, messages, template, where=where)
    # As apply_chat_template tokenizes: the template writes any BOS itself.
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = np.asarray(enc["offset_mapping"], np.int64).reshape(-1, 2)
    mask = np.zeros(len(offsets), bool)
    for start, end in spans:
        mask |= (offsets[:, 0] < end) & (offsets[:, 1] > start)
    return list(enc["input_ids"]), mask
