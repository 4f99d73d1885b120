"""The bad-input catalogue: every case exits 2 with one error line naming the file/row/field (no
traceback), and leaves previously written results byte for byte as they were.

Each case builds its own bad input next to a copy of real earlier results (a run directory written by
`pluralbench score` and a leaderboard built from it) and points the command's outputs at them, so a
command that wrote or removed anything before failing would show up in the before/after hashes.

`python tests/reliability/test_bad_input.py` prints the catalogue: each case with the exact message it prints.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

if __name__ == "__main__":  # run as a script: the shared fixtures live one folder up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import assert_user_error, mc_row, run_cli, write_custom_code_model, write_mc_file

GOQA = "modular_pluralism/distributional_test_globalopinionqa_small.json"
TASK = "distributional_globalopinionqa"
LONG_QUESTION = ("Question: " + "The committee discussed the proposal at great length. " * 40
                 + "Is it true?\nOptions: A. Yes B. No C. Maybe\nAnswer:")


# --- the earlier results every case must leave alone ---------------------------------------------------------

def cli(args: list[str], capsys) -> SimpleNamespace:
    """The CLI's main() in this process, with its exit code and what it printed (argparse exits included)."""
    from pluralbench.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones too) -> sha256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def good_rows(n: int = 4) -> list[dict]:
    rows = [mc_row(i, attribute=["Japan", "Peru"][i % 2]) for i in range(1, n + 1)]
    for row in rows:
        row["pred_distribution"] = [0.4, 0.4, 0.2]
    return rows


@pytest.fixture(scope="module")
def earlier_results(tmp_path_factory) -> Path:
    """A finished run directory (from `score`, no model needed) and a leaderboard built from it."""
    from pluralbench.cli import main

    root = tmp_path_factory.mktemp("earlier")
    data = root / "data"
    write_mc_file(data / GOQA, good_rows())
    preds = write_mc_file(root / "preds.json", good_rows())
    assert main(["score", "--task", TASK, "--predictions", str(preds), "--output", str(root / "results" / "runs"),
                 "--data-dir", str(data)]) == 0
    assert main(["leaderboard", str(root / "results" / "runs"), "--out", str(root / "results" / "board")]) == 0
    return root / "results"


@dataclass
class Ctx:
    tmp: Path
    results: Path  # this case's copy of the earlier results: runs/ and board/
    env: dict = field(default_factory=dict)
    after: list = field(default_factory=list)  # extra checks once the command has failed

    @property
    def runs(self) -> Path:
        return self.results / "runs"

    @property
    def run_dir(self) -> Path:
        return next(p for p in self.runs.iterdir() if p.is_dir())

    def data(self, rows) -> Path:
        """A data directory holding the GlobalOpinionQA file with these rows (or these bytes)."""
        path = self.tmp / "data" / GOQA
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(rows, bytes):
            path.write_bytes(rows)
        else:
            write_mc_file(path, rows)
        return self.tmp / "data"

    def file(self, name: str, text: str | bytes) -> Path:
        path = self.tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path

    def run(self, *args) -> list:
        return ["run", "--output", self.runs, "--no-progress", *args]

    def run_task(self, rows, *args) -> list:
        return self.run("--tasks", TASK, "--data-dir", self.data(rows), *args)

    def task_file(self, body: str) -> Path:
        return self.file("bad_task.yaml", body)


TASK_OK = ("name: bad_task\nversion: 1\nfamily: multiple_choice_distribution\ndescription: x\n"
           "data: {local: {path: " + GOQA + ", format: modular_pluralism_mc}}\n")
METRICS_OK = "params: {metrics: [{name: jsd, metric: js_distance, direction: lower}]}\n"


def bad_gold(gold, options=("Yes", "No", "Maybe")) -> list[dict]:
    rows = good_rows(3)
    rows[1]["gold_distribution"] = list(gold)
    rows[1]["options"] = list(options)
    return rows


def incompatible(ctx: Ctx) -> Path:
    """The earlier run as a future pluralbench (results schema 2) would have written it."""
    old = ctx.tmp / "future" / ctx.run_dir.name
    shutil.copytree(ctx.run_dir, old)
    for name in ("metrics.json", "manifest.json"):
        doc = json.loads((old / name).read_text())
        doc["schema_version"] = 2
        doc["pluralbench_version"] = "9.0.0"
        (old / name).write_text(json.dumps(doc))
    return old


def marker_absent(ctx: Ctx, marker: Path):
    ctx.after.append(lambda: not marker.exists() or pytest.fail(f"{marker} was created: code ran"))


# --- the catalogue: case id -> (command, fragments the one error line must contain) ---------------------------
CASES = {}


def case(*marks):
    def register(fn):
        CASES[fn.__name__.removeprefix("case_")] = (fn, marks)
        return fn
    return register


@case()
def case_malformed_yaml_task_file(ctx):
    path = ctx.task_file("name: bad_task\nversion: 1\n  family: [\n")
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [str(path), "malformed YAML at line 3 column 9"]


@case()
def case_task_file_schema_error_json_path(ctx):
    path = ctx.task_file(TASK_OK.replace("version: 1", "version: one") + METRICS_OK)
    return ["validate", path], [str(path), "$.version", "'one' is not of type 'integer'"]


