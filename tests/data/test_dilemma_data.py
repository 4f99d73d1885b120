"""DailyDilemmas loaders against independent tallies of the real files (pandas and ast here, the csv
module in the loaders), the per-action parser on the real `_test` file both as a file and as hub rows,
the principle/dilemma derivation checked against the files' own selected/neglected records, and
one-line errors naming file, row and field."""
from __future__ import annotations

import ast
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from conftest import assert_user_error, run_cli
from pluralbench.data import daily_dilemmas as dd
from pluralbench.data import dilemma_principles as dp
from pluralbench.errors import DataError

pytestmark = pytest.mark.shared_data
SAMPLE = "dilemmas_with_detail_by_action_test.csv"
FRAMEWORK_COLUMNS = {"wvs": "WVS", "mft": "MFT", "virtue": "Virtue", "emotion": "Emotion", "maslow": "Maslow"}


@pytest.fixture(scope="module")
def folder(shared_data) -> Path:
    return shared_data / "daily_dilemmas"


@pytest.fixture(scope="module")
def actions(folder):
    return dd.load_daily_dilemmas_actions(folder, {})


@pytest.fixture(scope="module")
def principles(folder):
    return dp.load_daily_dilemmas_principles(folder, {})


def literal(text: str):
    """The test's own reading of the files' Python-literal text (pandas wrote nan, defaultdict reprs)."""
    text = re.sub(r"\bnan\b", "None", text)
    text = re.sub(r"defaultdict\(<[^,]*>, (\{.*?\})\)", r"\1", text)
    return ast.literal_eval(text)


# dilemma.csv and values.csv -----------------------------------------------------------------------------------

def test_every_dilemma_is_an_item_in_file_order(folder, actions):
    frame = pd.read_csv(folder / "dilemma.csv")
    assert len(frame) == 1360 == len(actions.items) and frame["idx"].is_unique
    assert [it["id"] for it in actions.items] == [str(i) for i in frame["idx"]]
    texts = frame["dilemma_situation"]
    assert actions.checks["dilemma_text_stripped"] == int((texts != texts.str.strip()).sum()) == 3
    assert actions.checks["dilemma_text_unwrapped"] == int(texts.str.strip().str.startswith('<"').sum()) == 1
    assert all(not it["dilemma"].startswith("<") and it["dilemma"] == it["dilemma"].strip() for it in actions.items)


def test_values_csv_blank_dimensions_are_counted(folder, actions):
    frame = pd.read_csv(folder / "values.csv")
    assert actions.checks["values"] == len(frame) == 301
    for framework, column in FRAMEWORK_COLUMNS.items():
        assert actions.checks[f"values_without_{framework}"] == int(frame[column].isna().sum())
    values = dd.load_values(folder / "values.csv", Counter())
    assert values["honesty"] == {"wvs": None, "mft": "Fairness", "virtue": "Truthfulness", "emotion": "trust",
                                 "maslow": "self-esteem"}


def test_topic_groups_and_action_values_only_where_the_per_action_file_has_them(folder, actions):
    frame = pd.read_csv(folder / SAMPLE)
    groups = dict(zip(frame["idx"].astype(str), frame["topic_group"]))
    with_values = [it for it in actions.items if it["actions"] is not None]
    assert {it["id"]: it["group"] for it in with_values} == groups and len(groups) == 4
    assert actions.checks["with_topic_group"] == actions.checks["with_action_values"] == 4
    assert all(it["group"] is None for it in actions.items if it["actions"] is None)


# the per-action format ------------------------------------------------------------------------------------------

def test_per_action_sample_parsed_row_by_row(folder, actions):
    frame = pd.read_csv(folder / SAMPLE)
    assert len(frame) == 8 and Counter(frame["action_type"]) == {"to_do": 4, "not_to_do": 4}
    by_id = {it["id"]: it for it in actions.items}
    for _, row in frame.iterrows():
        action = by_id[str(row["idx"])]["actions"][row["action_type"]]
        assert action["values"] == literal(row["values_names"])
        assert action["action"] == row["action"]
        for framework in FRAMEWORK_COLUMNS:
            assert action["frameworks"][framework] == literal(row[framework])
        assert by_id[str(row["idx"])]["recorded"] == {"gpt-4": row["model_resp_gpt4_clean"],
                                                       "gpt-3.5": row["model_resp_gpt35_clean"]}


