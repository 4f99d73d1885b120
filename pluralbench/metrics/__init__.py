"""Pure metric functions. Each is declared next to its definition with its kind, direction and bounds
(declared.py), which registers it by name so task files can list it; importing this package registers them all."""
from pluralbench.metrics.classification import accuracy, balanced_accuracy, macro_f1, micro_f1
from pluralbench.metrics.divergence import js_distance, js_divergence, js_similarity, most_likely_match
from pluralbench.metrics.information import entropy, normalised_entropy
from pluralbench.metrics.ordinal import ordinal_similarity, ordinal_wasserstein
from pluralbench.metrics.ranking import auroc
from pluralbench.metrics.variation import total_variation
from pluralbench.metrics.welfare import egalitarian, nash_welfare, utilitarian, welfare_power_mean

__all__ = ["accuracy", "auroc", "balanced_accuracy", "egalitarian", "entropy", "js_distance", "js_divergence",
           "js_similarity", "macro_f1", "micro_f1", "most_likely_match", "nash_welfare", "normalised_entropy",
           "ordinal_similarity", "ordinal_wasserstein", "total_variation", "utilitarian", "welfare_power_mean"]
