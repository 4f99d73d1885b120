"""Pure metric functions, registered by name so task files can list them."""
from pluralbench.metrics.classification import accuracy, balanced_accuracy, macro_f1, micro_f1
from pluralbench.metrics.divergence import js_distance, js_divergence, js_similarity, most_likely_match
from pluralbench.metrics.information import entropy, normalised_entropy
from pluralbench.metrics.ordinal import ordinal_similarity, ordinal_wasserstein
from pluralbench.metrics.ranking import auroc
from pluralbench.metrics.welfare import WELFARE_FUNCTIONS
from pluralbench.registry import metrics as _registry

# Item metrics compare a model distribution (first) with a reference distribution (second).
_registry.register("js_distance", js_distance)
_registry.register("js_divergence", js_divergence)
_registry.register("js_similarity", js_similarity)
_registry.register("most_likely_match", most_likely_match)
_registry.register("ordinal_wasserstein", ordinal_wasserstein)
_registry.register("ordinal_similarity", ordinal_similarity)
# Distribution properties take the one distribution.
_registry.register("entropy", entropy)
_registry.register("normalised_entropy", normalised_entropy)
# Label-sequence metrics take (gold labels, predicted labels); group separation takes (scores, is_positive).
_registry.register("accuracy", accuracy)
_registry.register("balanced_accuracy", balanced_accuracy)
_registry.register("macro_f1", macro_f1)
_registry.register("micro_f1", micro_f1)
_registry.register("auroc", auroc)
# Welfare functions take a jurors x items utility matrix and juror weights; one welfare per item.
for _name, _fn in WELFARE_FUNCTIONS.items():
    _registry.register(_name, _fn)

__all__ = ["accuracy", "auroc", "balanced_accuracy", "macro_f1", "micro_f1", "ordinal_similarity",
           "ordinal_wasserstein", "entropy", "js_distance", "js_divergence", "js_similarity", "most_likely_match", "normalised_entropy"]
