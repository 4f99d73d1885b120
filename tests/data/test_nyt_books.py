"""NYT books loaders (steerable groups, annotator juries) on hand-built directories and the real data,
and both tasks through `pluralbench run` on the embedded SmolLM2."""
import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import assert_user_error, run_cli
from pluralbench.data.loading import LoadContext
from pluralbench.data.nyt_books import age_bin, load_nyt_annotators, load_nyt_groups
from pluralbench.errors import DataError
from pluralbench.validation import validate_run_dir

OPTIONS = ["1: Very unlikely", "2: Somewhat unlikely", "3: Somewhat likely", "4: Very likely"]
DEMO_HEADER = ["", "QDem_Gend", "QDem_Race", "Q_DemRepub", "QDem_Income", "Q84", "QDem_Age"]


def write_dir(root: Path, aggregate: dict, annotations: dict, people: list[list]) -> Path:
    (root / "individual_annotations").mkdir(parents=True)
    (root / "data.json").write_text(json.dumps(aggregate))
    (root / "individual_annotations/NYTIMES_proportions_ID.json").write_text(json.dumps(annotations))
    with open(root / "individual_annotations/nytimes_annotator_demographics.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(DEMO_HEADER)
        for i, row in enumerate(people):
            w.writerow([i, *row])
    return root


def book(**groups) -> dict:
    return {"MC_options": OPTIONS, "genre": "Fiction", "summary": " A summary. ", **groups}


def people_rows():
    # gender, race, party, income, id, age
    return [["Female", "White", "Democrat", "Low", "a1", "25"],
            ["Male", "White", "Republican", "High", "a2", "40"],
            ["Female", "Black", "Democrat", "High", "a3", "66"],
            ["Female", "Black", "Democrat", "Low", "a3", "66"]]  # a3's duplicate row disagrees on income


def small_dir(tmp_path) -> Path:
    aggregate = {"Book One": book(Democrat={OPTIONS[0]: 3, OPTIONS[3]: 1}, Republican={OPTIONS[1]: 2},
                                  Male={OPTIONS[1]: 1}, Female={OPTIONS[0]: 2, OPTIONS[2]: 2})}
    annotations = {"Book One": {"MC_options": [1, 2, 3, 4], "genre": "Fiction", "summary": "x",
                                "Democrat": {"a1": OPTIONS[0], "a3": OPTIONS[3]}, "Republican": {"a2": OPTIONS[1]},
                                "Male": {"a2": OPTIONS[1]}, "Female": {"a1": OPTIONS[0], "a3": OPTIONS[3]}}}
    return write_dir(tmp_path / "nyt", aggregate, annotations, people_rows())


def test_group_items_fill_omitted_zero_counts_and_render_the_book(tmp_path):
    template = "{title} / {genre} / {summary} / {options}"
    d = load_nyt_groups(small_dir(tmp_path), {}, LoadContext(prompt_template=template))
    by_group = {it["group"]: it for it in d.items}
    assert set(by_group) == {"POLPARTY_Democrat", "POLPARTY_Republican", "SEX_Male", "SEX_Female"}
    assert by_group["POLPARTY_Democrat"]["gold"] == [0.75, 0.0, 0.0, 0.25]
    assert by_group["SEX_Female"]["gold"] == [0.5, 0.0, 0.5, 0.0]
    assert by_group["POLPARTY_Republican"]["respondents"] == 2
    assert d.items[0]["prompt"] == ("Book One / Fiction / A summary. / A. Very unlikely B. Somewhat unlikely "
                                    "C. Somewhat likely D. Very likely")
    assert d.items[0]["options"] == ["Very unlikely", "Somewhat unlikely", "Somewhat likely", "Very likely"]
    assert d.checks["options_filled_with_zero"] == 2 + 3 + 3 + 2


def test_annotator_juries_join_demographics_bin_ages_and_drop_conflicting_fields(tmp_path):
    d = load_nyt_annotators(small_dir(tmp_path), {"min_raters_per_group": 1})
    (item,) = d.items
    assert item["pooled"] == [1 / 3, 1 / 3, 0.0, 1 / 3] and item["raters"] == 3
    assert item["jurors"]["gender: Female"] == [0.5, 0.0, 0.0, 0.5]
    assert item["jurors"]["age: 18-29"] == [1.0, 0.0, 0.0, 0.0] and "age: 65+" in item["jurors"]
    # a3's income rows disagree, so a3 counts in no income group; a1 (Low) and a2 (High) do
    assert item["juror_sizes"]["income: Low"] == 1 and item["juror_sizes"]["income: High"] == 1
    assert d.checks["demographic_conflicts"] == 1
    two = load_nyt_annotators(small_dir(tmp_path / "b"), {"min_raters_per_group": 2})
    assert set(two.items[0]["jurors"]) == {"gender: Female", "party: Democrat", "race: White"}


@pytest.mark.parametrize("age,expected", [("18", "18-29"), ("29", "18-29"), ("30", "30-49"), ("64", "50-64"),
                                          ("65", "65+"), ("17", None), ("", None), ("n/a", None)])
def test_age_bins(age, expected):
    assert age_bin(age) == expected


def test_bad_files_name_the_book_and_field(tmp_path):
    root = small_dir(tmp_path)
    data = json.loads((root / "data.json").read_text())
    data["Book One"]["Male"] = {"5: Certainly": 1}
    (root / "data.json").write_text(json.dumps(data))
    with pytest.raises(DataError) as err:
        load_nyt_groups(root, {})
    assert "Book One" in str(err.value) and "Male" in str(err.value) and "5: Certainly" in str(err.value)

    ann = root / "individual_annotations/NYTIMES_proportions_ID.json"
    rows = json.loads(ann.read_text())
    rows["Book One"]["Male"]["a2"] = OPTIONS[2]  # a2 rated 2 under Republican
    ann.write_text(json.dumps(rows))
    with pytest.raises(DataError) as err:
        load_nyt_annotators(root, {})
    assert "a2" in str(err.value) and "Book One" in str(err.value)

    rows["Book One"]["Male"]["a2"] = "likely"
    ann.write_text(json.dumps(rows))
    with pytest.raises(DataError) as err:
        load_nyt_annotators(root, {})
    assert "'likely'" in str(err.value)


def test_a_file_instead_of_the_directory_is_a_one_line_error(tmp_path, isolated_env):
    (tmp_path / "data" / "nyt_books").parent.mkdir(parents=True)
    (tmp_path / "data" / "nyt_books").write_text("{}")
    result = run_cli(["run", "--tasks", "jury_nyt_books", "--data-dir", str(tmp_path / "data"),
                      "--output", str(tmp_path / "out"), "--no-progress"], env=isolated_env)
    assert_user_error(result, "nyt_books", "expected the nyt_books directory")


# real data ---------------------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_real_files_match_independent_tallies(shared_data):
    root = shared_data / "nyt_books"
    groups = load_nyt_groups(root, {})
    assert groups.checks["books"] == 235 and len(groups.items) == 940
    jury = load_nyt_annotators(root, {"min_raters_per_group": 1})
    assert jury.checks["annotators"] == 335 and jury.checks["raters_without_demographics"] == 0

    # Tally the per-annotator file by hand and compare with the aggregate: SOURCES.md says 7 books differ.
    raw = json.loads((root / "individual_annotations/NYTIMES_proportions_ID.json").read_text())
    published = {(it["question_key"], it["group"]): it["gold"] for it in groups.items}
    differing = set()
    for title, b in raw.items():
        for group, name in (("Democrat", "POLPARTY_Democrat"), ("Republican", "POLPARTY_Republican"),
                            ("Male", "SEX_Male"), ("Female", "SEX_Female")):
            counts = Counter(int(v.split(":")[0]) for v in b[group].values())
            total = sum(counts.values())
            tally = [counts.get(k, 0) / total for k in (1, 2, 3, 4)]
            if max(abs(a - c) for a, c in zip(tally, published[(title, name)])) > 1e-12:
                differing.add(title)
        everyone = {pid: v for g in ("Democrat", "Republican", "Male", "Female") for pid, v in b[g].items()}
        pooled = Counter(int(v.split(":")[0]) for v in everyone.values())
        item = next(it for it in jury.items if it["id"] == title)
        assert item["raters"] == len(everyone)
        assert item["pooled"] == pytest.approx([pooled.get(k, 0) / len(everyone) for k in (1, 2, 3, 4)])
    assert len(differing) == 7


@pytest.mark.model
@pytest.mark.shared_data
def test_both_tasks_run_on_smollm2(tmp_path, isolated_env, shared_data):
    out = tmp_path / "out"
    result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", "steerable_nyt_books,jury_nyt_books",
                      "--limit", "4", "--data-dir", str(shared_data), "--output", str(out), "--no-progress"],
                     env=isolated_env)
    assert result.returncode == 0, result.stderr
    dirs = {json.loads((d / "manifest.json").read_text())["task"]["name"]: d for d in out.iterdir()}
    for d in dirs.values():
        problems, _ = validate_run_dir(d)
        assert problems == []
    steer = json.loads((dirs["steerable_nyt_books"] / "metrics.json").read_text())
    assert steer["headline"] == "ordinal_similarity"
    # 4 items = one book x 4 groups: 3 styles x 4 groups + 1 unsteered prompt
    manifest = json.loads((dirs["steerable_nyt_books"] / "manifest.json").read_text())
    assert manifest["counts"]["unique_requests"] == 13
    jury = json.loads((dirs["jury_nyt_books"] / "metrics.json").read_text())
    w = jury["welfare"]["model"]["per_item"]
    assert 0 < w["egalitarian"]["value"] <= w["harmonic"]["value"] <= w["nash"]["value"] <= w["utilitarian"]["value"] < 1
