"""Model backends by name: `load_model("PREFIX:ARGUMENT")` -> LanguageModel.

Built in: `fake:NAME` (see `evals.fake_model.NAMED_FAKES`). The JAX backend module `evals.jax_backend`
registers `ours:PATH` (our orbax checkpoints) and `hf:PATH` (local Hugging Face checkpoints) when it is
imported; `load_model` imports it on first use of a prefix that is not yet registered. Any other module can add
a backend the same way:

    from evals.backends import register_backend
    register_backend("mybackend", lambda argument: MyModel(argument))
"""
from __future__ import annotations

import importlib
from typing import Callable

from evals.model_api import LanguageModel

BackendFactory = Callable[[str], LanguageModel]

_BACKENDS: dict[str, BackendFactory] = {}
# Modules that register further backends when imported; tried in order for an unknown prefix.
_LAZY_BACKEND_MODULES = ("evals.jax_backend",)


def register_backend(prefix: str, factory: BackendFactory, *, overwrite: bool = False) -> None:
    """Make `load_model(f"{prefix}:ARG")` call `factory(ARG)`."""
    if not prefix or ":" in prefix:
        raise ValueError(f"backend prefix must be a non-empty name without ':', got {prefix!r}")
    if prefix in _BACKENDS and not overwrite and _BACKENDS[prefix] is not factory:
        raise ValueError(f"backend prefix {prefix!r} is already registered; pass overwrite=True to replace it")
    _BACKENDS[prefix] = factory


def registered_backends() -> list[str]:
    """Prefixes that `load_model` accepts right now (lazy modules not yet imported are not listed)."""
    return sorted(_BACKENDS)


def _load_fake(argument: str) -> LanguageModel:
    from evals.fake_model import NAMED_FAKES

    if argument not in NAMED_FAKES:
        raise ValueError(f"unknown fake model {argument!r}; known: {', '.join(sorted(NAMED_FAKES))}")
    return NAMED_FAKES[argument](f"fake:{argument}")


register_backend("fake", _load_fake)


def _import_lazy_backends() -> list[str]:
    """Import the optional backend modules; return a note for each one that is missing or failed."""
    notes = []
    for module_name in _LAZY_BACKEND_MODULES:
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:  # the module exists but one of its own imports is missing
                notes.append(f"{module_name} failed to import: {error}")
            else:
                notes.append(f"{module_name} is not installed")
    return notes


def load_model(spec: str) -> LanguageModel:
    """Build a model from "PREFIX:ARGUMENT", e.g. "fake:first_option", "ours:/ckpt/dir", "hf:/models/pythia"."""
    prefix, sep, argument = spec.partition(":")
    if not sep or not prefix:
        raise ValueError(f"model spec {spec!r} must look like PREFIX:ARGUMENT (for example fake:first_option)")
    notes: list[str] = []
    if prefix not in _BACKENDS:
        notes = _import_lazy_backends()
    if prefix not in _BACKENDS:
        detail = f" ({'; '.join(notes)})" if notes else ""
        raise ValueError(
            f"no backend registered for prefix {prefix!r} in model spec {spec!r}; "
            f"registered: {', '.join(registered_backends())}{detail}"
        )
    return _BACKENDS[prefix](argument)