@case()
def case_task_name_climbing_out(ctx):
    """Run directories are named after tasks: a task name cannot hold a path."""
    path = ctx.task_file(TASK_OK.replace("name: bad_task", "name: ../../evil") + METRICS_OK)
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [str(path), "$.name", "'../../evil' does not match"]


@case()
def case_task_params_schema_error_json_path(ctx):
    path = ctx.task_file(TASK_OK + "params: {metrics: []}\n")
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [str(path), "(params)", "$.metrics"]


@case()
def case_assumed_respondents_not_a_count(ctx):
    """An assumed sample size for the sampling floor (docs/reference-points.md) must be a positive count."""
    path = ctx.task_file(f"include: {TASK}\nname: bad_task\nversion: 1\nparams: {{assumed_respondents: 0}}\n")
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [str(path), "(params)", "$.assumed_respondents"]


@case()
def case_include_cycle(ctx):
    first = ctx.file("first.yaml", "include: second.yaml\n" + TASK_OK + METRICS_OK)
    second = ctx.file("second.yaml", "include: first.yaml\n")
    return ["validate", first], [str(first), "include cycle", f"{first} -> {second} -> {first}"]


@case()
def case_include_of_a_missing_file(ctx):
    path = ctx.task_file("include: base.yaml\nname: bad_task\n")
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [str(path), "$.include", "no task file",
                                                             str(ctx.tmp / "base.yaml")]


@case()
def case_loader_option_in_params(ctx):
    """Seeds, sizes and thresholds that only the data loader reads belong in data.options."""
    from pluralbench.taskfile import builtin_task_dirs

    shipped = (builtin_task_dirs()[0] / "jury_polis.yaml").read_text()
    path = ctx.task_file(shipped + "  sample_seed: 1\n")
    return ["validate", path], [str(path), "(params)", "$: Additional properties", "'sample_seed' was unexpected"]


@case()
def case_data_option_no_loader_reads(ctx):
    path = ctx.task_file(TASK_OK.replace("format: modular_pluralism_mc}", "format: modular_pluralism_mc}, "
                                         "options: {sample_seed: 1}") + METRICS_OK)
    return ["validate", path], [str(path), "(data.options for modular_pluralism_mc)", "'sample_seed' was unexpected"]


@case()
def case_task_file_not_utf8(ctx):
    path = ctx.task_file(TASK_OK.encode() + b"description: caf\xe9\n")
    return ["validate", path], [str(path), "not valid UTF-8 (byte 212, line 6)"]


@case()
def case_yaml_python_tag_runs_nothing(ctx):
    marker = ctx.tmp / "MARKER"
    path = ctx.task_file(f"name: !!python/object/apply:os.system ['touch {marker}']\nversion: 1\n")
    marker_absent(ctx, marker)
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [
        str(path), "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed", "cannot import or run code"]


@case()
def case_yaml_function_tag(ctx):
    path = ctx.task_file(TASK_OK + "params: !function my_utils.make_params\n")
    return ["validate", path], [str(path), "line 6", "YAML tag '!function' is not allowed"]


@case()
def case_leaderboard_spec_python_tag(ctx):
    marker = ctx.tmp / "MARKER"
    spec = ctx.file("spec.yaml", f"name: !!python/object/new:os.system ['touch {marker}']\nobjectives: []\n")
    marker_absent(ctx, marker)
    return ["leaderboard", ctx.runs, "--spec", spec, "--out", ctx.results / "board"], [
        str(spec), "YAML tag 'tag:yaml.org,2002:python/object/new:os.system' is not allowed"]


@case()
def case_leaderboard_spec_schema_error(ctx):
    spec = ctx.file("spec.yaml", "name: x\nobjectives: [{name: BAD NAME, task: t, metric: m, direction: lower}]\n")
    return ["leaderboard", ctx.runs, "--spec", spec, "--out", ctx.results / "board"], [str(spec), "$.objectives[0].name"]


@case()
def case_unknown_task(ctx):
    return ctx.run("--tasks", "nope"), ["unknown task 'nope'", "known tasks:", TASK]


@case()
def case_unknown_family_in_task_file(ctx):
    path = ctx.task_file(TASK_OK.replace("multiple_choice_distribution", "my_module.MyFamily") + METRICS_OK)
    return ["validate", path], [str(path), "$.family", "unknown task family 'my_module.MyFamily'",
                                "known task families:", "multiple_choice_distribution"]


@case()
def case_unknown_metric_in_task_file(ctx):
    path = ctx.task_file(TASK_OK + METRICS_OK.replace("js_distance", "os.system"))
    return ["validate", path], [str(path), "$.metrics[0].metric", "unknown metric 'os.system'", "js_distance"]


@case()
def case_metric_of_the_wrong_kind_in_task_file(ctx):
    """A label metric among distribution metrics would score every item 0: refused when the file loads."""
    from pluralbench.taskfile import builtin_task_dirs

    shipped = (builtin_task_dirs()[0] / f"{TASK}.yaml").read_text()
    path = ctx.task_file(shipped.replace("metric: js_similarity", "metric: accuracy"))
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [
        str(path), "$.metrics[2].metric", "metric 'accuracy' is a labels metric", "needs a distribution_pair metric"]


