"""Scoring of the new families on hand-built items, against sklearn / scipy computed here."""
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import softmax
from scipy.stats import entropy as scipy_entropy
from scipy.stats import wasserstein_distance
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score, roc_auc_score

from pluralbench.core.items import OptionItem, ScaleItem
from pluralbench.data.loading import LoadContext
from pluralbench.data.mpi import load_mpi
from pluralbench.data.opinionqa_waves import load_waves
from pluralbench.errors import DataError
from pluralbench.families.answer_parsing import parse_letter
from pluralbench.families.distributional_mpi import keyed_score
from pluralbench.core.items import ValenceItem
from pluralbench.core.records import OptionOutput
from pluralbench.elicitation.predictions import from_option_output
from pluralbench.runner.documents import metrics_document
from pluralbench.schemas import validation_errors
from pluralbench.taskfile import get_task


def opt(logps, mass=0.9):
    """What the log-prob read-out hands a family for these label log-probabilities."""
    return from_option_output(OptionOutput(tuple(float(x) for x in logps), mass))


# ValuePrism valence ---------------------------------------------------------------------------------

VALENCE = get_task("steerable_valueprism")


def valence_items(n, seed=0):
    rng = np.random.default_rng(seed)
    vrds = ["Right to life", "Duty of care", "Honesty", "Rights of others", "Autonomy"]
    return [ValenceItem(id=str(i), prompt=f"Question: ...situation {i}...\nA. Support B. Oppose C. Either\nAnswer:",
                        label="ABC"[int(rng.integers(0, 3))], situation=f"s{i}", vrd=vrds[i % 5],
                        vrd_type=["right", "duty", "value", "right", "value"][i % 5]) for i in range(n)]


def test_parse_letter_rules():
    words = {"support": "A", "oppose": "B", "either": "C"}
    cases = {" A. Support": "A", "(B)": "B", "Answer: C": "C", "C": "C", "The answer is B.": "B",
             "I think it opposes the situation": "B", "It could either support or oppose": "C",
             "Absolutely": "unparseable", "A. Support B. Oppose C. Either": "unparseable", "A. Both": "A", "": "unparseable", "Because": "unparseable", "Option A": "A"}
    for text, expected in cases.items():
        assert parse_letter(text, ("A", "B", "C"), words) == expected, text


def test_valence_scores_equal_sklearn_in_both_modes():
    items = valence_items(40)
    rng = np.random.default_rng(1)
    texts = ["A. Support", "B", "It opposes", "(C) Either", "Hmm, hard to say"]
    outputs = [[opt(rng.normal(size=3)), texts[int(rng.integers(0, 5))]] for _ in items]
    scored = VALENCE.family_impl().score(VALENCE, items, outputs, seed=0)
    m = scored.metrics
    gold = [it["label"] for it in items]
    opt_pred = ["ABC"[int(np.argmax(o[0]["label_logprobs"]))] for o in outputs]
    gen_pred = [parse_letter(o[1], ("A", "B", "C"), {"support": "A", "oppose": "B", "either": "C"}) for o in outputs]
    assert "unparseable" in gen_pred
    for mode, pred in (("options", opt_pred), ("generate", gen_pred)):
        overall = m["modes"][mode]["overall"]
        assert overall["accuracy"]["value"] == pytest.approx(accuracy_score(gold, pred), abs=1e-12)
        assert overall["balanced_accuracy"]["value"] == pytest.approx(balanced_accuracy_score(gold, pred), abs=1e-12)
        assert overall["macro_f1"]["value"] == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0),
                                                             abs=1e-12)
        assert overall["micro_f1"]["value"] == pytest.approx(f1_score(gold, pred, average="micro"), abs=1e-12)
        keep = [k for k in range(len(gold)) if gold[k] != "C" and pred[k] != "C"]
        bg, bp = [gold[k] for k in keep], [pred[k] for k in keep]
        assert overall["binary_accuracy"]["n"] == len(keep)
        assert overall["binary_macro_f1"]["value"] == pytest.approx(f1_score(bg, bp, average="macro", zero_division=0),
                                                                    abs=1e-12)
        assert overall["binary_balanced_accuracy"]["value"] == pytest.approx(balanced_accuracy_score(bg, bp), abs=1e-12)
        cm = m["modes"][mode]["confusion_matrix"]
        assert cm["matrix"] == confusion_matrix(gold, pred, labels=cm["labels"]).tolist()
        for a in ("accuracy", "macro_f1"):
            assert overall[a]["ci_low"] <= overall[a]["value"] <= overall[a]["ci_high"]
        rights = [k for k, it in enumerate(items) if it["vrd_type"] == "right"]
        group = m["modes"][mode]["groups"]["vrd_type"]["right"]
        assert group["n"] == len(rights)
        assert group["metrics"]["accuracy"]["value"] == pytest.approx(
            accuracy_score([gold[k] for k in rights], [pred[k] for k in rights]))
    assert m["modes"]["generate"]["counts"]["unparseable"] == gen_pred.count("unparseable")
    assert m["primary_mode"] == "options" and m["overall"] == m["modes"]["options"]["overall"]
    assert m["overall"]["covered_mass"]["value"] == pytest.approx(0.9)
    assert scored.samples[0]["modes"]["generate"]["text"] == outputs[0][1]
    assert scored.samples[0]["modes"]["options"]["model_distribution"] == pytest.approx(
        list(softmax(outputs[0][0]["label_logprobs"])))


