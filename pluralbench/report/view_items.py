"""One samples.jsonl row reduced to what the item browser shows: the bars (human and model distributions,
covered mass), the per-item metrics, and every other field as a generic value. Any family's row fits:
what is not recognised is kept, never dropped, so a new family's fields still show."""
from __future__ import annotations

import math

# Fields that identify the row or are shown elsewhere in the item view.
_SHOWN = {"id", "group", "options", "metrics", "human_distribution", "human_distributions", "population_marginal",
          "model_distribution", "model_distributions", "covered_mass"}
# Bookkeeping that says nothing to a reader and would only make a large page heavier.
_NOISE = {"prompt_sha256", "label_logprobs", "judge_scores"}
DIGITS = 4  # what bars and tables can show; rounding keeps a 24,600-item page small


def rounded(value):
    """Floats rounded to DIGITS significant digits, through lists and mappings; NaN and inf become None
    (JSON has no spelling for them)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {str(k): rounded(v) for k, v in value.items()}
    return value


def _is_distribution(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, (int, float)) or v is None for v in value)


def human_series(sample: dict) -> dict[str, list]:
    """The people's side: one distribution, or one per named population (juries), plus the population
    marginal where the family records it."""
    series = {}
    if _is_distribution(sample.get("human_distribution")):
        series["people"] = sample["human_distribution"]
    if isinstance(sample.get("human_distributions"), dict):
        series.update({str(k): v for k, v in sample["human_distributions"].items() if _is_distribution(v)})
    if _is_distribution(sample.get("population_marginal")):
        series["population marginal"] = sample["population_marginal"]
    return series


def item_options(sample: dict) -> list[str]:
    """The row's options, or (families that ask in several orders) those of its first nested prediction."""
    if isinstance(sample.get("options"), list):
        return [str(o) for o in sample["options"]]
    for block in _nested_predictions(sample):
        if isinstance(block[1].get("options"), list):
            return [str(o) for o in block[1]["options"]]
    return []


def _nested_predictions(sample: dict) -> list[tuple[str, dict]]:
    """(name, block) of each nested mapping that may hold a prediction (the unsteered answer, steering styles,
    answer modes, orders, conditions), named by its keys without the outermost container's."""
    found = []

    def walk(block: dict, path: tuple, depth: int) -> None:
        found.append((" · ".join(path[1:] or path), block))
        if depth < 4:
            for name, inner in block.items():
                if isinstance(inner, dict):
                    walk(inner, path + (str(name),), depth + 1)

    for key, block in sample.items():
        if isinstance(block, dict) and key not in _SHOWN:
            walk(block, (str(key),), 1)
    return found


def model_series(sample: dict) -> tuple[dict[str, list], dict[str, float]]:
    """The model's distributions by name, in the order of item_options, and the option mass each covered:
    the row's own, per weight (trade-offs), and each nested prediction."""
    dists, mass = {}, {}
    options = item_options(sample)
    _add_prediction(dists, mass, "model", sample, options)
    if isinstance(sample.get("model_distributions"), dict):
        dists.update({str(k): v for k, v in sample["model_distributions"].items() if _is_distribution(v)})
    for name, block in _nested_predictions(sample):
        _add_prediction(dists, mass, name, block, options)
    return dists, mass


def _add_prediction(dists: dict, mass: dict, name: str, block: dict, options: list[str]) -> None:
    dist = block.get("model_distribution")
    if not _is_distribution(dist):
        return
    own = block.get("options")
    if isinstance(own, list) and [str(o) for o in own] != options:
        if sorted(map(str, own)) != sorted(options) or len(own) != len(dist):
            return  # options of its own that are not the item's: no bars can line up with them
        dist = [dist[[str(o) for o in own].index(option)] for option in options]  # asked in another order
    dists[name] = dist
    if isinstance(block.get("covered_mass"), (int, float)):
        mass[name] = block["covered_mass"]


def numeric_metrics(sample: dict) -> dict[str, float]:
    metrics = sample.get("metrics") or {}
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def extras(sample: dict) -> dict:
    """Every field not drawn as bars, without bookkeeping; nested predictions keep only what is not drawn."""
    out = {}
    for key, value in sample.items():
        if key in _SHOWN or key in _NOISE:
            continue
        kept = _without_noise(value)
        if kept != {}:  # a nested prediction whose every field is drawn as bars
            out[key] = kept
    numeric = numeric_metrics(sample)
    other = {k: v for k, v in (sample.get("metrics") or {}).items() if k not in numeric}
    if other:
        out["metrics (other)"] = other
    _name_best_sentences(out, sample)
    return out


def _without_noise(value):
    if isinstance(value, dict):
        return {k: _without_noise(v) for k, v in value.items()
                if k not in _NOISE and not (k == "model_distribution" and _is_distribution(v))
                and not (k == "covered_mass" and isinstance(v, (int, float)))}
    if isinstance(value, list):
        return [_without_noise(v) for v in value]
    return value


def _name_best_sentences(out: dict, sample: dict) -> None:
    """Overton rows name each value's best sentence by index: show the sentence itself beside its score."""
    sentences, vrds = sample.get("sentences"), out.get("vrds")
    if not isinstance(sentences, list) or not isinstance(vrds, list):
        return
    for vrd in vrds:
        i = vrd.get("best_sentence") if isinstance(vrd, dict) else None
        if isinstance(i, int) and 0 <= i < len(sentences):
            vrd["best_sentence"] = sentences[i]