@case()
def case_task_file_direction_contradicts_metric(ctx):
    path = ctx.task_file(TASK_OK + METRICS_OK.replace("direction: lower", "direction: higher"))
    return ["validate", path], [str(path), "$.metrics[0].direction", "'higher' contradicts metric 'js_distance'",
                                "lower is better"]


@case()
def case_unknown_welfare_function_in_task_file(ctx):
    from pluralbench.taskfile import builtin_task_dirs

    shipped = (builtin_task_dirs()[0] / "jury_countries.yaml").read_text()
    path = ctx.task_file(shipped.replace("function: welfare_nash", "function: builtins.eval"))
    return ["validate", path], [str(path), "$.welfare[1].function", "unknown metric 'builtins.eval'", "welfare_nash"]


@case()
def case_jury_template_names_a_field_the_items_lack(ctx):
    """A jury prompt template naming a field its items do not have (before: a KeyError traceback); refused
    before the model loads (requests are built once when the data loads)."""
    question = "Question: Is it true?\nOptions: A. Yes B. No C. Maybe\nAnswer:"
    rows = [mc_row(i, attribute=country, question=question) for i, country in enumerate(("Japan", "Peru", "Chile"), 1)]
    path = ctx.task_file("include: jury_countries\nname: bad_task\nversion: 1\n"
                         "prompt: {template: '{prompt} in {country}', answer_prefix: 'Answer:'}\n")
    return ctx.run("--tasks", path, "--data-dir", ctx.data(rows), "--model", "embedded:smollm2-135m-instruct"), [
        f"{path}: prompt.template", "names {country}, which this task does not provide", "id, options, prompt"]


def alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes that expand to 10**levels values: each anchor lists the previous one ten times."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@case()
def case_task_file_alias_bomb_under_metric_params(ctx):
    bomb = "".join("  " + line + "\n" for line in alias_bomb().splitlines())
    path = ctx.task_file(TASK_OK + "params:\n  metrics: [{name: jsd, metric: js_distance, params: {base: 2}}]\n"
                         "  extra:\n" + bomb)
    return ["validate", path], [str(path), "more than 100,000 values once its aliases are expanded", "alias bomb"]


@case()
def case_task_file_nested_too_deep(ctx):
    path = ctx.task_file(TASK_OK + "params: " + "[" * 1000 + "]" * 1000 + "\n")
    return ctx.run("--tasks", path, "--data-dir", ctx.tmp), [str(path), "nested more than 64 levels deep"]


@case()
def case_task_file_too_large(ctx):
    path = ctx.task_file(TASK_OK + "# " + "x" * 1_100_000 + "\n")
    return ["validate", path], [str(path), "is 1,100,", "bytes; a configuration file may hold at most 1,000,000"]


@case()
def case_leaderboard_spec_alias_bomb(ctx):
    path = ctx.file("bomb_board.yaml", "name: bomb\n" + alias_bomb())
    return ["leaderboard", ctx.runs, "--spec", path, "--out", ctx.results / "board"], [
        str(path), "once its aliases are expanded"]


@case()
def case_unknown_model_kind(ctx):
    return ctx.run_task(good_rows(), "--model", "foo:bar"), ["unknown model kind 'foo'", "embedded, hf"]


@case()
def case_unknown_embedded_model(ctx):
    return ctx.run_task(good_rows(), "--model", "embedded:gpt5"), [
        "unknown embedded model 'gpt5'", "gemma3-270m, smollm2-135m-instruct"]


@case()
def case_hf_gguf_file_outside_the_model_directory(ctx):
    (ctx.tmp / "model").mkdir()
    return ctx.run_task(good_rows(), "--model", f"hf:{ctx.tmp / 'model'},gguf_file=../../../etc/passwd"), [
        "gguf_file '../../../etc/passwd' leads outside the model directory", str(ctx.tmp / "model")]


@case()
def case_hf_local_directory_missing(ctx):
    return ctx.run_task(good_rows(), "--model", "hf:/nonexistent"), ["model hf:/nonexistent: no such directory"]


@case()
def case_hf_gguf_file_not_gguf(ctx):
    ctx.file("m.gguf", "<html>404</html>")
    return ctx.run_task(good_rows(), "--model", f"hf:{ctx.tmp},gguf_file=m.gguf"), [
        str(ctx.tmp / "m.gguf"), "not a GGUF file"]


@case()
def case_unknown_model_option(ctx):
    return ctx.run_task(good_rows(), "--model", "embedded:smollm2-135m-instruct,temperature=2"), [
        "unknown option(s) temperature for embedded models", "max_length"]


@case()
def case_malformed_model_spec(ctx):
    return ctx.run_task(good_rows(), "--model", "hf:x,dtype"), ["model spec 'hf:x,dtype'", "'dtype' is not key=value"]


@case()
def case_unknown_judge(ctx):
    return ctx.run("--tasks", "overton_valueprism", "--judge", "gpt-judge", "--data-dir", ctx.tmp), [
        "unknown judge 'gpt-judge'", "known judges: embedding, kaleido, llm, nli"]