def test_per_action_frameworks_agree_with_values_csv(folder, actions):
    frame, values = pd.read_csv(folder / SAMPLE), pd.read_csv(folder / "values.csv").set_index("value")
    differing = missing = 0
    for _, row in frame.iterrows():
        for k, name in enumerate(literal(row["values_names"])):
            if name not in values.index:
                missing += 1
                continue
            for framework, column in FRAMEWORK_COLUMNS.items():
                expected = values.loc[name, column]
                differing += literal(row[framework])[k] != (None if pd.isna(expected) else expected)
    assert actions.checks.get("action_value_framework_entries_differing_from_values_csv", 0) == differing == 0
    assert actions.checks.get("action_values_not_in_values_csv", 0) == missing == 0


def test_hub_rows_take_the_same_parser(folder, actions, monkeypatch):
    """The hub's per-action configuration has the file's columns without the recorded answers; its
    rows come as dicts with integer ids. They must give the file's dilemmas and values."""
    frame = pd.read_csv(folder / SAMPLE).drop(columns=["model_resp_gpt35_clean", "model_resp_gpt4_clean"])
    rows = [{k: (int(v) if k == "idx" else v) for k, v in row.items()} for row in frame.to_dict("records")]
    monkeypatch.setattr(dd, "load_hub_dataset", lambda hub, split: rows)
    hub = dd.load_daily_dilemmas_actions_hub({"path": "kellycyy/daily_dilemmas", "format": "x"}, {})
    from_file = {it["id"]: it for it in actions.items if it["actions"] is not None}
    assert [it["id"] for it in hub.items] == list(from_file) and hub.checks["dilemmas"] == 4
    for item in hub.items:
        assert item["actions"] == from_file[item["id"]]["actions"] and item["recorded"] == {}
        assert item["dilemma"] == from_file[item["id"]]["dilemma"] and item["group"] == from_file[item["id"]]["group"]


# the principle files -------------------------------------------------------------------------------------------

def steered_records(folder):
    """(principle index, dilemma id, side, status, value, GPT-4's action in that run) for every record of both runs."""
    for side, short in dp.SIDES.items():
        frame = pd.read_csv(folder / dp.RUN_FILES[side])
        for k, row in frame.iterrows():
            answers = literal(row[f"system_prompt_{short}_value_dilemma_model_resp_action"])
            for value_side, value_short in dp.SIDES.items():
                recs = literal(row[f"system_prompt_{short}_value_system_prompt_dilemma_{value_short}_values_data_dict_idx"])
                for value, by_status in recs.items():
                    for status, ids in by_status.items():
                        for i in ids:
                            action = {"Action 1": "to_do", "Action 2": "not_to_do"}[answers[i]]
                            yield k, str(i), value_side, status, value, action


def test_principle_pairs_match_the_files(folder, principles):
    base, dilemmas = pd.read_csv(folder / dp.PRINCIPLES_FILE), set(pd.read_csv(folder / "dilemma.csv")["idx"])
    pairs = [(k, i) for k, ids in enumerate(base["real_conflict_dilemma_idx"].map(literal)) for i in ids]
    assert len(base) == 16 and len(pairs) == 164 and all(i in dilemmas for _, i in pairs)
    assert [it["id"] for it in principles.items] == [f"{k}:{i}" for k, i in pairs]
    assert principles.checks["dilemmas"] == len({i for _, i in pairs}) == 128
    sup = pd.read_csv(folder / dp.RUN_FILES["supporting"])
    assert [it["principle"] for it in principles.items] == [sup["principle"][k].strip() for k, _ in pairs]
    assert principles.checks["gpt4_answers_normalised"] == 2 * 164
    assert principles.checks["gpt4_answers_differing_from_clean_column"] == 0


