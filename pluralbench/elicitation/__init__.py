"""Elicitation methods: how a distribution over options is read out of a model (see base.py)."""
from __future__ import annotations

from pluralbench.elicitation import (  # noqa: F401  (importing registers the built-in methods)
    calibrated,
    logprob,
    sampled,
    sequence,
    verbalized,
)
from pluralbench.elicitation.base import Elicitation, OptionQuery
from pluralbench.registry import elicitation_methods

DEFAULT_METHOD = "logprob"


def get_method(spec: str = DEFAULT_METHOD, *, seed: int = 0) -> Elicitation:
    """The method a spec names, `name[:argument]` (e.g. `logprob`, `sequence:mean`, `sampled:20`), for a
    run with this seed. A plugin may register a ready instance, which is used as is."""
    name, sep, argument = spec.partition(":")
    method = elicitation_methods.get(name.strip())
    if not isinstance(method, type):
        return method
    return method.from_argument(argument.strip() if sep else None, seed=seed)


__all__ = ["DEFAULT_METHOD", "Elicitation", "OptionQuery", "get_method"]
