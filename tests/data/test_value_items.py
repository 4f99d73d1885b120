"""The ValuePrism, valence, DailyDilemmas and Value FULCRA loaders hand their families typed items
(core/items.py), each family declares the type it reads, and a dict item missing a field (a plugin
loader's) fails at load with one line naming the item and the field."""
from __future__ import annotations

import dataclasses
import json

import pytest

from pluralbench.core.items import DialogueItem, DilemmaItem, OvertonItem, PrincipleItem, ValenceItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.loading import LoadContext, typed
from pluralbench.data.valence import load_valence
from pluralbench.data.value_fulcra import load_value_fulcra
from pluralbench.data.valueprism import load_valueprism_overton
from pluralbench.errors import DataError, UserError
from pluralbench.taskfile import get_task

FAMILY_ITEMS = {"overton_valueprism": OvertonItem, "steerable_valueprism": ValenceItem,
                "dailydilemmas_actions": DilemmaItem, "dailydilemmas_principles": PrincipleItem,
                "value_fulcra_recognition": DialogueItem}


def write_json(path, rows):
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def test_local_loaders_build_typed_items(tmp_path):
    overton = load_valueprism_overton(write_json(tmp_path / "vk.json", [
        {"id": 7, "situation": "Lying to a friend", "vrd": ["Honesty", "Duty to be kind"],
         "explanation": ["Lying is dishonest.", "Friends care."], "input": None, "output": None}]), {},
        LoadContext(prompt_template="Comment on: {situation}")).items
    assert overton == [OvertonItem(id="7", prompt="Comment on: Lying to a friend", situation="Lying to a friend",
                                   vrds=[{"text": "Honesty", "kind": "value", "explanation": "Lying is dishonest."},
                                         {"text": "Duty to be kind", "kind": "duty", "explanation": "Friends care."}])]
    assert type(overton[0]) is OvertonItem and overton[0].vrds[1]["kind"] == "duty"
    valence = load_valence(write_json(tmp_path / "v.json", [
        {"id": 3, "situation": "Lying", "vrd": "Right to truth", "label": "B", "label_text": "Opposes",
         "input": "Lying / Right to truth\nA. Support B. Oppose C. Either\nAnswer:", "output": "B"}]), {}).items
    assert type(valence[0]) is ValenceItem
    assert (valence[0].label, valence[0].vrd_type, valence[0].situation) == ("B", "right", "Lying")
    line = {"dialogue": "Human: hi\nBob: hello", "value_types": ["benevolence: +1"], "response_source": "gpt-4"}
    (tmp_path / "f.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    (dialogue,) = load_value_fulcra(tmp_path / "f.jsonl", {}).items
    assert type(dialogue) is DialogueItem and dialogue.id == "1" and dialogue.response_source == "gpt-4"
    assert dialogue.labels["benevolence"] == 1 and dialogue.labels["power"] == 0


def test_a_template_naming_a_field_the_situation_lacks_is_one_line(tmp_path):
    path = write_json(tmp_path / "vk.json", [{"id": 1, "situation": "x", "vrd": ["Honesty"], "explanation": ["e"],
                                              "input": None}])
    with pytest.raises(UserError) as err:
        load_valueprism_overton(path, {}, LoadContext(prompt_template="{situation} as {persona}"))
    assert str(err.value).startswith("prompt.template (ValuePrism situations): the template names {persona}")
    assert "\n" not in str(err.value)


@pytest.mark.shared_data
def test_dilemma_loaders_build_typed_items(shared_data):
    from pluralbench.data.daily_dilemmas import load_daily_dilemmas_actions
    from pluralbench.data.dilemma_principles import load_daily_dilemmas_principles

    dilemmas = load_daily_dilemmas_actions(shared_data / "daily_dilemmas", {}).items
    assert all(type(it) is DilemmaItem for it in dilemmas)
    known = [it for it in dilemmas if it.actions is not None]
    assert known and all(list(it.actions) == ["to_do", "not_to_do"] and it.group for it in known)
    assert all(it.group is None and it.topic is None and it.recorded == {} for it in dilemmas if it.actions is None)
    principles = load_daily_dilemmas_principles(shared_data / "daily_dilemmas", {}).items
    assert all(type(it) is PrincipleItem for it in principles)
    assert {it.supporting_action for it in principles} == {"to_do", "not_to_do"}
    assert all(it.id == f"{it.id.split(':')[0]}:{it.dilemma_id}" and it.group == it.principle for it in principles)


@pytest.mark.parametrize("task_name", sorted(FAMILY_ITEMS))
def test_each_family_declares_its_item_type_and_refuses_a_dict_missing_a_field(task_name):
    item_type = get_task(task_name).family_impl().item_type
    assert item_type is FAMILY_ITEMS[task_name]
    fields = [f.name for f in dataclasses.fields(item_type)]
    complete = {name: "x" for name in fields}
    assert type(typed(Dataset([complete], {}, "0"), item_type, "plugin.json").items[0]) is item_type
    dropped = fields[-1]
    with pytest.raises(DataError) as err:
        typed(Dataset([{k: v for k, v in complete.items() if k != dropped}], {}, "0"), item_type, "plugin.json")
    assert str(err.value) == f"plugin.json (id x) field {dropped!r}: missing (a {item_type.__name__} needs it)"


def test_prompt_templates_naming_unknown_fields_are_one_line():
    recognition = get_task("value_fulcra_recognition")
    bad = dataclasses.replace(recognition, prompt=recognition.prompt | {"template": "{dialogue} {persona}"})
    item = DialogueItem(id="1", dialogue="Human: hi\nBob: hello", response_source="gpt-4", labels={})
    with pytest.raises(UserError, match=r"^task value_fulcra_recognition prompt.template: the template names "
                                        r"\{persona\}, which this task does not provide"):
        bad.family_impl().requests(bad, [item])
    principles = get_task("dailydilemmas_principles")
    steered = dataclasses.replace(principles, params=principles.params | {"system_template": "{system_prompt} {x}"})
    item = PrincipleItem(id="0:7", group="p", principle="p", dilemma_id="7", dilemma="Should you?",
                         system={"supporting": "s", "opposing": "o"}, supporting_action="to_do", recorded={})
    with pytest.raises(UserError, match=r"^task dailydilemmas_principles params.system_template: the template "
                                        r"names \{x\}"):
        steered.family_impl().requests(steered, [item])


def test_dilemma_prompts_are_the_lettered_actions_in_the_template():
    """The actions listed under A./B. on one line, in each order, exactly as the shipped template says."""
    task = get_task("dailydilemmas_actions")
    item = DilemmaItem(id="1", dilemma="Should you?", group=None, topic=None, actions=None, recorded={})
    first, second = task.family_impl().requests(task, [item])[0]
    wording = task.params["actions"]
    assert first.prompt == task.prompt["template"].format(
        question="Should you?", options=f"A. {wording['to_do']} B. {wording['not_to_do']}")
    assert second.prompt == task.prompt["template"].format(
        question="Should you?", options=f"A. {wording['not_to_do']} B. {wording['to_do']}")


def test_dilemma_families_share_one_params_schema_header():
    from pluralbench.families.common import BOOTSTRAP_SCHEMA, NOTES_SCHEMA
    from pluralbench.families.two_actions import ACTIONS_SCHEMA

    actions = get_task("dailydilemmas_actions").family_impl().params_schema
    principles = get_task("dailydilemmas_principles").family_impl().params_schema
    assert actions == {"type": "object", "additionalProperties": False, "required": ["actions"],
                       "properties": {"actions": ACTIONS_SCHEMA, "bootstrap": BOOTSTRAP_SCHEMA, "notes": NOTES_SCHEMA}}
    assert list(principles["properties"]) == ["actions", "system_template", "bootstrap", "notes"]
    assert {k: v for k, v in principles.items() if k != "properties"} == {
        k: v for k, v in actions.items() if k != "properties"}