@case()
def case_unknown_leaderboard_spec(ctx):
    return ["leaderboard", ctx.runs, "--spec", "nosuch", "--out", ctx.results / "board"], [
        "unknown leaderboard spec 'nosuch'", "default"]


@case()
def case_view_no_runs(ctx):
    (ctx.tmp / "empty").mkdir()
    return ["view", ctx.tmp / "empty", "--out", ctx.tmp / "page"], [
        str(ctx.tmp / "empty"), "holds no run directories"]


@case()
def case_view_samples_line_not_json(ctx):
    run = ctx.tmp / "broken" / ctx.run_dir.name
    shutil.copytree(ctx.run_dir, run)
    lines = (run / "samples.jsonl").read_text().splitlines()
    lines[1] = lines[1][:20]
    (run / "samples.jsonl").write_text("\n".join(lines) + "\n")
    return ["view", run, "--out", ctx.results / "board"], [str(run / "samples.jsonl"), "line 2", "not valid JSON"]


@case()
def case_distribution_negative(ctx):
    return ctx.run_task(bad_gold((0.6, -0.1, 0.5))), [GOQA, "row 1", "(id 2)", "field 'gold_distribution'",
                                                      "value 1 is negative (-0.1)"]


@case()
def case_distribution_nan(ctx):
    return ctx.run_task(bad_gold((0.5, float("nan"), 0.5))), [GOQA, "row 1", "(id 2)", "'gold_distribution'",
                                                              "value 1 is nan, not finite"]


@case()
def case_distribution_all_zero(ctx):
    return ctx.run_task(bad_gold((0, 0, 0))), [GOQA, "row 1", "'gold_distribution'", "all values are zero"]


@case()
def case_distribution_sum_beyond_tolerance(ctx):
    return ctx.run_task(bad_gold((0.3, 0.2, 0.1))), [GOQA, "row 1", "(id 2)", "'gold_distribution'",
                                                     "sums to 0.6, not 1", "at most 0.02"]


@case()
def case_distribution_length_differs_from_options(ctx):
    return ctx.run_task(bad_gold((0.5, 0.5))), [GOQA, "row 1", "'gold_distribution'",
                                                "has 2 values but there are 3 options"]


@case()
def case_distribution_not_numbers(ctx):
    return ctx.run_task(bad_gold(("0.5", "0.3", "0.2"))), [GOQA, "row 1", "'gold_distribution'",
                                                           "value 0 is '0.5', not a number"]


@case()
def case_empty_dataset(ctx):
    return ctx.run_task([]), [GOQA, "the dataset is empty"]


@case()
def case_duplicate_item_ids(ctx):
    rows = good_rows(3)
    rows[2]["id"] = rows[0]["id"]
    return ctx.run_task(rows), [GOQA, "row 2", "(id 1)", "field 'id'", "duplicate id (first seen at row 0)"]


@case()
def case_missing_field(ctx):
    rows = good_rows(3)
    del rows[1]["options"]
    return ctx.run_task(rows), [GOQA, "row 1", "(id 2)", "field 'options': missing"]


@case()
def case_prompt_template_naming_a_field_the_items_lack(ctx):
    """A prompt template is filled by core/prompts.fill: a field the task does not provide is one line."""
    data = ctx.tmp / "data" / "value_fulcra" / "trustworthy_data.jsonl"
    data.parent.mkdir(parents=True)
    data.write_text(json.dumps({"dialogue": "Human: hi\nBob: hello", "value_types": ["benevolence: +1"],
                                "response_source": "gpt-4"}) + "\n")
    path = ctx.task_file('include: value_fulcra_recognition\nname: bad_task\nversion: 1\n'
                         'prompt: {template: "{dialogue} as {persona}\\n{options}"}\n')
    samples = ctx.file("samples.jsonl", json.dumps({"id": "1", "value_types": {}}) + "\n")
    return ["score", "--task", path, "--predictions", samples, "--output", ctx.runs, "--data-dir",
            ctx.tmp / "data"], ["task bad_task prompt.template: the template names {persona}",
                                "(it provides: definition, dialogue, options, value_type)"]


@case()
def case_data_file_not_utf8(ctx):
    return ctx.run_task(json.dumps(good_rows()).encode().replace(b"Japan", b"Jap\xe1n", 1)), [
        GOQA, "not valid UTF-8 (byte", "line 1"]


@case()
def case_data_file_invalid_json(ctx):
    return ctx.run_task(b'[{"id": 1,\n "question": }]'), [GOQA, "invalid JSON at line 2 column 14"]


@case()
def case_missing_data_file_hints_data_dir(ctx):
    (ctx.tmp / "empty").mkdir()
    return ctx.run("--tasks", TASK, "--data-dir", ctx.tmp / "empty"), [
        str(ctx.tmp / "empty" / GOQA), "data file not found", "--data-dir (or PLURALBENCH_DATA)"]


@case()
def case_data_dir_does_not_exist(ctx):
    return ctx.run("--tasks", TASK, "--data-dir", ctx.tmp / "nowhere"), [
        f"data directory {ctx.tmp / 'nowhere'} does not exist", "--data-dir"]


