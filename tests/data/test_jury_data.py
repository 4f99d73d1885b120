"""Loaders for the jury and trade-off tasks: checked against the real files read independently, and
bad rows rejected with one-line errors naming file, row and field."""
import csv
import dataclasses
import itertools
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.spatial.distance import jensenshannon

from conftest import REPO, assert_user_error, run_cli
from pluralbench.core.items import CandidateItem, JuryItem, TradeoffItem
from pluralbench.data import Dataset, load_task_data
from pluralbench.data.loading import typed
from pluralbench.errors import DataError
from pluralbench.runner.execute import loader_context
from pluralbench.taskfile import get_task

pytestmark = pytest.mark.shared_data


def load(name, shared_data, **options):
    """The task's data, its data.options overridden by `options`."""
    task = get_task(name)
    data = {**task.data, "options": {**task.data_options, **options}}
    return load_task_data(data, loader_context(task, shared_data))


# The fields each loader sets (the items' mapping view, and so what a template may name).
LOADER_FIELDS = {
    "jury_countries": (JuryItem, {"id", "prompt", "options", "jurors", "pooled", "jury"}),
    "jury_nyt_books": (JuryItem, {"id", "title", "genre", "summary", "jurors", "juror_sizes", "pooled", "raters",
                                  "jury", "ratings"}),
    "jury_popquorn": (JuryItem, {"id", "text", "jurors", "juror_sizes", "pooled", "jury", "ratings"}),
    "jury_polis": (CandidateItem, {"id", "jury", "topic", "description", "candidates", "utilities", "juror_groups",
                                   "scale"}),
    "jury_social_choice": (CandidateItem, {"id", "jury", "topic", "description", "candidates", "utilities",
                                           "juror_groups", "scale"}),
    "tradeoff_countries": (TradeoffItem, {"id", "question", "options", "name_a", "name_b", "country_a", "country_b",
                                          "pair_jsd", "objectives"}),
    "tradeoff_values": (TradeoffItem, {"id", "situation", "name_a", "name_b", "a_first", "options", "objectives"}),
}


@pytest.mark.parametrize("name", sorted(LOADER_FIELDS))
def test_loaders_build_their_familys_typed_items(name, shared_data):
    """The loader itself builds the family's item type (loaded here without the runner's conversion), with
    exactly the fields it always set."""
    task = get_task(name)
    item_type, fields = LOADER_FIELDS[name]
    assert task.family_impl().item_type is item_type
    context = dataclasses.replace(loader_context(task, shared_data), item_type=None)
    items = load_task_data(task.data, context).items
    assert items and all(type(it) is item_type for it in items)
    assert all(set(it) == fields for it in items)


def test_a_plugin_loaders_jury_dict_missing_a_field_fails_in_one_line():
    """A dict item (a plugin loader's) becomes the family's JuryItem; one without `pooled` is refused with one
    line naming the item and the field."""
    item_type = get_task("jury_popquorn").family_impl().item_type
    full = {"id": "t1", "text": "hi", "jurors": {"g: a": [1.0, 0.0]}, "pooled": [1.0, 0.0], "jury": None}
    (item,) = typed(Dataset([full], {}, ""), item_type, "plugin format 'mine'").items
    assert isinstance(item, JuryItem) and item.pooled == [1.0, 0.0] and item == full
    missing = {k: v for k, v in full.items() if k != "pooled"}
    with pytest.raises(DataError) as err:
        typed(Dataset([missing], {}, ""), item_type, "plugin format 'mine'")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("plugin format 'mine' (id t1) field 'pooled': missing (a JuryItem needs it)")


def test_polis_candidates_and_votes_match_the_files(shared_data):
    ds = load("jury_polis", shared_data)
    assert len(ds.items) == 60
    # round-robin: the first six items are round 0 of each conversation
    assert [it["id"].split("#")[1] for it in ds.items[:6]] == ["0"] * 6
    assert len({it["jury"] for it in ds.items[:6]}) == 6
    conv = shared_data / "polis" / "brexit-consensus"
    hidden = {r["comment-id"] for r in csv.DictReader(open(conv / "comments.csv", encoding="utf-8"))
              if r["moderated"] == "-1"}
    votes = list(csv.DictReader(open(conv / "participants-votes.csv", encoding="utf-8")))
    for item in ds.items:
        assert len(item["candidates"]) == 5
        if item["jury"] != "brexit-consensus":
            continue
        assert not hidden & {c["id"] for c in item["candidates"]}
        # every juror row in the item is a participant's votes on the candidates (blank -> None)
        expected = [[None if r[c["id"]] == "" else float(r[c["id"]]) for c in item["candidates"]] for r in votes]
        expected = [row for row in expected if any(v is not None for v in row)]
        assert item["utilities"] == expected
    seattle = shared_data / "polis" / "15-per-hour-seattle"
    hidden = {r["comment-id"] for r in csv.DictReader(open(seattle / "comments.csv", encoding="utf-8"))
              if r["moderated"] == "-1"}
    assert len(hidden) == 23
    assert all(not hidden & {c["id"] for c in it["candidates"]} for it in ds.items if it["jury"] == seattle.name)
    # a fixed seed gives the same sets; another seed other sets
    again = load("jury_polis", shared_data)
    assert [it["candidates"] for it in again.items] == [it["candidates"] for it in ds.items]
    other = load("jury_polis", shared_data, sample_seed=1)
    assert [it["candidates"] for it in other.items] != [it["candidates"] for it in ds.items]