def test_valence_vrd_type_from_wording():
    from pluralbench.data.valence import vrd_type

    assert [vrd_type(v) for v in ("Right to privacy", "Rights of others", "Duty of care", "Honesty")] == \
        ["right", "right", "duty", "value"]


# MoralChoice (multiple_choice_distribution with separation) ------------------------------------------

MORAL = get_task("distributional_moralchoice")


def test_moralchoice_entropy_auroc_and_synthetic_statement():
    rng = np.random.default_rng(3)
    items, outputs = [], []
    for i in range(30):
        high = i % 3 == 0
        items.append(OptionItem(id=f"{'H' if high else 'C'}_{i}", prompt=f"Scenario {i}\nA. x\nB. y\nAnswer:",
                                options=["x", "y"], gold=[0.5, 0.5] if high else [1.0, 0.0],
                                group="high_ambiguity" if high else "low_ambiguity"))
        outputs.append([opt(rng.normal(size=2) * (0.3 if high else 2.0))])
    m = MORAL.family_impl().score(MORAL, items, outputs, seed=0).metrics
    preds = [softmax(o[0]["label_logprobs"]) for o in outputs]
    ent = [scipy_entropy(p, base=2) for p in preds]
    y = [it["group"] == "high_ambiguity" for it in items]
    assert m["overall"]["entropy_auroc_high_vs_low"]["value"] == pytest.approx(roc_auc_score(y, ent), abs=1e-12)
    high = [k for k in range(30) if y[k]]
    assert m["groups"]["ambiguity"]["high_ambiguity"]["metrics"]["jsd_natural"]["value"] == pytest.approx(
        np.mean([jensenshannon(preds[k], items[k]["gold"]) for k in high]), abs=1e-12)
    assert m["reference_distributions"]["kind"] == "synthetic"
    assert any("synthetic" in note for note in m["notes"])


# MPI ------------------------------------------------------------------------------------------------

MPI = get_task("distributional_mpi")


def write_mpi(tmp_path: Path, rows, sep="\t") -> Path:
    path = tmp_path / "mpi.csv"
    path.write_text("\n".join([sep.join(["label_raw", "text", "label_ocean", "key"])] +
                              [sep.join(map(str, r)) for r in rows]) + "\n", encoding="utf-8")
    return path


MPI_ROWS = [("Anxiety", "Worry about things", "N", 1), ("Calmness", "Rarely get irritated", "N", -1),
            ("Friendliness", "Make friends easily", "E", 1), ("Imagination", "Have a vivid imagination", "O", 1),
            ("Trust", "Trust others", "A", 1), ("Order", "Like order", "C", -1)]


def test_mpi_reverse_keying_is_applied_once():
    assert keyed_score([1, 0, 0, 0, 0], 1) == 5 and keyed_score([1, 0, 0, 0, 0], -1) == 1
    assert keyed_score([0, 0, 0, 0, 1], -1) == 5 and keyed_score([0.2] * 5, -1) == pytest.approx(3)


