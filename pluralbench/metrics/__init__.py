"""Pure metric functions, registered by name so task files can list them."""
from pluralbench.metrics.divergence import js_distance, js_divergence, js_similarity, most_likely_match
from pluralbench.metrics.information import entropy, normalised_entropy
from pluralbench.metrics.welfare import WELFARE_FUNCTIONS
from pluralbench.registry import metrics as _registry

# Item metrics compare a model distribution (first) with a reference distribution (second).
_registry.register("js_distance", js_distance)
_registry.register("js_divergence", js_divergence)
_registry.register("js_similarity", js_similarity)
_registry.register("most_likely_match", most_likely_match)
# Distribution properties take the one distribution.
_registry.register("entropy", entropy)
_registry.register("normalised_entropy", normalised_entropy)
# Welfare functions take a jurors x items utility matrix and juror weights; one welfare per item.
for _name, _fn in WELFARE_FUNCTIONS.items():
    _registry.register(_name, _fn)

__all__ = ["entropy", "js_distance", "js_divergence", "js_similarity", "most_likely_match", "normalised_entropy"]