def test_social_choice_ratings_match_the_file(shared_data):
    ds = load("jury_social_choice", shared_data)
    assert len(ds.items) == 20
    assert ds.checks["surveys"]["abortion"] == {"participants": 100, "statements": 10, "ratings": 1000}
    rows = [r for r in csv.DictReader(open(shared_data / "generative_social_choice" / "abortion_survey.csv",
                                           encoding="utf-8"))
            if r["sample_type"] == "validation" and r["question_type"].startswith("multiple choice")]
    item = next(it for it in ds.items if it["jury"] == "abortion")
    assert item["scale"] == {"low": 0.0, "high": 6.0}
    u = np.array(item["utilities"], dtype=float)
    assert u.shape == (100, 5) and not np.isnan(u).any()
    # column means equal the mean rating of each statement in the file
    for k, cand in enumerate(item["candidates"]):
        ratings = [float(r["choice_numeric"]) for r in rows if cand["text"][:60] in " ".join(r["question_text"].split())]
        assert len(ratings) == 100
        assert u[:, k].mean() == pytest.approx(np.mean(ratings))
    chatbot = [it for it in ds.items if it["jury"] == "chatbot_personalization"]
    assert all(len(it["candidates"]) == 5 for it in chatbot)
    assert len({tuple(c["id"] for c in it["candidates"]) for it in chatbot}) > 1  # orders differ


def test_popquorn_group_distributions(shared_data):
    ds = load("jury_popquorn", shared_data)
    assert len(ds.items) == 1500
    rows = [r for r in csv.DictReader(open(shared_data / "popquorn/offensiveness/raw_data.csv", encoding="utf-8"))
            if r["instance_id"] == ds.items[0]["id"]]
    item = ds.items[0]
    by_gender = defaultdict(list)
    for r in rows:
        by_gender[r["gender"]].append(int(float(r["offensiveness"])))
    for g, ratings in by_gender.items():
        counts = np.bincount(np.array(ratings) - 1, minlength=5)
        assert item["jurors"][f"gender: {g}"] == pytest.approx(counts / counts.sum())
        assert item["juror_sizes"][f"gender: {g}"] == len(ratings)
    all_counts = np.bincount([int(float(r["offensiveness"])) - 1 for r in rows], minlength=5)
    assert item["pooled"] == pytest.approx(all_counts / all_counts.sum())
    assert not any(k.startswith("occupation") for k in item["jurors"])


def test_country_jury_and_pairs(shared_data):
    path = shared_data / "modular_pluralism/distributional_test_globalopinionqa_small.json"
    rows = json.loads(path.read_text())
    per_q = defaultdict(dict)
    for r in rows:
        per_q[r["question"]][r["attribute"]] = r["gold_distribution"]
    jury = load("jury_countries", shared_data)
    assert len(jury.items) == sum(1 for v in per_q.values() if len(v) >= 3)
    first = jury.items[0]
    assert first["jurors"] == per_q[first["prompt"]]

    pairs = load("tradeoff_countries", shared_data)
    assert len(pairs.items) == pairs.checks["questions_with_a_pair"] > 100
    for item in pairs.items[:50]:
        countries = per_q[item["question"]]
        pa, pb = countries[item["country_a"]], countries[item["country_b"]]
        assert jensenshannon(pa, pb, base=2) >= 0.4
        assert item["objectives"] == [{"target": pytest.approx(pa)}, {"target": pytest.approx(pb)}]
        assert "(" not in item["name_a"] and item["name_a"] != item["name_b"]
    # questions with a qualifying pair, counted independently
    qualifying = sum(1 for v in per_q.values() if any(
        jensenshannon(v[a], v[b], base=2) >= 0.4 and a.split(" (")[0] != b.split(" (")[0]
        for a, b in itertools.combinations(v, 2)))
    assert len(pairs.items) == qualifying
    again = load("tradeoff_countries", shared_data)
    assert [i["id"] for i in again.items] == [i["id"] for i in pairs.items]


def test_value_pairs_follow_the_valence_labels(shared_data):
    ds = load("tradeoff_values", shared_data)
    rows = json.loads((shared_data / "modular_pluralism/steerable_test_valuekaleidoscope_small.json").read_text())
    labels = defaultdict(set)
    for r in rows:
        labels[(r["situation"].strip(), r["vrd"].strip())].add(r["label_text"])
    assert len(ds.items) == 447
    for item in ds.items:
        assert labels[(item["situation"], item["name_a"])] == {"Supports"}
        assert labels[(item["situation"], item["name_b"])] == {"Opposes"}
    assert 0.3 < np.mean([it["a_first"] for it in ds.items]) < 0.7