def test_mpi_traits_entropy_and_skipped_comparison(tmp_path):
    ds = load_mpi(write_mpi(tmp_path, MPI_ROWS), {}, LoadContext(prompt_template=MPI.prompt["template"]))
    assert all(isinstance(it, ScaleItem) and not it.has("human") for it in ds.items)
    assert (ds.items[1].trait, ds.items[1].facet, ds.items[1].key) == ("N", "Calmness", -1)
    assert 'Given a statement of you: "You worry about things."' in ds.items[0]["prompt"]
    assert ds.items[0]["prompt"].endswith("(E). Very Inaccurate\n\nAnswer: (")
    rng = np.random.default_rng(0)
    outputs = [[opt(rng.normal(size=5))] for _ in ds.items]
    scored = MPI.family_impl().score(MPI, ds.items, outputs, seed=0)
    m = scored.metrics
    preds = [softmax(o[0]["label_logprobs"]) for o in outputs]
    agree = [float(np.dot(p, [5, 4, 3, 2, 1])) for p in preds]
    n_scores = [agree[0], 6 - agree[1]]
    assert m["groups"]["trait"]["N"]["metrics"]["score"]["value"] == pytest.approx(np.mean(n_scores), abs=1e-12)
    assert m["groups"]["trait"]["N"]["metrics"]["spread"]["value"] == pytest.approx(np.std(n_scores), abs=1e-12)
    assert m["trait_profile"]["N"]["score"] == pytest.approx(np.mean(n_scores))
    assert m["overall"]["entropy_model"]["value"] == pytest.approx(np.mean([scipy_entropy(p, base=2) for p in preds]))
    assert m["human_comparison"]["status"] == "skipped" and "not an error" in m["human_comparison"]["reason"]
    assert m["headline"] == "normalised_entropy" and "jsd_base2" not in m["overall"]


def test_mpi_human_file_compares_and_unflips(tmp_path):
    human = {"format": "pluralbench-mpi-human/1",
             "options": ["Very Accurate", "Moderately Accurate", "Neither Accurate Nor Inaccurate",
                         "Moderately Inaccurate", "Very Inaccurate"],
             "reverse_keyed_already_flipped": True,
             "items": [{"text": "Worry about things", "distribution": [10, 20, 30, 20, 20]},
                       {"text": "Rarely get irritated", "distribution": [5, 5, 10, 30, 50]}]}
    (tmp_path / "human.json").write_text(json.dumps(human))
    options, context = {"human_distributions": "human.json"}, LoadContext(tmp_path, "{statement}")
    ds = load_mpi(write_mpi(tmp_path, MPI_ROWS, sep=","), options, context)
    assert ds.items[0].human == pytest.approx([0.1, 0.2, 0.3, 0.2, 0.2])
    assert ds.checks["human_items_matched"] == 2 and not ds.items[2].has("human")
    # Stored already reverse-scored, so the reverse-keyed item is flipped back to answers-as-worded.
    assert ds.items[1]["human"] == pytest.approx([0.5, 0.3, 0.1, 0.05, 0.05])
    outputs = [[opt([0.0, -1, -2, -3, -4])] for _ in ds.items]
    m = MPI.family_impl().score(MPI, ds.items, outputs, seed=0).metrics
    pred = softmax([0.0, -1, -2, -3, -4])
    expected = [jensenshannon(pred, ds.items[k]["human"], base=2) for k in (0, 1)]
    assert m["human_comparison"]["status"] == "compared" and m["headline"] == "jsd_base2"
    assert m["overall"]["jsd_base2"]["value"] == pytest.approx(np.mean(expected), abs=1e-12)
    assert m["groups"]["trait"]["N"]["metrics"]["score_human"]["value"] == pytest.approx(
        np.mean([np.dot(ds.items[0]["human"], [5, 4, 3, 2, 1]), 6 - np.dot(ds.items[1]["human"], [5, 4, 3, 2, 1])]))
    # tv, the SimBench-style score and the reference points, against numpy; sampled:20's grid when passed.
    humans = [np.asarray(ds.items[k]["human"]) for k in (0, 1)]
    tv = [0.5 * np.abs(pred - h).sum() for h in humans]
    norm = np.mean([0.5 * np.abs(h - 0.2).sum() for h in humans])
    assert m["overall"]["tv"]["value"] == pytest.approx(np.mean(tv), abs=1e-12)
    assert m["overall"]["simbench_score"]["value"] == pytest.approx(np.mean(100 * (1 - np.array(tv) / norm)))
    assert m["reference_points"]["jsd_base2"]["modal"]["value"] == pytest.approx(
        np.mean([jensenshannon(np.eye(5)[np.argmax(h)], h, base=2) for h in humans]), abs=1e-12)
    assert "resolution_floor" not in m["reference_points"]["tv"]
    sampled = MPI.family_impl().score(MPI, ds.items, outputs, seed=0, resolution=20).metrics["reference_points"]
    assert sampled["tv"]["resolution_floor"]["resolution"] == 20
    assert sampled["tv"]["resolution_floor"]["value"] == pytest.approx(0.0)  # these humans lie on the 1/20 grid
    human["items"][0]["distribution"] = [1, 2]
    (tmp_path / "human.json").write_text(json.dumps(human))
    with pytest.raises(DataError, match="human.json row 0.*distribution"):
        load_mpi(tmp_path / "mpi.csv", options, context)


