"""Judges by name, as the CLI and the suite config spell them: "rubric", "model:SPEC", "http:URL"."""
from __future__ import annotations

from evals.chat.judges import Judge, RubricJudge


def make_judge(spec: str, *, http_model: str | None = None, api_key_env: str = "OPENAI_API_KEY",
               timeout_s: float = 60.0, max_attempts: int = 5) -> Judge:
    """Build a judge.

    "rubric": RubricJudge. "model:SPEC": ModelJudge over `load_model(SPEC)` (e.g. "model:hf:/models/judge").
    "http:URL": HttpJudge at URL (e.g. "http:http://127.0.0.1:8000"); `http_model` names the served model.
    """
    if spec == "rubric":
        return RubricJudge()
    kind, sep, argument = spec.partition(":")
    if sep and kind == "model" and argument:
        from evals.backends import load_model
        from evals.chat.model_judge import ModelJudge

        return ModelJudge(load_model(argument))
    if sep and kind == "http" and argument:
        from evals.chat.http_judge import HttpJudge

        if not http_model:
            raise ValueError(f"judge {spec!r}: an HTTP judge needs the served model name (--judge-model)")
        return HttpJudge(argument, http_model, api_key_env=api_key_env, timeout_s=timeout_s,
                         max_attempts=max_attempts)
    raise ValueError(f"unknown judge {spec!r}; expected 'rubric', 'model:MODEL_SPEC' or 'http:BASE_URL'")