# Bad input ------------------------------------------------------------------------------------------
def _task_copy(tmp_path, name, **options) -> Path:
    raw = yaml.safe_load((REPO / "tasks" / f"{name}.yaml").read_text())
    raw["data"]["options"].update(options)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _run(task_path, data_dir, env):
    return run_cli(["run", "--tasks", str(task_path), "--data-dir", str(data_dir), "--limit", "1",
                    "--output", str(data_dir.parent / "out"), "--no-progress"], env=env)


def test_bad_polis_vote_names_file_row_and_column(tmp_path, isolated_env, shared_data):
    data = tmp_path / "data"
    conv = data / "polis" / "mini"
    shutil.copytree(shared_data / "polis" / "london.youth.policing", conv)
    for f in conv.iterdir():
        f.chmod(0o644)
    lines = (conv / "participants-votes.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("4")
    cells = lines[2].split(",")
    cells[col] = "2"
    lines[2] = ",".join(cells)
    (conv / "participants-votes.csv").write_text("\n".join(lines) + "\n")
    task = _task_copy(tmp_path, "jury_polis", conversations=["mini"])
    result = _run(task, data, isolated_env)
    assert_user_error(result, "participants-votes.csv row 2", "field '4'", "got '2'")
    assert "loaded" not in result.stderr  # failed before the model loaded


def test_missing_polis_file_and_bad_moderation(tmp_path, isolated_env, shared_data):
    data = tmp_path / "data"
    conv = data / "polis" / "mini"
    shutil.copytree(shared_data / "polis" / "london.youth.policing", conv)
    for f in conv.iterdir():
        f.chmod(0o644)
    text = (conv / "comments.csv").read_text().replace(",1,Eliminate bias", ",7,Eliminate bias", 1)
    (conv / "comments.csv").write_text(text)
    task = _task_copy(tmp_path, "jury_polis", conversations=["mini"])
    assert_user_error(_run(task, data, isolated_env), "comments.csv row 1", "field 'moderated'")
    (conv / "summary.csv").unlink()
    assert_user_error(_run(task, data, isolated_env), "summary.csv", "file not found")


def test_bad_social_choice_rating(tmp_path, isolated_env):
    data = tmp_path / "data" / "generative_social_choice"
    data.mkdir(parents=True)
    header = ["user_id", "step", "question_type", "question_text", "json_choices", "choice_numeric", "sample_type"]
    rows = [["validation1", "3", "multiple choice + text", 'Statement: "We agree."', '["no", "yes"]', "1.0", "validation"],
            ["validation1", "4", "multiple choice + text", 'Statement: "We differ."', '["no", "yes"]', "lots", "validation"]]
    with open(data / "s.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    task = _task_copy(tmp_path, "jury_social_choice", surveys=[{"file": "s.csv", "topic": "x"}])
    assert_user_error(_run(task, data.parent, isolated_env), "s.csv row 2", "field 'choice_numeric'", "'lots'")


def test_popquorn_rating_off_the_scale(tmp_path, isolated_env):
    data = tmp_path / "data" / "popquorn" / "offensiveness"
    data.mkdir(parents=True)
    header = ["instance_id", "user_id", "text", "offensiveness", "gender", "race", "age", "occupation", "education"]
    rows = [["1", "0", "hi", "2.0", "Man", "White", "18-24", "Student", "College degree"],
            ["1", "1", "hi", "7.0", "Woman", "Asian", "25-29", "Employed", "College degree"]]
    with open(data / "raw_data.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    result = run_cli(["run", "--tasks", "jury_popquorn", "--data-dir", str(tmp_path / "data"), "--limit", "1",
                      "--output", str(tmp_path / "out"), "--no-progress"], env=isolated_env)
    assert_user_error(result, "raw_data.csv row 2 (id 1) field 'offensiveness'", "not on the scale")


def test_missing_data_directory_for_a_directory_task(tmp_path, isolated_env):
    (tmp_path / "data").mkdir()
    result = run_cli(["run", "--tasks", "jury_polis", "--data-dir", str(tmp_path / "data"), "--no-progress"],
                     env=isolated_env)
    assert_user_error(result, "polis", "data directory not found")


def test_value_pairs_bad_label(tmp_path, isolated_env):
    data = tmp_path / "data" / "modular_pluralism"
    data.mkdir(parents=True)
    (data / "steerable_test_valuekaleidoscope_small.json").write_text(json.dumps(
        [{"situation": "s", "vrd": "v", "label_text": "Supports", "id": 1},
         {"situation": "s", "vrd": "w", "label_text": "Maybe", "id": 2}]))
    result = run_cli(["run", "--tasks", "tradeoff_values", "--data-dir", str(tmp_path / "data"), "--no-progress"],
                     env=isolated_env)
    assert_user_error(result, "row 1 (id 2) field 'label_text'", "Maybe")