def test_mpi_bad_key_names_row(tmp_path):
    with pytest.raises(DataError, match=r"mpi.csv row 3 field 'key'"):
        load_mpi(write_mpi(tmp_path, MPI_ROWS[:1] + [("Facet", "Do things", "N", 2)]), {})


# Steerable OpinionQA --------------------------------------------------------------------------------

OQA = get_task("steerable_opinionqa")
Q1 = "Question: one?\nOptions: A. a B. b C. c\nAnswer:"
Q2 = "Question: two?\nOptions: A. a B. b\nAnswer:"
OQA_ITEMS = [
    OptionItem(id="1", prompt=Q1, options=["a", "b", "c"], gold=[0.6, 0.3, 0.1], group="POLPARTY_Democrat"),
    OptionItem(id="2", prompt=Q1, options=["a", "b", "c"], gold=[0.1, 0.3, 0.6], group="POLPARTY_Republican"),
    OptionItem(id="3", prompt=Q1, options=["a", "b", "c"], gold=[0.3, 0.4, 0.3], group="SEX_Female"),
    OptionItem(id="4", prompt=Q2, options=["a", "b"], gold=[0.8, 0.2], group="POLPARTY_Democrat"),
    OptionItem(id="5", prompt=Q2, options=["a", "b"], gold=[0.3, 0.7], group="SEX_Female"),
]


def test_steered_prompts_follow_the_task_file():
    fam = OQA.family_impl()
    reqs = fam.requests(OQA, OQA_ITEMS)
    qa, bio, portray, unsteered = [r.prompt for r in reqs[0]]
    assert qa.startswith("Question: In politics today") and "Answer: Democrat\n\n" + Q1 == qa[qa.index("Answer: D"):]
    assert "Description: In politics today, I consider myself a Democrat." in bio
    assert portray.startswith("Answer the following question as if in politics today, you considered yourself a Democrat.")
    assert unsteered == Q1 and reqs[0][3] == reqs[1][3]  # one unsteered request per question


