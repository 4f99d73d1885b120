"""The survey and personality loaders hand their families typed items (OptionItem, ScaleItem), and a plugin
loader's dict missing a field of the family's item type is refused with one line naming the field."""
import json

import pytest

from pluralbench.core.items import OptionItem, ScaleItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.loading import LoadContext, typed
from pluralbench.data.multiple_choice import load_modular_pluralism_mc
from pluralbench.data.nyt_books import load_nyt_groups
from pluralbench.data.opinionqa_ordinals import load_steerable_opinionqa
from pluralbench.data.opinionqa_waves import load_waves
from pluralbench.errors import DataError, UserError
from pluralbench.families.distributional_mpi import DistributionalMPI
from pluralbench.families.multiple_choice_distribution import MultipleChoiceDistribution
from pluralbench.families.steerable_distribution import SteerableDistribution
from pluralbench.taskfile import get_task


def test_families_declare_their_item_types():
    assert MultipleChoiceDistribution.item_type is OptionItem and SteerableDistribution.item_type is OptionItem
    assert DistributionalMPI.item_type is ScaleItem


def test_mc_loader_builds_option_items(tmp_path):
    rows = [{"id": 7, "question": "Question: q?\nOptions: A. yes B. no\nAnswer:", "options": ["yes", "no"],
             "attribute": "Japan", "gold_distribution": [0.25, 0.75]},
            {"id": 8, "question": "Q2", "options": ["x", "y"], "gold_distribution": [0.5, 0.5]}]
    (tmp_path / "mc.json").write_text(json.dumps(rows))
    items = load_modular_pluralism_mc(tmp_path / "mc.json", {}, LoadContext(prompt_template="{question} | {options}")).items
    assert all(isinstance(it, OptionItem) for it in items)
    first, second = items
    assert (first.id, first.prompt, first.gold, first.group) == ("7", "q? | A. yes B. no", [0.25, 0.75], "Japan")
    assert second.group is None and second.prompt == "Q2"  # not laid out as MC_TEMPLATE: kept as given
    # The optional survey fields are unset, so the item reads as the same five-key mapping as before.
    assert not first.has("ordinal_positions") and dict(first) == {
        "id": "7", "prompt": "q? | A. yes B. no", "options": ["yes", "no"], "gold": [0.25, 0.75], "group": "Japan"}


def test_template_naming_an_unknown_field_is_one_line(tmp_path):
    (tmp_path / "mc.json").write_text(json.dumps([{"id": 1, "question": "Question: q?\nOptions: A. a B. b\nAnswer:",
                                                   "options": ["a", "b"], "gold_distribution": [0.5, 0.5]}]))
    with pytest.raises(UserError, match=r"^prompt.template: the template names \{country\}") as caught:
        load_modular_pluralism_mc(tmp_path / "mc.json", {}, LoadContext(prompt_template="{country}: {question}"))
    assert "\n" not in str(caught.value)


def test_ordinal_join_replaces_items_with_positions(shared_data):
    task = get_task("steerable_opinionqa")
    dataset = load_steerable_opinionqa(shared_data / task.data["local"]["path"], {}, LoadContext(data_dir=shared_data))
    assert all(isinstance(it, OptionItem) for it in dataset.items)
    joined = [it for it in dataset.items if it.has("ordinal_positions")]
    assert len(joined) == dataset.checks["ordinal_join"]["matched"] > 0
    assert all(len(it.ordinal_positions) == len(it.options) for it in joined)


def test_nyt_groups_loader_builds_option_items(shared_data):
    dataset = load_nyt_groups(shared_data / "nyt_books", {}, LoadContext(prompt_template="{title} ({genre})\n{options}"))
    item = dataset.items[0]
    assert isinstance(item, OptionItem) and item.population is None and item.has("population")
    assert item.question_key == item.id.split("|")[0] and item.group.startswith(("POLPARTY_", "SEX_"))
    assert item.prompt.endswith("A. " + item.options[0] + " B. " + item.options[1] + " C. " + item.options[2]
                                + " D. " + item.options[3])
    assert item.ordinal_positions == [1, 2, 3, 4] and sum(item.gold) == pytest.approx(1.0)


@pytest.mark.parametrize("family, row, field", [
    (MultipleChoiceDistribution, {"id": "q1", "prompt": "p", "options": ["a", "b"], "gold": [0.5, 0.5]}, "group"),
    (SteerableDistribution, {"id": "q1", "prompt": "p", "options": ["a", "b"], "group": "SEX_Male"}, "gold"),
    (DistributionalMPI, {"id": "q1", "text": "t", "trait": "N", "facet": "f", "options": ["a"], "prompt": "p"}, "key"),
])
def test_plugin_dict_missing_a_field_is_one_line_naming_it(family, row, field):
    with pytest.raises(DataError) as caught:
        typed(Dataset([row], {}, "sha", {}), family.item_type, "data format 'plugin' (rows.json)")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("data format 'plugin' (rows.json) (id q1)")
    assert f"field {field!r}: missing (a {family.item_type.__name__} needs it)" in message


def test_plugin_dict_with_every_field_becomes_the_typed_item():
    row = {"id": "q1", "prompt": "p", "options": ["a", "b"], "gold": [0.5, 0.5], "group": "g", "respondents": 12.0}
    item = typed(Dataset([row], {}, "sha", {}), OptionItem, "here").items[0]
    assert isinstance(item, OptionItem) and item.respondents == 12.0 and item == row


def test_wave_question_with_more_options_than_letters_is_refused(tmp_path):
    wave = tmp_path / "atp" / "American_Trends_Panel_W1"
    wave.mkdir(parents=True)
    options = [f"option {k}" for k in range(27)]
    (wave / "SEX_data.json").write_text(json.dumps(
        {"Q_W1": {"MC_options": options, "question_text": "Which?", "Male": {"option 0": 3}}}))
    with pytest.raises(DataError, match=r"SEX_data.json \(id Q_W1\) field 'MC_options': has 27 options; at most 26"):
        load_waves(tmp_path / "atp", {})
    (wave / "SEX_data.json").write_text(json.dumps(
        {"Q_W1": {"MC_options": options[:26], "question_text": "Which?", "Male": {"option 0": 3}}}))
    assert load_waves(tmp_path / "atp", {}).items[0].prompt.endswith("Z. option 25\nAnswer:")