@case()
def case_predictions_row_without_prediction(ctx):
    rows = good_rows(3)
    rows[2]["pred_distribution"] = None
    preds = write_mc_file(ctx.tmp / "preds.json", rows)
    return ["score", "--task", TASK, "--predictions", preds, "--output", ctx.runs], [
        str(preds), "row 2", "(id 3)", "'pred_distribution'", "is null: this row has no prediction"]


def score_edited_samples(ctx: Ctx, **fields) -> tuple[list, Path]:
    """`score` of the earlier run's samples.jsonl with its second sample's fields replaced."""
    lines = [json.loads(line) for line in (ctx.run_dir / "samples.jsonl").read_text().splitlines()]
    lines[1].update(fields)
    path = ctx.file("samples.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    return ["score", "--task", TASK, "--predictions", path, "--output", ctx.runs, "--data-dir",
            ctx.data(good_rows())], path


@case()
def case_sample_covered_mass_above_one(ctx):
    args, path = score_edited_samples(ctx, covered_mass=7.5)
    return args, [str(path), "row 2", "(id 2)", "field 'covered_mass'", "is 7.5", "a number from 0 to 1"]


@case()
def case_sample_label_logprobs_not_numbers(ctx):
    args, path = score_edited_samples(ctx, label_logprobs="x")
    return args, [str(path), "row 2", "field 'label_logprobs'", "a list of 3 log-probabilities", "got str"]


@case()
def case_sample_positive_label_logprob(ctx):
    args, path = score_edited_samples(ctx, label_logprobs=[-0.1, 2.0, -3.0])
    return args, [str(path), "row 2", "field 'label_logprobs'", "value 1 is 2.0", "at most 0"]


@case()
def case_sample_more_options_than_the_item(ctx):
    """The sample claims 7 options; the message counts the task item's 3."""
    args, path = score_edited_samples(ctx, options=list("abcdefg"), model_distribution=[1 / 7] * 7)
    return args, [str(path), "row 2", "field 'model_distribution'", "has 7 values but there are 3 options"]


@case()
def case_sample_negative_probability(ctx):
    args, path = score_edited_samples(ctx, model_distribution=[0.7, -0.2, 0.5])
    return args, [str(path), "row 2", "field 'model_distribution'", "value 1 is negative (-0.2)"]


@case()
def case_sample_nan_probability(ctx):
    args, path = score_edited_samples(ctx, model_distribution=[0.5, float("nan"), 0.5])
    return args, [str(path), "row 2", "field 'model_distribution'", "value 1 is nan, not finite"]


@case()
def case_sample_nan_covered_mass(ctx):
    args, path = score_edited_samples(ctx, covered_mass=float("nan"))
    return args, [str(path), "row 2", "field 'covered_mass'", "is nan"]


def oqa_predictions(ctx) -> Path:
    rows = [mc_row(i, attribute="SEX_Male") for i in (1, 2)]
    for row in rows:
        row["pred_distribution"] = [0.4, 0.4, 0.2]
    return write_mc_file(ctx.tmp / "oqa_preds.json", rows)


@case()
def case_steerable_opinionqa_predictions_without_data_dir(ctx):
    """Its ordinal positions come from OpinionQA's info.csv files in the data directory, even when the
    predictions file holds the items."""
    return ["score", "--task", "steerable_opinionqa", "--predictions", oqa_predictions(ctx), "--output", ctx.runs], [
        "no data directory given for opinionqa/atp_waves", "--data-dir"]


@case()
def case_opinionqa_info_csv_unreadable(ctx):
    info = ctx.tmp / "data" / "opinionqa" / "atp_waves" / "American_Trends_Panel_W1" / "info.csv"
    info.parent.mkdir(parents=True)
    info.write_text(",key,option_mapping,question,references,option_ordinal\n"
                    "0,Q_W1,{},Is it?,\"['Yes', 'No']\",\"[1.0, two]\"\n")
    return ["score", "--task", "steerable_opinionqa", "--predictions", oqa_predictions(ctx), "--output", ctx.runs,
            "--data-dir", ctx.tmp / "data"], [str(info), "row 2", "'option_ordinal'", "cannot read as a list of float"]


@case()
def case_prompt_template_names_a_field_the_items_lack(ctx):
    """A survey item's prompt has {question} and {options}; a template naming anything else is refused."""
    path = ctx.task_file(TASK_OK + 'prompt: {template: "{country}: {question} {options}"}\n' + METRICS_OK)
    return ["score", "--task", path, "--predictions", write_mc_file(ctx.tmp / "preds.json", good_rows()),
            "--output", ctx.runs], ["prompt.template: the template names {country}", "it provides: options, question"]


@case()
def case_steering_style_names_a_field_the_category_lacks(ctx):
    """Refused before the model loads."""
    path = ctx.task_file(
        "name: bad_task\nversion: 1\nfamily: steerable_distribution\ndescription: x\n"
        "data: {local: {path: " + GOQA + ", format: modular_pluralism_steerable_mc}}\n"
        'params: {styles: {QA: "{qa} {nonsense}\\n\\n{question}"}, categories: {SEX: {name: sex, qa: "I am {value}."}}}\n')
    rows = [mc_row(i, attribute="SEX_Male") for i in (1, 2)]
    return ctx.run("--tasks", path, "--data-dir", ctx.data(rows), "--model", "embedded:smollm2-135m-instruct"), [
        "task bad_task params.styles.QA: the template names {nonsense}", "it provides: name, qa, question"]