def test_steerable_scores_best_style_gain_and_baseline():
    fam = OQA.family_impl()
    rng = np.random.default_rng(5)
    outputs = [[opt(rng.normal(size=len(it["options"]))) for _ in range(4)] for it in OQA_ITEMS]
    m = fam.score(OQA, OQA_ITEMS, outputs, seed=0).metrics
    styles = ["QA", "BIO", "PORTRAY"]
    dist = {(it["id"], s): softmax(outputs[k][j]["label_logprobs"]) for k, it in enumerate(OQA_ITEMS)
            for j, s in enumerate(styles + ["unsteered"])}

    def ordsim(p, g):
        k = len(p)
        return 1 - wasserstein_distance(np.arange(1, k + 1), np.arange(1, k + 1), p, g) / (k - 1)

    per_group = {}
    for g in ("POLPARTY_Democrat", "POLPARTY_Republican", "SEX_Female"):
        members = [it for it in OQA_ITEMS if it["group"] == g]
        means = {s: np.mean([ordsim(dist[(it["id"], s)], it["gold"]) for it in members]) for s in styles}
        best = max(styles, key=lambda s: (means[s], -styles.index(s)))
        block = m["groups"]["group"][g]
        assert block["best_style"] == best
        js = np.mean([jensenshannon(dist[(it["id"], best)], it["gold"], base=2) for it in members])
        assert block["metrics"]["js_distance"]["value"] == pytest.approx(js, abs=1e-12)
        ml = np.mean([np.argmax(dist[(it["id"], best)]) == np.argmax(it["gold"]) for it in members])
        ml_un = np.mean([np.argmax(dist[(it["id"], "unsteered")]) == np.argmax(it["gold"]) for it in members])
        assert block["metrics"]["steering_gain_most_likely_match"]["value"] == pytest.approx(ml - ml_un, abs=1e-12)
        per_group[g] = {"ord": means[best], "js": js}
    # Headline: mean over categories of the mean over the category's groups.
    party = (per_group["POLPARTY_Democrat"]["ord"] + per_group["POLPARTY_Republican"]["ord"]) / 2
    assert m["overall"]["ordinal_similarity"]["value"] == pytest.approx((party + per_group["SEX_Female"]["ord"]) / 2,
                                                                        abs=1e-12)
    assert m["groups"]["category"]["party"]["metrics"]["ordinal_similarity"]["value"] == pytest.approx(party)
    # Population-marginal baseline: the mean of the other groups' distributions for the same question.
    base1 = (np.array(OQA_ITEMS[1]["gold"]) + OQA_ITEMS[2]["gold"]) / 2
    dem_base = np.mean([jensenshannon(base1, OQA_ITEMS[0]["gold"], base=2),
                        jensenshannon(OQA_ITEMS[4]["gold"], OQA_ITEMS[3]["gold"], base=2)])
    assert m["groups"]["group"]["POLPARTY_Democrat"]["baselines"]["population_marginal"]["js_distance"]["value"] == \
        pytest.approx(dem_base, abs=1e-12)
    assert set(m["styles"]) == set(styles) and m["best_styles"]["SEX_Female"] in styles
    o = m["overall"]["most_likely_match"]
    assert o["ci_low"] <= o["value"] <= o["ci_high"]


def test_refusal_is_removed_for_the_ordinal_score_only():
    fam = OQA.family_impl()
    item = OptionItem(id="r", prompt=Q1, options=["a", "b", "Refused"], gold=[0.5, 0.3, 0.2], group="SEX_Male",
                      ordinal_positions=[1.0, 2.0, None])
    out = [[opt(np.log([0.2, 0.2, 0.6]))] * 4]
    sample = fam.score(OQA, [item], out, seed=0).samples[0]
    vals = sample["styles"]["QA"]["metrics"]
    p, g = np.array([0.2, 0.2]) / 0.4, np.array([0.5, 0.3]) / 0.8
    assert vals["ordinal_similarity"] == pytest.approx(1 - wasserstein_distance([1, 2], [1, 2], p, g), abs=1e-12)
    assert vals["js_distance"] == pytest.approx(jensenshannon([0.2, 0.2, 0.6], item["gold"], base=2), abs=1e-12)
    assert vals["most_likely_match"] == 0.0


def test_wave_loader_quirks(tmp_path):
    wave = tmp_path / "atp" / "American_Trends_Panel_W99"
    wave.mkdir(parents=True)
    (wave / "info.csv").write_text(
        ",key,option_mapping,question,references,option_ordinal\n"
        "0,GUN_W99,{},Own a gun?,\"['Yes, I own a gun', 'No', 'Not sure', 'Refused']\",\"[1.0, 2.0]\"\n")
    # MC_options split on the comma (as in the real files); zero counts omitted; "Refused" as group and option.
    data = {"GUN_W99": {"MC_options": ["Yes", "I own a gun", "No", "Not sure", "Refused"], "question_text": "Own a gun?",
                        "Democrat": {"Yes, I own a gun": 2.0, "No": 6.0}, "Refused": {"no": 1.0, "Refused": 1.0},
                        "Republican": {"yes, I own a gun": 5.0, "No": 4.0, "Refused": 1.0}}}
    (wave / "POLPARTY_data.json").write_text(json.dumps(data))
    ds = load_waves(tmp_path / "atp", {})
    assert all(isinstance(it, OptionItem) for it in ds.items) and ds.items[0].question_key == "GUN_W99"
    assert [it["group"] for it in ds.items] == ["POLPARTY_Democrat", "POLPARTY_Republican"]
    dem, rep = ds.items
    assert dem["options"] == ["Yes, I own a gun", "No", "Not sure", "Refused"]
    assert dem["gold"] == pytest.approx([0.25, 0.75, 0, 0]) and rep["gold"] == pytest.approx([0.5, 0.4, 0, 0.1])
    assert dem["population"] == pytest.approx(np.array([7, 11, 0, 2]) / 20)
    assert dem["ordinal_positions"] == [1.0, 2.0, None, None]
    assert ds.checks["skipped_groups"] == 1 and ds.checks["case_insensitive_matches"] == 2
    assert "Options: A. Yes, I own a gun B. No C. Not sure D. Refused" in dem["prompt"]
    data["GUN_W99"]["Democrat"]["Maybe"] = 1.0
    (wave / "POLPARTY_data.json").write_text(json.dumps(data))
    with pytest.raises(DataError, match=r"POLPARTY_data.json \(id GUN_W99\) field 'Democrat'"):
        load_waves(tmp_path / "atp", {})


