"""Task files: `include:` (merge, nesting, cycles, the hash a run's identity records) and loader options in
`data.options` (declared per data format, refused in `params`)."""
from __future__ import annotations

import pytest

from conftest import REPO, mc_row, write_mc_file
from pluralbench.data import load_task_data
from pluralbench.errors import UserError
from pluralbench.hashing import sha256_json, sha256_text
from pluralbench.runner.execute import loader_context
from pluralbench.taskfile import get_task, load_task_file
from pluralbench.task_include import merge
from pluralbench.validation import detect

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"
TASK = ("name: t\nversion: 1\nfamily: multiple_choice_distribution\ndescription: x\n"
        "data: {local: {path: " + GOQA + ", format: modular_pluralism_mc}}\n"
        "params: {metrics: [{name: jsd, metric: js_distance, direction: lower}], notes: [a, b]}\n")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# include: -------------------------------------------------------------------------------------------------

def test_full_opinionqa_is_what_the_stand_alone_file_declared():
    """steerable_opinionqa_full includes steerable_opinionqa and states only what differs; merged, it is
    the task the stand-alone file (before includes) declared."""
    base, full = get_task("steerable_opinionqa"), get_task("steerable_opinionqa_full")
    # sha256_json of [data, prompt, params] as the stand-alone file declared them (commit 74b616f)
    assert sha256_json([full.data, full.prompt, full.params]) == (
        "ca70b25975cc4b4d859caf5e746bb0851027046369064fc7ca41600473228f80")
    assert (full.version, full.family, full.citation) == (1, base.family, base.citation)
    assert full.data == {"local": {"path": "opinionqa/atp_waves", "format": "opinionqa_waves"}}
    assert full.prompt == {"answer_prefix": "Answer:", "template": "Question: {question}\nOptions: {options}\nAnswer:"}
    assert list(full.params) == list(base.params)  # same keys, same order
    assert {k: v for k, v in full.params.items() if k not in ("headline", "notes")} == {
        k: v for k, v in base.params.items() if k not in ("headline", "notes")}
    assert full.params["headline"] == "ordinal_similarity" and len(full.params["notes"]) == 4


def test_mappings_merge_lists_and_scalars_replace():
    base = {"a": 1, "m": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2], "s": {"k": 1}}
    override = {"m": {"y": {"q": 3}, "z": 4}, "l": [3], "s": "scalar", "b": 2}
    assert merge(base, override) == {"a": 1, "m": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "l": [3], "s": "scalar",
                                     "b": 2}
    assert list(merge(base, override)) == ["a", "m", "l", "s", "b"]
    assert base["m"]["y"] == {"p": 1, "q": 2}  # the base is not changed


def test_nested_includes_merge_in_order_and_the_hash_covers_every_file(tmp_path):
    base = write(tmp_path, "bases/base.yaml", TASK)
    middle = write(tmp_path, "bases/middle.yaml", "include: base.yaml\ndescription: middle\n")
    child = write(tmp_path, "child.yaml", "include: bases/middle.yaml\nname: child\nparams: {notes: [c]}\n")
    task = load_task_file(child)
    assert (task.name, task.description, task.params["notes"]) == ("child", "middle", ["c"])
    assert task.params["metrics"][0]["name"] == "jsd" and task.path == str(child)
    texts = [p.read_text() for p in (child, middle, base)]
    assert task.file_sha256 == sha256_json(texts)
    assert load_task_file(base).file_sha256 == sha256_text(texts[2])  # no include: the file's own hash, as before
    base.write_text(TASK.replace("description: x", "description: y"))
    assert load_task_file(child).file_sha256 != task.file_sha256  # a changed base is a different run


