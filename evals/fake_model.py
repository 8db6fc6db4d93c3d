"""A scripted stand-in for a language model, used by the tests and by `--model=fake:NAME` dry runs.

`FakeModel` answers every request through plain Python callables, so a test states exactly what the "model"
does and the expected metric follows by hand. Builder functions make the common behaviours:

    FakeModel(loglikelihood_fn=fixed_logprobs({" yes": -1.0, " no": -2.0}))
    FakeModel(generate_fn=canned_generations({"capital of France": " Paris"}, default=""))
    FakeModel(generate_fn=canned_generations({"oversight": [turn1, turn2, "Done."]}))   # one output per turn
    first_option_model()   # always prefers whichever option is listed first ("A")

Fake tokenisation: a continuation's token count is its number of whitespace-separated words (at least 1).
Every call is recorded in `model.calls` as (method name, number of requests) so tests can check batching.
"""
from __future__ import annotations

import hashlib
import re
from typing import Callable, Mapping, Sequence, Union

from evals.model_api import GenerationRequest, LoglikelihoodResult, render_plain_chat

LoglikelihoodFn = Callable[[str, str], Union[float, LoglikelihoodResult]]
GenerateFn = Callable[[GenerationRequest], str]
RollingFn = Callable[[str], float]


def fake_num_tokens(text: str) -> int:
    """Whitespace word count, at least 1: the fake model's notion of a token."""
    return max(1, len(text.split()))


def _unit_hash(*parts: str) -> float:
    """Deterministic number in [0, 1) from strings (stable across processes, unlike hash())."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def hashed_logprob(context: str, continuation: str) -> float:
    """A deterministic pseudo-random log-probability in (-10 * tokens, 0]."""
    return -10.0 * _unit_hash(context, continuation) * fake_num_tokens(continuation)


class FakeModel:
    """A `LanguageModel` whose every answer comes from the callables it was built with."""

    def __init__(
        self,
        name: str = "fake",
        loglikelihood_fn: LoglikelihoodFn | None = None,
        generate_fn: GenerateFn | None = None,
        rolling_fn: RollingFn | None = None,
    ) -> None:
        self.name = name
        self._loglikelihood_fn = loglikelihood_fn or hashed_logprob
        self._generate_fn = generate_fn or (lambda request: "")
        self._rolling_fn = rolling_fn or (lambda text: hashed_logprob("", text))
        self.calls: list[tuple[str, int]] = []

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[LoglikelihoodResult]:
        self.calls.append(("loglikelihood", len(requests)))
        results = []
        for context, continuation in requests:
            value = self._loglikelihood_fn(context, continuation)
            if not isinstance(value, LoglikelihoodResult):
                value = LoglikelihoodResult(float(value), is_greedy=False, num_tokens=fake_num_tokens(continuation))
            results.append(value)
        return results

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[float]:
        self.calls.append(("loglikelihood_rolling", len(texts)))
        return [float(self._rolling_fn(text)) for text in texts]

    def generate_until(self, requests: Sequence[GenerationRequest]) -> list[str]:
        self.calls.append(("generate_until", len(requests)))
        outputs = []
        for request in requests:
            text = self._generate_fn(request)
            for stop in request.stop:  # honour the backend contract: cut before the first stop string
                if stop and stop in text:
                    text = text[: text.index(stop)]
            outputs.append(text)
        return outputs

    def render_chat(self, messages: Sequence[dict]) -> str:
        return render_plain_chat(messages)


# ---------------------------------------------------------------------------------------------------------
# Behaviour builders.


def fixed_logprobs(table: Mapping[str, float], default: float | None = None) -> LoglikelihoodFn:
    """Log-probability looked up by continuation text; a missing continuation is an error unless `default`."""

    def fn(context: str, continuation: str) -> float:
        if continuation in table:
            return table[continuation]
        if default is None:
            raise KeyError(f"fixed_logprobs: no log-probability scripted for continuation {continuation!r}")
        return default

    return fn


def previous_assistant_turns(context: str) -> int:
    """How many assistant turns a plain-rendered chat prompt already holds (the final "Assistant:" excluded)."""
    return max(0, len(re.findall(r"(?m)^Assistant:", context)) - 1)


def canned_generations(
    table: Mapping[str, Union[str, Sequence]], default: str | None = ""
) -> GenerateFn:
    """Generation chosen by the first key that occurs in the context.

    A value that is a list is a multi-turn script: entry k answers the prompt that already holds k assistant
    turns (an entry may be a callable of the prompt, to react to tool results); past the end of the script the
    model says nothing (""). `default=None` makes an unmatched context an error, which keeps tests honest about
    what they script.
    """

    def fn(request: GenerationRequest) -> str:
        for key, value in table.items():
            if key in request.context:
                if isinstance(value, str):
                    return value
                turn = previous_assistant_turns(request.context)
                step = value[turn] if turn < len(value) else ""
                return step(request.context) if callable(step) else step
        if default is None:
            raise KeyError(f"canned_generations: no output scripted for context ending {request.context[-120:]!r}")
        return default

    return fn


_LETTER_CONTINUATION = re.compile(r"^\s*\(?([A-Z])\)?\s*$")


def first_listed_logprob(context: str, continuation: str) -> float:
    """Position-biased scorer: a lettered continuation " A" scores 0, later letters lower; cloze continuations
    score by length so the result is still deterministic."""
    match = _LETTER_CONTINUATION.match(continuation)
    if match:
        return -float(ord(match.group(1)) - ord("A"))
    return -float(len(continuation))


def first_option_model(name: str = "fake:first_option") -> FakeModel:
    """A model that always picks the first-listed option: answers "A", and scores " A" highest."""
    return FakeModel(name=name, loglikelihood_fn=first_listed_logprob, generate_fn=lambda request: " A")


def random_model(name: str = "fake:random") -> FakeModel:
    """Deterministic pseudo-random log-probabilities and letter answers (a chance-level baseline)."""

    def generate(request: GenerationRequest) -> str:
        return " " + "AB"[int(_unit_hash(request.context, str(request.seed)) * 2)]

    return FakeModel(name=name, loglikelihood_fn=hashed_logprob, generate_fn=generate)


def refusal_model(name: str = "fake:refusal") -> FakeModel:
    """Refuses everything and scores every continuation the same (every MCQA answer is a tie)."""
    return FakeModel(
        name=name,
        loglikelihood_fn=lambda context, continuation: -1.0,
        generate_fn=lambda request: "I'm sorry, but I can't help with that.",
    )


NAMED_FAKES: dict[str, Callable[[str], FakeModel]] = {
    "first_option": first_option_model,
    "random": random_model,
    "refusal": refusal_model,
}