def test_steerable_with_no_readable_answer_scores_nothing_and_counts_it():
    """No item has option mass under any style: an unscored result with counted exclusions (as
    multiple_choice_distribution gives), not a crash in the best-style statistic."""
    fam = OQA.family_impl()
    no_mass = from_option_output(OptionOutput((None, None, None), 0.0))  # no option in the top K
    assert no_mass["distribution"] is None
    scored = fam.score(OQA, OQA_ITEMS, [[no_mass] * 4 for _ in OQA_ITEMS], seed=0)
    m = scored.metrics
    assert m["overall"] == {} and m["groups"] == {} and m["styles"] == {}
    assert m["counts"]["scored"] == 0 and m["counts"]["excluded_no_option_mass"] == len(OQA_ITEMS)
    assert set(m["best_styles"].values()) == {None}
    # metrics.json with no best style (e.g. a verbalized run nothing parsed) is valid to its readers
    doc = metrics_document("rid", OQA, "0" * 64, "embedded:x", "fp", "chat", {}, m, method={"spec": "verbalized"})
    assert validation_errors(doc, "metrics") == []
    assert "nothing scored" in " ".join(m["notes"])
    assert all(s["metrics"] is None for s in scored.samples)

    answered = [[opt(np.log([0.5, 0.3, 0.2]))] * 4] + [[no_mass] * 4] * (len(OQA_ITEMS) - 1)
    counts = fam.score(OQA, OQA_ITEMS, answered, seed=0).metrics["counts"]
    assert counts["scored"] == 1 and counts["excluded_no_option_mass"] == len(OQA_ITEMS) - 1


def test_reference_scorer_equals_item_metrics_row_by_row():
    """The vectorised scorer behind the steering reference points gives item_metrics' values, refusals,
    unpositioned options and all-equal positions included."""
    from pluralbench.families.steerable_distribution import METRICS, item_metrics, ordinal_positions, reference_scorer

    def item(options, positions):
        return OptionItem(id="x", prompt="q", options=options, gold=[1.0 / len(options)] * len(options), group="g",
                          ordinal_positions=positions)

    items = [item(["a", "b", "c", "Refused"], [1.0, 2.0, 1.5, 4.0]), item(["a", "b", "c"], None),
             item(["a", "b"], [1.0, 1.0]), item(["a", "b", "c", "Refused"], [1.0, 2.0, 1.5, 4.0])]
    rng = np.random.default_rng(7)
    stand_ins = [rng.dirichlet(np.ones(len(it["options"]))) for it in items]
    refs = [rng.dirichlet(np.ones(len(it["options"]))) for it in items]
    stand_ins[3] = np.array([0.0, 0.0, 0.0, 1.0])  # all mass on the refusal: the ordinal score is undefined
    got = reference_scorer(items, {"Refused"}, 2, 0.3)(stand_ins, refs, [0, 1, 2, 3])
    for k, it in enumerate(items):
        want = item_metrics(stand_ins[k], refs[k], ordinal_positions(it, {"Refused"}), 2, 0.3)
        for m in METRICS:
            if want[m] is None:
                assert np.isnan(got[m][k]), (k, m)
            else:
                assert got[m][k] == pytest.approx(want[m], abs=1e-12), (k, m)
