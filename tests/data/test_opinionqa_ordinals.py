"""steerable_opinionqa's ordinal positions: Modular Pluralism's rows joined to OpinionQA's info.csv.

The join is checked on named rows against the info.csv lines that hold them, and its counts against a
tally made here from the two kinds of file with the csv and json modules alone."""
from __future__ import annotations

import ast
import csv
import json
import re

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from pluralbench.data import load_task_data
from pluralbench.families.steerable_distribution import item_metrics, ordinal_positions, ordinal_tally
from pluralbench.runner.execute import loader_context
from pluralbench.taskfile import get_task

pytestmark = pytest.mark.shared_data
MP_FILE = "modular_pluralism/steerable_test_opinionqa_small.json"
TASK = get_task("steerable_opinionqa")


@pytest.fixture(scope="module")
def dataset(shared_data):
    return load_task_data(TASK.data, loader_context(TASK, shared_data))


@pytest.fixture(scope="module")
def items(dataset):
    return {it["id"]: it for it in dataset.items}


def info_line(shared_data, wave: str, key: str) -> dict:
    with open(shared_data / "opinionqa/atp_waves" / wave / "info.csv", newline="", encoding="utf-8") as fh:
        return next(row for row in csv.DictReader(fh) if row["key"] == key)


@pytest.mark.parametrize("item_id, wave, key, positions", [
    ("11490", None, None, [1.0, 2.0, 3.0]),  # info.csv's positions are the option order
    # 'Offline: does not have internet' placed with 'A little control' by OpinionQA
    ("2324", "American_Trends_Panel_W49", "CONTROLGRPe_W49", [1.0, 2.0, 3.0, 2.0]),
    ("13038", "American_Trends_Panel_W43", "RACESURV41_W43", [1.0, 2.0, 3.0, 4.0, None]),  # 'Not sure' dropped
    ("21143", "American_Trends_Panel_W41", "ELDFINANCEF2_W41", [1.0, 1.0, 1.0]),  # all equal: undefined
])
def test_named_rows_take_info_csv_positions(shared_data, items, item_id, wave, key, positions):
    item = items[item_id]
    assert item["ordinal_positions"] == positions
    if key is None:
        return
    line = info_line(shared_data, wave, key)
    assert item["prompt"].startswith(f"Question: {line['question'].strip()}\nOptions: ")
    assert item["options"] == [o for o in ast.literal_eval(line["references"]) if o != "Refused"]
    assert [float(x) for x in ast.literal_eval(line["option_ordinal"])] == [x for x in positions if x is not None]


def test_rows_info_csv_lacks_keep_the_option_order(items):
    garbled = items["1673"]  # MP split "Yes, frequently" on its comma: no info.csv row has these options
    assert garbled["options"] == ["Ye", "requently", "Ye", "n occasion", "No"]
    assert "ordinal_positions" not in garbled
    assert ordinal_positions(garbled, {"Refused"}) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_ordinal_score_uses_the_joined_positions(items):
    pred = np.array([0.1, 0.2, 0.3, 0.4])
    reordered = items["2324"]
    got = item_metrics(pred, reordered["gold"], ordinal_positions(reordered, {"Refused"}), 2, 1.0)["ordinal_similarity"]
    want = 1 - wasserstein_distance([1, 2, 3, 2], [1, 2, 3, 2], pred, reordered["gold"]) / 2
    assert got == pytest.approx(want, abs=1e-12)
    assert got != pytest.approx(1 - wasserstein_distance([1, 2, 3, 4], [1, 2, 3, 4], pred, reordered["gold"]) / 3)
    dropped = items["13038"]
    pred5, gold = np.array([0.1, 0.2, 0.3, 0.2, 0.2]), np.asarray(dropped["gold"])
    got = item_metrics(pred5, gold, ordinal_positions(dropped, {"Refused"}), 2, 1.0)["ordinal_similarity"]
    k = [1, 2, 3, 4]
    assert got == pytest.approx(1 - wasserstein_distance(k, k, pred5[:4] / 0.8, gold[:4] / gold[:4].sum()) / 3,
                                abs=1e-12)
    equal = items["21143"]
    assert item_metrics(pred[:3], equal["gold"], ordinal_positions(equal, {"Refused"}), 2, 1.0)["ordinal_similarity"] is None


def independent_tally(shared_data) -> dict:
    """The join done again from the files: (question, options less Refused) -> option_ordinal."""
    info = {}
    for path in sorted((shared_data / "opinionqa/atp_waves").glob("*/info.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                options = tuple(o for o in ast.literal_eval(row["references"]) if o != "Refused")
                info.setdefault((row["question"].strip(), options), set()).add(
                    tuple(float(x) for x in ast.literal_eval(row["option_ordinal"])))
    tally = dict.fromkeys(["matched", "unmatched", "same", "reordered", "dropped", "all_equal"], 0)
    for row in json.loads((shared_data / MP_FILE).read_text(encoding="utf-8")):
        if len(row["options"]) < 2:
            continue  # the loader skips single-option rows
        question = re.match(r"Question: (.*?)\nOptions: ", row["question"], re.S).group(1).strip()
        found = info.get((question, tuple(row["options"])))
        if not found:
            tally["unmatched"] += 1
            continue
        assert len(found) == 1  # no question has two different position lists
        (ordinal,) = found
        k = len(row["options"])
        tally["matched"] += 1
        tally["all_equal" if len(set(ordinal)) < 2 else "dropped" if len(ordinal) < k
              else "same" if list(ordinal) == list(range(1, k + 1)) else "reordered"] += 1
    return tally


def test_join_counts_equal_an_independent_tally(shared_data, dataset):
    want = independent_tally(shared_data)
    join = dataset.checks["ordinal_join"]
    assert (join["matched"], join["unmatched"], join["ambiguous"]) == (want["matched"], want["unmatched"], 0)
    tally = ordinal_tally(dataset.items, {"Refused"})
    assert tally == {"option_order": want["unmatched"], "from_data": want["matched"],
                     "same_as_option_order": want["same"], "reordered": want["reordered"],
                     "options_dropped": want["dropped"], "all_equal": want["all_equal"]}
    # The figures issue 16 reported from the reference run.
    assert (want["matched"], want["reordered"], want["dropped"], want["all_equal"]) == (4111, 764, 144, 18)
    assert want["unmatched"] == 348 and want["same"] == 3185


def test_data_hash_covers_the_info_csv_files(shared_data, dataset):
    from pluralbench.hashing import sha256_file

    assert dataset.sha256 != sha256_file(shared_data / MP_FILE)
    assert dataset.source["ordinal_positions"] == str(shared_data / "opinionqa/atp_waves")
