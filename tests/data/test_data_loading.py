"""Loading multiple-choice data files: good rows normalise, bad rows fail naming file, row and field."""
import json

import pytest

from conftest import mc_row, write_mc_file
from pluralbench.data.multiple_choice import load_modular_pluralism_mc, mc_prompt, parse_options, parse_selections
from pluralbench.errors import DataError


def load(tmp_path, rows):
    return load_modular_pluralism_mc(write_mc_file(tmp_path / "d.json", rows), {})


def test_valid_rows_normalise(tmp_path):
    ds = load(tmp_path, [mc_row(1), mc_row(2, gold=(0.2, 0.8), attribute="Peru")])
    assert [it["id"] for it in ds.items] == ["1", "2"]
    assert ds.items[1]["options"] == ["Yes", "No"] and ds.items[1]["group"] == "Peru"
    assert ds.checks["renormalised_rows"] == 0 and len(ds.sha256) == 64


def test_sum_off_is_renormalised_and_counted(tmp_path):
    ds = load(tmp_path, [mc_row(1, gold=(0.5, 0.3, 0.19)), mc_row(2)])  # off by 0.01: inside REFERENCE_SUM_LIMIT
    assert ds.items[0]["gold"] == pytest.approx([0.5 / 0.99, 0.3 / 0.99, 0.19 / 0.99], abs=1e-15)
    assert ds.checks["renormalised_rows"] == 1 and ds.checks["renormalised_ids"] == ["1"]


def test_sum_far_from_one_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"row 0 \(id 1\) field 'gold_distribution': sums to 4, not 1"):
        load(tmp_path, [mc_row(1, gold=(2, 1, 1)), mc_row(2)])  # counts, not a distribution


@pytest.mark.parametrize("gold, fragment", [
    ((0.5, -0.1, 0.6), "negative"),
    ((0.5, float("nan"), 0.5), "not finite"),
    ((0, 0, 0), "all values are zero"),
    ((0.5, 0.5), "has 2 values but there are 3 options"),
])
def test_bad_distributions_name_row_and_field(tmp_path, gold, fragment):
    rows = [mc_row(1), mc_row(7)]
    rows[1]["gold_distribution"] = list(gold)
    rows[1]["options"] = ["Yes", "No", "Maybe"]
    path = write_mc_file(tmp_path / "d.json", rows)
    with pytest.raises(DataError) as err:
        load_modular_pluralism_mc(path, {})
    message = str(err.value)
    assert str(path) in message and "row 1" in message and "(id 7)" in message
    assert "'gold_distribution'" in message and fragment in message


def test_duplicate_ids_and_missing_fields(tmp_path):
    with pytest.raises(DataError, match=r"row 1 \(id 1\) field 'id': duplicate id \(first seen at row 0\)"):
        load(tmp_path, [mc_row(1), mc_row(1)])
    row = mc_row(3)
    del row["options"]
    with pytest.raises(DataError, match=r"row 0 \(id 3\) field 'options': missing"):
        load(tmp_path, [row])


def test_empty_non_list_bad_json_and_non_utf8(tmp_path):
    with pytest.raises(DataError, match="empty"):
        load(tmp_path, [])
    with pytest.raises(DataError, match="expected a JSON list"):
        load(tmp_path, {"a": 1})
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1,\n "question": }]')
    with pytest.raises(DataError, match=r"invalid JSON at line 2"):
        load_modular_pluralism_mc(bad, {})
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps([mc_row(1)]).encode().replace(b"Yes", b"S\xed"))
    with pytest.raises(DataError, match="not valid UTF-8"):
        load_modular_pluralism_mc(latin, {})


def test_hub_selections_parse_without_eval():
    # The layout of Anthropic/llm_global_opinions' `selections` and `options` fields.
    text = "defaultdict(<class 'list'>, {'Belgium': [0.18, 0.58, 0.24], 'S. Africa': [0.3, 0.3, 0.4]})"
    assert parse_selections(text) == {"Belgium": [0.18, 0.58, 0.24], "S. Africa": [0.3, 0.3, 0.4]}
    assert parse_options("['Good', 'Bad', 'DK/Refused']") == ["Good", "Bad", "DK/Refused"]
    with pytest.raises(ValueError):
        parse_selections("defaultdict(<class 'list'>, {'x': __import__('os').getcwd()})")


def test_hub_prompt_matches_the_local_file_layout(shared_data):
    rows = json.loads((shared_data / "modular_pluralism/distributional_test_globalopinionqa_small.json").read_text())
    row = rows[0]
    question = row["question"].split("\nOptions:")[0].removeprefix("Question: ")
    template = "Question: {question}\nOptions: {options}\nAnswer:"
    assert mc_prompt(question, row["options"], template) == row["question"]


def test_the_task_template_renders_local_rows_too(shared_data):
    """prompt.template decides GlobalOpinionQA's prompts offline as on the hub: the shipped template gives every
    row its stored prompt back, another template re-renders the bare question, and the 3 rows laid out
    otherwise keep their own prompt and are counted."""
    from pluralbench.data.loading import LoadContext
    from pluralbench.data.multiple_choice import MC_TEMPLATE

    path = shared_data / "modular_pluralism/distributional_test_globalopinionqa_small.json"
    rows = {str(row["id"]): row for row in json.loads(path.read_text())}
    shipped = load_modular_pluralism_mc(path, {}, LoadContext(prompt_template=MC_TEMPLATE))
    assert [item["prompt"] for item in shipped.items] == [rows[item["id"]]["question"] for item in shipped.items]
    assert "prompt_kept_as_given_rows" not in shipped.checks

    other = load_modular_pluralism_mc(path, {}, LoadContext(prompt_template="Q: {question}\n{options}\nPick one:"))
    first = other.items[0]
    question = rows[first["id"]]["question"].split("\nOptions: ")[0].removeprefix("Question: ")
    assert first["prompt"] == f"Q: {question}\n{mc_prompt('', first['options'], '{options}')}\nPick one:"
    kept = other.checks["prompt_kept_as_given_ids"]
    assert other.checks["prompt_kept_as_given_rows"] == len(kept) == 3
    assert all(item["prompt"] == rows[item["id"]]["question"] for item in other.items if item["id"] in kept)
    assert all(item["prompt"].startswith("Q: ") for item in other.items if item["id"] not in kept)


def test_has_visible_text_matches_a_scan_of_every_character():
    """The first-character shortcut must agree with the plain definition (any character outside Z and C)."""
    import unicodedata

    from pluralbench.data.files import has_visible_text

    def scan(text):
        return any(unicodedata.category(c)[0] not in "ZC" for c in text)

    texts = ["", " ", "\t\n", "\u200b", "\u200b\u200b ", "\u200bx", " \u00a0\u2003", "\u00a0a", "a", " yes ",
             "\ufeff", "\ufeff\u200d!", "\x00\x01", "\x00.", "\u2028\u2029", "é", "\u0301"]
    assert [has_visible_text(t) for t in texts] == [scan(t) for t in texts]
    assert [scan(t) for t in texts].count(True) == 8  # the catalogue holds both kinds