@case(pytest.mark.model)
def case_prompt_longer_than_context(ctx):
    rows = good_rows(3)
    rows[1]["question"] = LONG_QUESTION
    runs_before = sorted(p.name for p in ctx.runs.iterdir())
    ctx.after.append(lambda: sorted(p.name for p in ctx.runs.iterdir()) == runs_before or pytest.fail("new run dir"))
    return ctx.run_task(rows, "--model", "embedded:smollm2-135m-instruct,max_length=96", "--on-long-prompt", "error"), [
        f"task {TASK}: item '2'", "more than the model's context of 96", "--on-long-prompt error", "'skip'", "'truncate'"]


@case()
def case_needs_trust_remote_code(ctx):
    """A local model directory whose config needs the repository's own Python code: refused, not run."""
    marker = ctx.tmp / "MARKER"
    model = ctx.tmp / "custom_model"
    write_custom_code_model(model, marker)
    marker_absent(ctx, marker)
    ctx.env["HF_HUB_OFFLINE"] = "1"
    return ctx.run_task(good_rows(), "--model", f"hf:{model}"), [
        f"model '{model}' needs custom code from its repository", "trust_remote_code=true"]


@case()
def case_incompatible_results_to_leaderboard(ctx):
    old = incompatible(ctx)
    return ["leaderboard", old.parent, "--out", ctx.results / "board"], [
        str(old / "manifest.json"), "results schema version 2 (pluralbench 9.0.0)", "reads version 1"]


@case()
def case_incompatible_results_to_compare(ctx):
    old = incompatible(ctx)
    return ["compare", ctx.run_dir, old, "--out", ctx.results / "board"], [
        str(old / "manifest.json"), "results schema version 2", "reads version 1"]


@case()
def case_unfinished_run_to_compare(ctx):
    unfinished = ctx.tmp / "unfinished" / ctx.run_dir.name
    shutil.copytree(ctx.run_dir, unfinished)
    manifest = json.loads((unfinished / "manifest.json").read_text())
    (unfinished / "manifest.json").write_text(json.dumps(manifest | {"status": "running"}))
    return ["compare", ctx.run_dir, unfinished], [str(unfinished), "run not finished (manifest status 'running')"]


@case()
def case_validate_directory_that_is_not_a_run(ctx):
    (ctx.tmp / "plain").mkdir()
    return ["validate", ctx.tmp / "plain"], [str(ctx.tmp / "plain"), "without manifest.json is not a run directory"]


@case()
def case_validate_yaml_that_is_neither(ctx):
    path = ctx.file("notes.yaml", "title: my notes\n")
    return ["validate", path], [str(path), "neither a task file (no 'family' key) nor a leaderboard spec"]


@case()
def case_validate_other_file(ctx):
    path = ctx.file("notes.txt", "hello\n")
    return ["validate", path], [str(path), "not a run directory, a task file or a leaderboard spec"]


@case()
def case_bad_shard(ctx):
    return ctx.run_task(good_rows(), "--shard", "3/2"), ["--shard '3/2'", "i must be between 1 and n"]


@case()
def case_elicit_unknown_method(ctx):
    return ctx.run_task(good_rows(), "--elicit", "logprob,nope"), ["unknown elicitation method 'nope'", "sampled"]


@case()
def case_elicit_sampled_zero(ctx):
    return ctx.run_task(good_rows(), "--elicit", "sampled:0"), ["sampled:0", "at least 2 samples"]


@case()
def case_elicit_sampled_not_a_number(ctx):
    return ctx.run_task(good_rows(), "--elicit", "sampled:x"), ["sampled:x", "number of samples"]


@case()
def case_elicit_argument_to_a_method_without_one(ctx):
    return ctx.run_task(good_rows(), "--elicit", "logprob:3"), ["'logprob' takes no argument"]


@case()
def case_elicit_method_named_twice(ctx):
    return ctx.run_task(good_rows(), "--elicit", "sampled:20, sampled: 20"), ["sampled:20 named twice"]


@case()
def case_cache_is_not_a_database(ctx):
    cache = ctx.tmp / "cache"
    cache.mkdir()
    (cache / "responses.sqlite3").write_text("not a database " * 40)
    return ctx.run_task(good_rows(), "--cache-dir", cache), ["responses.sqlite3", "file is not a database",
                                                              "--no-cache"]


@case()
def case_cache_dir_is_a_file(ctx):
    return ctx.run_task(good_rows(), "--cache-dir", ctx.file("c", "x")), ["--cache-dir", "exists and is not a directory"]


@case()
def case_output_is_a_file(ctx):
    return ctx.run_task(good_rows(), "--output", ctx.file("o", "x")), ["--output", "exists and is not a directory"]


@case()
def case_output_cannot_be_written(ctx):
    # /sys refuses new entries even to root (a read-only directory would not stop a root test run)
    return ctx.run_task(good_rows(), "--output", "/sys/pluralbench-out"), ["--output /sys/pluralbench-out",
                                                                           "cannot write there"]


