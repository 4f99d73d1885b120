"""Typed items (core/items.py): declared fields, a mapping view of the set fields, immutability, and the
one-line error for a plugin loader's dict that does not fit its family's item type."""
import dataclasses

import pytest

from pluralbench.core.items import ABSENT, JuryItem, OptionItem, as_item
from pluralbench.data.dataset import Dataset
from pluralbench.data.loading import typed
from pluralbench.errors import DataError


def _option_item(**extra):
    return OptionItem(id="q1", prompt="Question?", options=["Yes", "No"], gold=[0.25, 0.75], group="US", **extra)


def test_mapping_view_lists_only_the_fields_a_loader_set_in_declaration_order():
    item = _option_item()
    assert list(item) == ["id", "prompt", "options", "gold", "group"]
    assert item == {"id": "q1", "prompt": "Question?", "options": ["Yes", "No"], "gold": [0.25, 0.75], "group": "US"}
    assert "ordinal_positions" not in item and item.get("respondents") is None
    assert item.ordinal_positions is ABSENT and not item.has("ordinal_positions")
    with pytest.raises(KeyError):
        item["respondents"]


def test_a_field_set_to_none_is_kept_apart_from_a_field_not_set():
    item = JuryItem(id="j", jurors={"a": [1.0]}, pooled=[1.0], jury=None, text="t")
    assert item.as_dict() == {"id": "j", "jurors": {"a": [1.0]}, "pooled": [1.0], "jury": None, "text": "t"}


def test_items_are_immutable_and_replace_adds_a_field():
    item = _option_item()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.gold = [1.0, 0.0]
    joined = dataclasses.replace(item, ordinal_positions=[1.0, 2.0])
    assert joined.has("ordinal_positions") and list(joined)[-1] == "ordinal_positions"
    assert not item.has("ordinal_positions")


@pytest.mark.parametrize("row, message", [
    ({"id": "7", "prompt": "p", "options": ["a"], "group": "g"}, "f.json (id 7) field 'gold': missing"),
    ({"id": "7", "prompt": "p", "options": ["a"], "gold": [1.0], "group": "g", "golds": 1},
     "f.json (id 7) field 'golds': not a OptionItem field"),
])
def test_a_dict_item_that_does_not_fit_is_one_line_naming_the_item_and_field(row, message):
    with pytest.raises(DataError) as err:
        as_item(OptionItem, row, "f.json")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_typed_converts_a_plugin_loaders_dicts_and_keeps_typed_items_as_they_are():
    item = _option_item()
    row = {"id": "q2", "prompt": "P", "options": ["x", "y"], "gold": [0.5, 0.5], "group": "DE"}
    out = typed(Dataset([item, row], {"kind": "local"}, "sha"), OptionItem, "plugin.json")
    assert out.items[0] is item and isinstance(out.items[1], OptionItem) and out.items[1].group == "DE"
    untouched = Dataset([row], {"kind": "local"}, "sha")
    assert typed(untouched, None, "x") is untouched