def test_supporting_actions_against_every_record(folder, principles):
    """Each record says which action carries the supporting side (a supporting value selected: the chosen
    action; neglected: the other; opposing values the reverse). Count agreements with the derivation;
    every disagreement must be a record the derivation sets aside as a substring match."""
    derived = {it["id"]: it["supporting_action"] for it in principles.items}
    records = list(steered_records(folder))
    recorded_at = Counter((k, i, value) for k, i, _, _, value, _ in records)
    agree, disagree = 0, []
    for k, i, side, status, value, action in records:
        on = action if status == "selected" else dp.OTHER[action]
        says = on if side == "supporting" else dp.OTHER[on]
        if says == derived[f"{k}:{i}"]:
            agree += 1
        else:
            disagree.append((k, i, value))
    assert (agree, len(disagree)) == (730, 42)
    assert principles.checks["records_agreeing"] == 730 and principles.checks["records_disagreeing"] == 42
    for k, i, value in disagree:
        both_sides = recorded_at[(k, i, value)] > 1 and len({s for kk, ii, _, s, v, _ in records
                                                               if (kk, ii, v) == (k, i, value)}) == 2
        inside_another = any(value != other and value in other for kk, ii, other in recorded_at if (kk, ii) == (k, i))
        assert both_sides or inside_another, (k, i, value)
    assert principles.checks["pairs_unanimous"] == 164 and "pairs_undetermined" not in principles.checks
    assert Counter(derived.values()) == {"to_do": 117, "not_to_do": 47}


def test_gpt4_reference_answers(principles):
    """GPT-4's steered answers come from the files; its unsteered answer is read back from the records."""
    recorded = [(it["supporting_action"], it["recorded"]["gpt-4"]) for it in principles.items]
    assert principles.checks["gpt4_unsteered_inferred"] == 164
    tally = Counter((r["supporting_prompt"] == s, r["opposing_prompt"] == s, r["unsteered"] == s) for s, r in recorded)
    assert sum(n for (sup, _, _), n in tally.items() if sup) == 116
    assert sum(n for (_, opp, _), n in tally.items() if opp) == 110
    assert sum(n for (_, _, uns), n in tally.items() if uns) == 113


# errors name the file, row and field ----------------------------------------------------------------------------

def copy_folder(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "daily_dilemmas"
    shutil.copytree(folder, target)
    return target


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bad_rows_name_file_row_and_field(folder, tmp_path):
    bad = copy_folder(folder, tmp_path)
    rewrite(bad / "dilemma.csv", "\n1,107,", "\n1,55,")
    with pytest.raises(DataError, match=r"dilemma\.csv row 1 \(id 55\) field 'idx': duplicate dilemma id"):
        dd.load_daily_dilemmas_actions(bad, {})
    shutil.copy(folder / "dilemma.csv", bad / "dilemma.csv")
    rewrite(bad / SAMPLE, "['Fairness', 'Authority', 'Fairness', 'Authority', 'Loyalty', 'Fairness', 'Fairness']",
            "['Fairness']")
    with pytest.raises(DataError, match=r"_test\.csv row 0 \(id 55\) field 'mft': lists 1 entries for 7 values_names"):
        dd.load_daily_dilemmas_actions(bad, {})
    rewrite(bad / dp.PRINCIPLES_FILE, '"[18656, 10210,', '"[18656 10210,')
    with pytest.raises(DataError, match=r"system_prompt\.csv row 0 .* field 'real_conflict_dilemma_idx': not a Python"):
        dp.load_daily_dilemmas_principles(bad, {})


def test_bad_data_exits_2_before_any_model_loads(folder, tmp_path, isolated_env):
    bad = copy_folder(folder, tmp_path)
    rewrite(bad / SAMPLE, "\n55,taking initiative.", "\nx55,taking initiative.")
    result = run_cli(["run", "--tasks", "dailydilemmas_actions", "--model", "embedded:smollm2-135m-instruct",
                      "--data-dir", str(tmp_path), "--output", str(tmp_path / "out"), "--no-progress"], env=isolated_env)
    assert_user_error(result, SAMPLE, "row 0", "field 'idx'", "must be a whole number")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
