"""lm-evaluation-harness interop: any LanguageModel as an `lm_eval` model named "midalign".

    import lm_eval, evals.lm_eval_adapter
    lm_eval.simple_evaluate(model="midalign", model_args="spec=ours:/ckpt/step_1000", tasks=["hellaswag"])
    # or wrap a model object you already hold:
    lm_eval.simple_evaluate(model=evals.lm_eval_adapter.MidalignLM(model=my_model), tasks=[...])

Requests are forwarded as whole lists, so the backend batches them. lm-eval's generation kwargs map to
`GenerationRequest`: "until" -> stop, "max_gen_toks" -> max_new_tokens, "temperature" (0 unless
"do_sample") and "seed".
"""
from __future__ import annotations

from typing import Any

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from evals.model_api import GenerationRequest, LanguageModel

DEFAULT_MAX_GEN_TOKS = 256


def _generation_request(context: str, gen_kwargs: dict[str, Any]) -> GenerationRequest:
    kwargs = dict(gen_kwargs or {})
    until = kwargs.pop("until", None) or ()
    if isinstance(until, str):
        until = (until,)
    do_sample = bool(kwargs.pop("do_sample", False))
    temperature = float(kwargs.pop("temperature", 0.0) or 0.0)
    return GenerationRequest(
        context=context,
        stop=tuple(until),
        max_new_tokens=int(kwargs.pop("max_gen_toks", DEFAULT_MAX_GEN_TOKS)),
        temperature=temperature if do_sample or temperature > 0 else 0.0,
        seed=int(kwargs.pop("seed", 0) or 0),
    )


@register_model("midalign")
class MidalignLM(LM):
    """An lm_eval LM over a LanguageModel, given directly (`model=`) or by backend spec (`spec=`)."""

    def __init__(self, model: LanguageModel | None = None, spec: str | None = None, **unused: Any) -> None:
        super().__init__()
        if (model is None) == (spec is None):
            raise ValueError("MidalignLM needs exactly one of model= (a LanguageModel) or spec= (e.g. ours:/ckpt)")
        if model is None:
            from evals.backends import load_model

            model = load_model(spec)
        self.model = model

    def loglikelihood(self, requests: list) -> list[tuple[float, bool]]:
        results = self.model.loglikelihood([tuple(r.args[:2]) for r in requests])
        return [(r.logprob, r.is_greedy) for r in results]

    def loglikelihood_rolling(self, requests: list) -> list[float]:
        return list(self.model.loglikelihood_rolling([r.args[0] for r in requests]))

    def generate_until(self, requests: list) -> list[str]:
        return list(self.model.generate_until([_generation_request(r.args[0], r.args[1]) for r in requests]))

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        if not add_generation_prompt:
            raise NotImplementedError("prefilling an assistant turn is not supported by LanguageModel.render_chat")
        return self.model.render_chat(chat_history)

    @property
    def tokenizer_name(self) -> str:
        return self.model.name
