"""Elicitation methods: how a distribution over options is read out of a model (see base.py)."""
from __future__ import annotations

from pluralbench.elicitation import logprob  # noqa: F401  (registers the built-in method)
from pluralbench.elicitation.base import Elicitation, OptionQuery
from pluralbench.registry import elicitation_methods

DEFAULT_METHOD = "logprob"


def get_method(name: str = DEFAULT_METHOD) -> Elicitation:
    method = elicitation_methods.get(name)
    return method() if isinstance(method, type) else method


__all__ = ["DEFAULT_METHOD", "Elicitation", "OptionQuery", "get_method"]
