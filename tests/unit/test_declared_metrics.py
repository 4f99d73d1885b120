"""Declared metrics: every registered metric has a kind, a direction and (where it has one) bounds that hold;
task files are checked against them when they load."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from pluralbench.errors import UserError
from pluralbench.metrics.declared import DIRECTIONS, KINDS, DeclaredMetric, MetricSlot, admit, names_of_kind
from pluralbench.registry import metrics
from pluralbench.taskfile import builtin_task_dirs, load_task_file

EXPECTED = {  # name -> (kind, direction): pinned, since results record these directions
    "js_distance": ("distribution_pair", "lower"), "js_divergence": ("distribution_pair", "lower"),
    "js_similarity": ("distribution_pair", "higher"), "most_likely_match": ("distribution_pair", "higher"),
    "ordinal_wasserstein": ("distribution_pair", "lower"), "ordinal_similarity": ("distribution_pair", "higher"),
    "entropy": ("distribution", None), "normalised_entropy": ("distribution", None),
    "accuracy": ("labels", "higher"), "balanced_accuracy": ("labels", "higher"), "macro_f1": ("labels", "higher"),
    "micro_f1": ("labels", "higher"), "auroc": ("separation", "higher"),
    "welfare_utilitarian": ("welfare", "higher"), "welfare_nash": ("welfare", "higher"),
    "welfare_egalitarian": ("welfare", "higher"), "welfare_power_mean": ("welfare", "higher"),
}


def test_every_builtin_metric_is_declared():
    for name, (kind, direction) in EXPECTED.items():
        metric = metrics.get(name)
        assert isinstance(metric, DeclaredMetric) and metric.name == name
        assert (metric.kind, metric.direction) == (kind, direction), name
        assert metric.kind in KINDS and metric.direction in DIRECTIONS
        assert metric.description and "\n" not in metric.description
        assert metric.bounds is None or metric.bounds[0] < metric.bounds[1]
        assert metric.fn.declared_metric is metric  # the plain function stays importable and knows its declaration
    assert set(names_of_kind("welfare")) == {n for n, (k, _) in EXPECTED.items() if k == "welfare"}


# --- bounds hold on random inputs ----------------------------------------------------------------------------

def distributions(k):
    return st.lists(st.floats(0, 1e3, allow_nan=False), min_size=k, max_size=k).filter(lambda xs: sum(xs) > 1e-6)


@st.composite
def distribution_pairs(draw):
    k = draw(st.integers(2, 7))
    return draw(distributions(k)), draw(distributions(k))


@st.composite
def label_pairs(draw):
    n = draw(st.integers(1, 30))
    labels = st.lists(st.sampled_from("ABCX"), min_size=n, max_size=n)
    return draw(labels), draw(labels)


@st.composite
def separations(draw):
    n = draw(st.integers(2, 30))
    scores = draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=n, max_size=n))
    positive = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return scores, positive


def assert_within(name, value):
    low, high = metrics.get(name).bounds
    assert math.isnan(value) or low - 1e-12 <= value <= high + 1e-12, (name, value)


def bounded(kind):
    return [n for n in names_of_kind(kind) if metrics.get(n).bounds is not None]


@settings(max_examples=200, deadline=None)
@given(distribution_pairs(), st.sampled_from([2, "e"]))
def test_distribution_pair_bounds(pair, base):
    model, reference = pair
    for name in bounded("distribution_pair"):
        kwargs = {"base": base} if name.startswith("js_") else {}
        assert_within(name, metrics.get(name)(model, reference, **kwargs))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 7).flatmap(distributions), st.sampled_from([2, "e"]))
def test_distribution_bounds(p, base):
    for name in bounded("distribution"):
        assert_within(name, metrics.get(name)(p, base=base))


@settings(max_examples=200, deadline=None)
@given(label_pairs())
def test_labels_bounds(pair):
    predicted, gold = pair
    for name in bounded("labels"):
        assert_within(name, metrics.get(name)(predicted, gold))


@settings(max_examples=200, deadline=None)
@given(separations())
def test_separation_bounds(pair):
    scores, positive = pair
    for name in bounded("separation"):
        assert_within(name, metrics.get(name)(scores, positive))


def test_labels_metrics_take_predictions_first():
    predicted, gold = ["A", "B", "B", "B", "X"], list("AABBC")  # gold classes A, B, C: recalls 1/2, 1, 0
    assert metrics.get("balanced_accuracy")(predicted, gold) == pytest.approx(0.5)


# --- declarations and the registry's check ---------------------------------------------------------------------

def test_a_declaration_needs_a_known_kind_and_direction():
    with pytest.raises(ValueError, match="unknown kind 'pair'"):
        DeclaredMetric("x", abs, "pair", "lower", None, "x")
    with pytest.raises(ValueError, match="direction must be"):
        DeclaredMetric("x", abs, "distribution", "smaller", None, "x")
    with pytest.raises(ValueError, match="low < high"):
        DeclaredMetric("x", abs, "distribution", None, (1, 0), "x")


def test_the_registry_refuses_a_plain_function():
    def plain(p, q):
        return 0.0

    with pytest.raises(UserError, match=r"metric 'plain' \(.*plain\) is not declared: decorate it with "
                                        r"@pluralbench.metrics.declared.declare_metric\('plain', kind"):
        metrics.register("plain", plain)
    assert "plain" not in metrics
    with pytest.raises(UserError, match="declared as 'js_distance'"):
        admit("my_distance", metrics.get("js_distance"))


def test_slots_check_kind_then_direction():
    slot = MetricSlot("distribution_pair", direction="higher")
    assert slot.problem(metrics.get("js_similarity")) is None
    assert "is a labels metric, but this place needs a distribution_pair metric" in slot.problem(metrics.get("accuracy"))
    assert "for metric 'js_distance' lower is better" in slot.problem(metrics.get("js_distance"))


# --- task files ----------------------------------------------------------------------------------------------------

def shipped(name: str) -> str:
    return (builtin_task_dirs()[0] / f"{name}.yaml").read_text()


def load_error(tmp_path, text: str) -> str:
    path = tmp_path / "task.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_task_file(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path} (params) $.")
    return message


def test_accuracy_among_globalopinionqa_metrics_is_refused_when_the_file_loads(tmp_path):
    text = shipped("distributional_globalopinionqa").replace("metric: js_similarity", "metric: accuracy")
    message = load_error(tmp_path, text)
    assert "$.metrics[2].metric: metric 'accuracy' is a labels metric, but this place needs a distribution_pair " \
           "metric" in message
    assert "js_similarity" in message  # the metrics that would fit


def test_a_direction_contradicting_the_metric_is_refused(tmp_path):
    text = shipped("distributional_globalopinionqa").replace("metric: js_similarity\n",
                                                            "metric: js_similarity\n      direction: lower\n")
    message = load_error(tmp_path, text)
    assert "$.metrics[2].direction: 'lower' contradicts metric 'js_similarity', for which higher is better" in message


def test_directions_come_from_the_registry_and_may_be_restated(tmp_path):
    task = load_task_file(builtin_task_dirs()[0] / "distributional_globalopinionqa.yaml")
    recorded = task.family_impl().metric_parameters(task)["metrics"]
    assert [(m["metric"], m["direction"]) for m in recorded] == [
        ("js_distance", "lower"), ("js_distance", "lower"), ("js_similarity", "higher")]
    restated = shipped("distributional_globalopinionqa").replace("metric: js_similarity\n",
                                                                 "metric: js_similarity\n      direction: higher\n")
    path = tmp_path / "restated.yaml"
    path.write_text(restated)
    load_task_file(path)


@pytest.mark.parametrize("task, old, new, fragment", [
    ("jury_countries", "utility: {metric: js_similarity", "utility: {metric: js_distance",
     "$.utility.metric: for metric 'js_distance' lower is better, but this place needs a distribution_pair metric"),
    ("jury_countries", "function: welfare_nash", "function: js_distance",
     "$.welfare[1].function: metric 'js_distance' is a distribution_pair metric, but this place needs a welfare"),
    ("jury_polis", "function: welfare_nash", "function: entropy",
     "$.welfare[1].function: metric 'entropy' is a distribution metric, but this place needs a welfare"),
    ("tradeoff_countries", "similarity: {metric: js_similarity", "similarity: {metric: auroc",
     "$.similarity.metric: metric 'auroc' is a separation metric, but this place needs a distribution_pair"),
])
def test_every_family_that_names_metrics_checks_their_kind(tmp_path, task, old, new, fragment):
    text = shipped(task)
    assert old in text
    assert fragment in load_error(tmp_path, text.replace(old, new))
