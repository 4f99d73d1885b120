"""Reading a distribution over the options out of an adapter's option log-probabilities."""
from __future__ import annotations

import numpy as np

from pluralbench.core.records import OptionOutput


def option_distribution(output: OptionOutput) -> np.ndarray | None:
    """Renormalise the label probabilities over the options; None when the options got no mass at all.

    A model that puts no mass on any option has not answered: we say so rather than substitute a
    uniform guess (the reference scripts' flaw).
    """
    # None marks a label the engine did not report (e.g. outside a server's top-k): no mass known.
    logps = np.asarray([-np.inf if v is None else v for v in output.label_logprobs], dtype=np.float64)
    if logps.size == 0 or not np.isfinite(logps).any():
        return None
    top = logps[np.isfinite(logps)].max()
    weights = np.where(np.isfinite(logps), np.exp(logps - top), 0.0)
    return weights / weights.sum()
