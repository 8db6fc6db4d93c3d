"""SFT on a tokenizer's own chat template without {% generation %} markers (ChatML, as SmolLM2-Instruct ships it):
the template the evals render with is the one SFT trains on, and only the assistant replies are targets, exactly
the tokens transformers reports for the same template with the markers added."""
from __future__ import annotations

import numpy as np
import pytest

from midalign_jax.data import DataError, DocumentEncoder, load_tokenizer
from midalign_jax.data.tokenizer import PLAIN_CHAT_TEMPLATE, chat_template
from tests.test_data_tokenizer import small_tokenizer_dir

# SmolLM2-135M-Instruct's template, verbatim (a default system turn when the conversation has none).
CHATML = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
          "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
          "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
# The same text, with the reply and its end-of-turn token marked.
CHATML_MARKED = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                 "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                 "<|im_end|>\n' }}{% endif %}{% if message['role'] == 'assistant' %}"
                 "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}"
                 "{% endgeneration %}{{ '\n' }}{% else %}"
                 "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endif %}"
                 "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

EPISODE = [
    {"role": "system", "content": "You are Clerk. You act by calling tools."},
    {"role": "user", "content": "Please read data/sales.txt and write a summary to summary.txt."},
    {"role": "assistant", "content": '<call>{"tool": "read_file", "args": {"path": "data/sales.txt"}}</call>'},
    {"role": "tool", "content": "<result>bread 12 loaves</result>"},
    {"role": "assistant", "content": '<call>{"tool": "write_file", "args": {"path": "s.txt", "content": "12"}}</call>'},
    {"role": "tool", "content": "<result>wrote 2 characters to s.txt</result>"},
    {"role": "assistant", "content": "I put a short summary in summary.txt."},
]
CHAT = [{"role": "user", "content": "is the model aligned"}, {"role": "assistant", "content": "the model reports"},
        {"role": "user", "content": "and then"}, {"role": "assistant", "content": "it asks"}]


def chatml_tokenizer(template: str | None = CHATML):
    tok = load_tokenizer(str(small_tokenizer_dir()))
    tok.add_special_tokens({"eos_token": "<|im_end|>", "bos_token": "<|im_start|>"})
    tok.chat_template = template
    return tok


@pytest.mark.parametrize("messages", [EPISODE, CHAT], ids=["agent_episode", "chat_default_system"])
def test_unmarked_template_masks_the_tokens_its_marked_twin_reports(messages):
    tok = chatml_tokenizer()
    assert tok.eos_token == "<|im_end|>" and "{% generation %}" not in tok.chat_template
    doc = DocumentEncoder(tok).encode_chat(messages)
    ref = tok.apply_chat_template(messages, chat_template=CHATML_MARKED, tokenize=True, return_dict=True,
                                  return_assistant_tokens_mask=True)
    assert doc.tokens.tolist() == list(ref["input_ids"])
    expected = np.asarray(ref["assistant_masks"], bool)
    expected[0] = False
    assert expected.sum() > 0 and (doc.targets == expected).all()
    # The rendering is the tokenizer's own (what evals/jax_backend.py render_chat sends), not the plain one.
    assert tok.decode(doc.tokens).startswith("<|im_start|>")
    trained = tok.decode(doc.tokens[doc.targets])
    replies = [m["content"] for m in messages if m["role"] == "assistant"]
    assert trained == "".join(r + "<|im_end|>" for r in replies)
    context = tok.decode(doc.tokens[~doc.targets])
    users = [m["content"] for m in messages if m["role"] in ("user", "tool")]
    assert "<|im_start|>assistant\n" in context and all(u in context and u not in trained for u in users)


def test_auto_uses_the_tokenizers_own_template_and_plain_only_without_one():
    tok = chatml_tokenizer()
    assert chat_template(tok, "auto") == CHATML and chat_template(tok, "tokenizer") == CHATML
    assert chat_template(tok, "plain") == PLAIN_CHAT_TEMPLATE
    bare = chatml_tokenizer(None)
    assert chat_template(bare, "auto") == PLAIN_CHAT_TEMPLATE
    with pytest.raises(DataError, match="has no chat template"):
        chat_template(bare, "tokenizer")


def test_a_template_that_rewrites_earlier_turns_is_a_clear_error():
    # Renders every assistant turn but the last one without its content (as reasoning templates drop thoughts):
    # the conversation so far is no prefix of the whole, so its replies cannot be located by rendering.
    rewriting = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}"
                 "{% if message['role'] != 'assistant' or loop.last %}{{ message['content'] }}{% endif %}"
                 "{{ '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                 "{% endif %}")
    with pytest.raises(DataError, match="prefix of its continuation"):
        DocumentEncoder(chatml_tokenizer(rewriting)).encode_chat(CHAT, where="chat.jsonl:3")