def test_include_by_task_name_and_by_path(tmp_path):
    mpi = get_task("distributional_mpi")
    own = "name: mpi_human\ndata: {options: {human_distributions: human.json}}\n"
    by_name = load_task_file(write(tmp_path, "a.yaml", "include: distributional_mpi\n" + own))
    by_path = load_task_file(write(tmp_path, "b.yaml", f"include: {REPO / 'tasks' / 'distributional_mpi.yaml'}\n" + own))
    for task in (by_name, by_path):
        assert task.data == {**mpi.data, "options": {"human_distributions": "human.json"}}
        assert (task.prompt, task.params) == (mpi.prompt, mpi.params)
        assert task.family_impl().metric_parameters(task)["human_distributions"] == "human.json"
    assert detect(tmp_path / "a.yaml") == "task"  # names no family itself: its base does


@pytest.mark.parametrize("files, fragments", [
    ({"a.yaml": "include: b.yaml\n", "b.yaml": "include: a.yaml\n"}, ["include cycle", "a.yaml -> ", "b.yaml -> "]),
    ({"a.yaml": "include: a.yaml\n" + TASK}, ["include cycle"]),
    ({"a.yaml": "include: nowhere.yaml\n"}, ["$.include: no task file", "nowhere.yaml"]),
    ({"a.yaml": "include: no_such_task\n"}, ["$.include: unknown task 'no_such_task'", "distributional_mpi"]),
    ({"a.yaml": "include: [b.yaml]\n"}, ["$.include: expected a file name"]),
    ({"a.yaml": "include: b.yaml\n", "b.yaml": "- a list\n"}, ["b.yaml: a task file must be a YAML mapping"]),
    ({"a.yaml": "include: b.yaml\nname: a\n", "b.yaml": "name: !!python/name:os.system\n"}, ["not allowed"]),
    ({"a.yaml": "include: b.yaml\n", "b.yaml": "description: partial\n"}, ["a.yaml", "'name' is a required"]),
])
def test_bad_includes_are_one_line_errors(tmp_path, files, fragments):
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(UserError) as err:
        load_task_file(tmp_path / "a.yaml")
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


# data.options -----------------------------------------------------------------------------------------------

def test_loader_options_are_refused_in_params(tmp_path):
    shipped = (REPO / "tasks" / "jury_polis.yaml").read_text()
    with pytest.raises(UserError, match=r"\(params\): \$: Additional properties .*'sample_seed' was unexpected"):
        load_task_file(write(tmp_path, "jury_polis.yaml", shipped + "  sample_seed: 1\n"))


def test_data_options_are_checked_against_the_formats(tmp_path):
    write(tmp_path, "base.yaml", TASK)
    with pytest.raises(UserError, match=r"\(data.options for modular_pluralism_mc\): \$: Additional properties are "
                                        r"not allowed \('sample_seed' was unexpected\)"):
        load_task_file(write(tmp_path, "t.yaml", "include: base.yaml\ndata: {options: {sample_seed: 1}}\n"))
    with pytest.raises(UserError, match=r"\(data.options for polis_conversations\): \$.sample_seed: 'one'"):
        load_task_file(write(tmp_path, "p.yaml", "include: jury_polis\ndata: {options: {sample_seed: one}}\n"))
    with pytest.raises(UserError, match=r"\$.data.local.format: unknown data format 'nope'"):
        load_task_file(write(tmp_path, "f.yaml", "include: jury_polis\ndata: {local: {format: nope}}\n"))


def test_gold_field_can_now_be_set(tmp_path):
    rows = [mc_row(i) | {"survey_gold": [0.1, 0.2, 0.7]} for i in (1, 2)]
    write_mc_file(tmp_path / "data" / GOQA, rows)
    task = load_task_file(write(tmp_path, "t.yaml", "include: distributional_globalopinionqa\nname: t\n"
                                                    "data: {options: {gold_field: survey_gold}}\n"))
    dataset = load_task_data(task.data, loader_context(task, tmp_path / "data"))
    assert [it["gold"] for it in dataset.items] == [[0.1, 0.2, 0.7]] * 2
