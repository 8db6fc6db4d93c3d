"""The interface every model backend implements for the eval suite.

Evals talk to a model only through `LanguageModel`. A backend (our JAX checkpoints, a Hugging Face checkpoint,
the scripted fake used by the tests) implements four methods over whole lists of requests; batching, padding,
sharding and caching are the backend's job, so evals always pass every request of a phase in one call.

Conventions a backend must follow (the lm-evaluation-harness ones, so results are comparable):
- `loglikelihood((context, continuation))`: the continuation carries its own leading space (" Paris"); the
  log-probability is summed over the continuation tokens only, conditioned on the context tokens. When the
  context is empty the backend conditions on its BOS token.
- `generate_until`: the returned text is what follows the context, cut just before the first stop string
  (the stop string itself is not included), at most `max_new_tokens` tokens. `temperature == 0` is greedy;
  otherwise sampling is reproducible from `seed`.
- `render_chat`: turns a message list into the prompt string the model continues. Roles are "system",
  "user", "assistant" and "tool". Without a chat template use `render_plain_chat`, the format the training
  corpus uses.
"""
from __future__ import annotations

import dataclasses
from typing import Protocol, Sequence, runtime_checkable

CHAT_ROLES = ("system", "user", "assistant", "tool")
_PLAIN_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


@dataclasses.dataclass(frozen=True)
class LoglikelihoodResult:
    """Score of one (context, continuation) pair."""

    logprob: float  # sum of log p(continuation tokens | context)
    is_greedy: bool  # every continuation token was the argmax
    num_tokens: int  # continuation length in tokens (for per-token normalisation)


@dataclasses.dataclass(frozen=True)
class GenerationRequest:
    """One sampling request; `temperature == 0` means greedy decoding."""

    context: str
    stop: tuple[str, ...] = ()
    max_new_tokens: int = 128
    temperature: float = 0.0
    seed: int = 0


@runtime_checkable
class LanguageModel(Protocol):
    """What the eval suite needs from a model. See the module docstring for the exact conventions."""

    name: str  # reported in results.json

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LoglikelihoodResult]:
        """Log-probability of each continuation given its context, in request order."""
        ...

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[float]:
        """Total log-probability of each text (for perplexity), in request order."""
        ...

    def generate_until(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """Generated continuation of each request, cut before the first stop string, in request order."""
        ...

    def render_chat(self, messages: Sequence[dict]) -> str:
        """Prompt string for a conversation, ending where the assistant's next turn begins."""
        ...


def validate_messages(messages: Sequence[dict]) -> None:
    """Raise ValueError unless `messages` is a list of {"role", "content"} dicts with known roles."""
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ValueError(f"message {index}: expected a dict with 'role' and 'content', got {message!r}")
        if message["role"] not in CHAT_ROLES:
            raise ValueError(f"message {index}: role {message['role']!r} is not one of {CHAT_ROLES}")
        if not isinstance(message["content"], str):
            raise ValueError(f"message {index}: content must be a string, got {type(message['content']).__name__}")


def render_plain_chat(messages: Sequence[dict]) -> str:
    """Plain-text chat rendering for models without a chat template.

    One turn per line group, "User: ...", "Assistant: ...", "Tool: ...", "System: ...", separated by newlines
    and ending with "Assistant:" so that the model writes the next assistant turn. This is the layout the
    synthetic training documents use, so a base model midtrained on them sees a familiar format.
    """
    validate_messages(messages)
    lines = [f"{_PLAIN_ROLE_NAMES[m['role']]}: {m['content']}" for m in messages]
    lines.append("Assistant:")
    return "\n".join(lines)