@case()
def case_distribution_integer_too_large_for_a_float(ctx):
    return ctx.run_task(bad_gold((10 ** 400, 0, 0))), [GOQA, "row 1", "(id 2)", "value 0 is 1000000000000",
                                                       "(401 characters), not finite"]


@case()
def case_distribution_sum_overflows(ctx):
    return ctx.run_task(bad_gold((1e308, 1e308, 0))), [GOQA, "row 1", "(id 2)", "values too large to add up"]


@case()
def case_json_integer_of_5000_digits(ctx):
    text = json.dumps(good_rows(2)).replace('"id": 1', '"id": ' + "9" * 5000)
    return ctx.run_task(text.encode()), [GOQA, "invalid JSON", "4300 digits"]


@case()
def case_question_with_a_lone_surrogate(ctx):
    rows = good_rows(2)
    rows[1]["question"] = "Is this \ud800 true?\nOptions: A. Yes B. No C. Maybe\nAnswer:"
    return ctx.run_task(rows), [GOQA, "$[1].question", "lone UTF-16 surrogate"]


@case()
def case_data_env_names_a_file(ctx):
    ctx.env["PLURALBENCH_DATA"] = str(ctx.file("data.json", "[]"))
    return ctx.run("--tasks", TASK), ["data directory", "data.json is a file, not a directory", "PLURALBENCH_DATA"]


@case()
def case_id_that_is_an_object(ctx):
    rows = good_rows(2)
    rows[1]["id"] = {"a": 1}
    return ctx.run_task(rows), [GOQA, "row 1", "field 'id'", "an id must be a non-empty string or an integer"]


@case()
def case_id_that_is_nan(ctx):
    text = json.dumps(good_rows(2)).replace('"id": 2', '"id": NaN')
    return ctx.run_task(text.encode()), [GOQA, "row 1", "field 'id'", "'nan'"]


@case()
def case_empty_question(ctx):
    rows = good_rows(2)
    rows[0]["question"] = " \n "
    return ctx.run_task(rows), [GOQA, "row 0", "(id 1)", "field 'question'", "is empty"]


@case()
def case_option_of_a_zero_width_space(ctx):
    rows = good_rows(2)
    rows[1]["options"] = ["Yes", "\u200b", "Maybe"]
    return ctx.run_task(rows), [GOQA, "row 1", "(id 2)", "option 1", "has no visible text"]


def nan_run(ctx) -> Path:
    """A copy of the earlier run whose metrics.json holds a NaN (Python's json writes and reads it by default)."""
    broken = ctx.tmp / "nan" / ctx.run_dir.name
    shutil.copytree(ctx.run_dir, broken)
    text = (broken / "metrics.json").read_text()
    head = json.loads(text)["headline"]
    metrics = json.loads(text)
    metrics["overall"][head]["value"] = float("nan")
    (broken / "metrics.json").write_text(json.dumps(metrics))
    return broken


@case()
def case_leaderboard_metrics_with_nan(ctx):
    broken = nan_run(ctx)
    return ["leaderboard", broken, "--out", ctx.tmp / "board"], [str(broken / "metrics.json"), "not valid JSON",
                                                                  "NaN is not a JSON number"]


@case()
def case_leaderboard_out_holding_other_files(ctx):
    (ctx.results / "notes").mkdir()
    (ctx.results / "notes" / "thesis.tex").write_text("months of work")
    return ["leaderboard", ctx.runs, "--out", ctx.results / "notes"], [
        str(ctx.results / "notes"), "holds files pluralbench did not write there (thesis.tex)"]


@case()
def case_compare_out_holding_other_files(ctx):
    (ctx.results / "board" / "mine.txt").write_text("not a pluralbench output")
    return ["compare", ctx.run_dir, ctx.run_dir, "--out", ctx.results / "board"], [
        str(ctx.results / "board"), "holds files pluralbench did not write there (mine.txt)"]


@case()
def case_run_without_manifest_to_leaderboard(ctx):
    half = ctx.tmp / "half" / ctx.run_dir.name  # e.g. a merge killed before its manifest was written
    shutil.copytree(ctx.run_dir, half)
    (half / "manifest.json").unlink()
    return ["leaderboard", half, "--out", ctx.tmp / "board"], [str(half), "no manifest.json"]


MESSAGES_FILE = os.environ.get("PLURALBENCH_CATALOGUE_OUT")  # set by `python tests/reliability/test_bad_input.py`


@pytest.mark.parametrize("name", [pytest.param(n, marks=m, id=n) for n, (_, m) in CASES.items()])
def test_bad_input_catalogue(name, earlier_results, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PLURALBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PLURALBENCH_DATA", raising=False)
    results = tmp_path / "results"
    shutil.copytree(earlier_results, results)
    ctx = Ctx(tmp_path / "case", results)
    ctx.tmp.mkdir()
    args, fragments = CASES[name][0](ctx)
    for key, value in ctx.env.items():
        monkeypatch.setenv(key, value)
    before = tree_digest(results)

    line = assert_user_error(cli(args, capsys), *fragments)

    assert tree_digest(results) == before  # nothing written earlier was changed, added to or removed
    for check in ctx.after:
        check()
    if MESSAGES_FILE:
        with open(MESSAGES_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"case": name, "message": line.replace(str(tmp_path), "<tmp>")}) + "\n")


def test_catalogue_has_at_least_25_cases():
    assert len(CASES) >= 25


# --- not errors: said out loud, counted, and recorded ------------------------------------------------------------

def test_renormalised_within_tolerance_is_counted_in_the_manifest(tmp_path, capsys):
    rows = good_rows(3)
    rows[1]["gold_distribution"] = [0.5, 0.3, 0.19]  # sums to 0.99: inside the tolerance
    data = tmp_path / "data"
    write_mc_file(data / GOQA, rows)
    preds = write_mc_file(tmp_path / "preds.json", rows)
    result = cli(["score", "--task", TASK, "--predictions", preds, "--output", tmp_path / "out", "--data-dir", data],
                 capsys)
    assert result.returncode == 0, result.stderr
    assert "1 reference distributions did not sum to 1 and were renormalised" in result.stderr
    [run_dir] = list((tmp_path / "out").iterdir())
    checks = json.loads((run_dir / "manifest.json").read_text())["data"]["checks"]
    assert checks["renormalised_rows"] == 1 and checks["renormalised_ids"] == ["2"]
    sample = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()][1]
    assert sample["human_distribution"] == pytest.approx([0.5 / 0.99, 0.3 / 0.99, 0.19 / 0.99], abs=1e-12)


def test_validate_says_what_it_found(earlier_results, tmp_path, capsys, monkeypatch):
    from pluralbench.taskfile import builtin_task_dirs

    run_dir = next(p for p in (earlier_results / "runs").iterdir() if p.is_dir())
    monkeypatch.chdir(run_dir)  # `validate .` inside a run directory: the directory's real name is compared
    result = cli(["validate", "."], capsys)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f".: valid run directory {run_dir.name} ({TASK}, predictions ")
    task = builtin_task_dirs()[0] / f"{TASK}.yaml"
    spec = builtin_task_dirs()[0].parent / "leaderboards" / "default.yaml"
    result = cli(["validate", task, spec], capsys)
    assert result.returncode == 0, result.stderr
    assert f"{task}: valid task file ({TASK} v1, family multiple_choice_distribution)" in result.stdout
    assert f"{spec}: valid leaderboard spec (default, " in result.stdout


def test_validate_reports_a_broken_run_directory(tmp_path, isolated_env):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": "r", "status": "running"}))
    result = run_cli(["validate", str(run_dir)], env=isolated_env)  # a real process: exit code and stderr
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{run_dir}: invalid run directory: manifest.json: status is 'running'" in result.stderr
    assert "metrics.json: missing" in result.stderr


def test_validate_refuses_nan_in_metrics(earlier_results, tmp_path, isolated_env):
    broken = nan_run(Ctx(tmp_path, earlier_results))
    result = run_cli(["validate", str(broken)], env=isolated_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{broken}: invalid run directory: {broken / 'metrics.json'}: not valid JSON (NaN is not a JSON number" \
        in result.stderr


def test_bad_flags_exit_2(tmp_path, isolated_env):
    result = run_cli(["run", "--limit", "0", "--output", str(tmp_path)], env=isolated_env)
    assert result.returncode == 2 and "must be at least 1" in result.stderr and "Traceback" not in result.stderr
    result = run_cli(["run", "--seed", "-1", "--output", str(tmp_path)], env=isolated_env)  # before any model call
    assert result.returncode == 2 and "--seed: -1 must be 0 or more" in result.stderr and "Traceback" not in result.stderr


def test_user_errors_from_a_real_process(tmp_path, isolated_env):
    """The in-process cases above, once through a real interpreter: exit status 2, one line, no traceback."""
    data = tmp_path / "data"
    write_mc_file(data / GOQA, bad_gold((0.5, float("nan"), 0.5)))
    result = run_cli(["run", "--tasks", TASK, "--data-dir", str(data), "--output", str(tmp_path / "out")],
                     env=isolated_env)
    assert_user_error(result, GOQA, "row 1", "(id 2)", "'gold_distribution'", "not finite")
    assert "loaded" not in result.stderr  # bad data fails before any model loads
    assert not (tmp_path / "out").exists()


def test_shipped_task_files_validate(capsys):
    from pluralbench.taskfile import builtin_task_dirs

    paths = sorted(builtin_task_dirs()[0].glob("[!_]*.yaml"))
    result = cli(["validate", *paths], capsys)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("valid task file") == len(paths)


if __name__ == "__main__":  # print the catalogue: case -> the exact message
    import subprocess
    import tempfile

    out = Path(tempfile.mkdtemp()) / "catalogue.jsonl"
    env = dict(os.environ, PLURALBENCH_CATALOGUE_OUT=str(out))
    subprocess.run([sys.executable, "-m", "pytest", __file__, "-q", "-k", "catalogue", "-p", "no:cacheprovider"],
                   env=env, check=False, cwd=Path(__file__).parents[2])
    for row in map(json.loads, out.read_text().splitlines()):
        print(f"- {row['case']}: `{row['message']}`")
