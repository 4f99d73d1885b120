"""`pluralbench leaderboard`: specs, cells, missing objectives, Pareto layers, re-ranking, refusals, outputs."""
import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO, assert_user_error, run_cli
from pluralbench.errors import UserError
from pluralbench.registry import commensurators
from pluralbench.report.leaderboard import build_board
from pluralbench.report.results import discover_runs
from pluralbench.report.spec import load_spec, shipped_spec_dir, shipped_spec_names
from pluralbench.taskfile import task_names
from report_runs import write_run

GQA = "distributional_globalopinionqa"


def cli_in_process(args, capsys):
    """The CLI's main() in this process (no interpreter start-up), with what it printed."""
    from types import SimpleNamespace

    from pluralbench.cli import main

    code = main(args)
    captured = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)


def write_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


TWO_OBJECTIVES = f"""
name: test
objectives:
  - {{name: jsd, task: {GQA}, metric: overall.jsd_base2, direction: lower, bounds: [0, 1]}}
  - {{name: mass, task: {GQA}, metric: covered_mass, direction: higher, bounds: [0, 1]}}
commensurating:
  - {{name: mean, function: weighted_sum, normalise: bounds, params: {{weights: {{jsd: 0.5, mass: 0.5}}}}}}
  - {{name: worst, function: minimum}}
"""


def board_for(tmp_path, spec_text, runs_dir):
    spec = load_spec(str(write_spec(tmp_path, spec_text)))
    runs, notes = discover_runs([runs_dir])
    return build_board(spec, runs, notes)


def test_every_shipped_spec_loads_and_names_existing_tasks():
    assert "default" in shipped_spec_names()
    known = set(task_names())
    for name in shipped_spec_names():
        spec = load_spec(name)
        for o in spec.objectives:
            assert o.task in known, f"{name}: objective {o.name} names task {o.task}, which does not exist"
        for g in spec.groups:
            assert g.task in known
    assert shipped_spec_dir() == REPO / "leaderboards"


def test_cells_layers_and_ranks_by_hand(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "m:best", {"jsd_base2": 0.30, "covered_mass": 0.9})
    write_run(runs, "m:tie", {"jsd_base2": 0.30, "covered_mass": 0.9})
    write_run(runs, "m:trade", {"jsd_base2": 0.20, "covered_mass": 0.5})
    write_run(runs, "m:worse", {"jsd_base2": 0.40, "covered_mass": 0.8})
    write_run(runs, "m:worst", {"jsd_base2": 0.50, "covered_mass": 0.1})
    write_run(runs, "m:nomass", {"jsd_base2": 0.10, "covered_mass": None})
    board = board_for(tmp_path, TWO_OBJECTIVES, runs)
    layer = {r.label: r.layer for r in board.rows}
    # worse is dominated by best/tie; worst by worse (and all above): layer 3. nomass is not comparable.
    assert layer == {"m:best": 1, "m:tie": 1, "m:trade": 1, "m:worse": 2, "m:worst": 3, "m:nomass": 1}
    row = board.row("m:trade")
    assert row.cells["jsd"].value == 0.20 and row.cells["jsd"].ci_low == pytest.approx(0.18)
    # mean: 0.5 * (1 - jsd) + 0.5 * mass, by hand
    assert board.row("m:best").scores["mean"] == pytest.approx(0.5 * 0.7 + 0.5 * 0.9)
    assert row.scores["mean"] == pytest.approx(0.5 * 0.8 + 0.5 * 0.5)
    # worst: min-max over every model measured on each objective: jsd in [0.1, 0.5] (nomass counts there),
    # mass in [0.1, 0.9]
    assert board.row("m:worse").scores["worst"] == pytest.approx(min((0.5 - 0.4) / 0.4, (0.8 - 0.1) / 0.8))
    assert board.row("m:best").ranks["mean"] == board.row("m:tie").ranks["mean"] == 1
    assert board.row("m:worse").ranks["mean"] == 3 and board.row("m:trade").ranks["mean"] == 4  # 0.70 vs 0.65
    # The model without a mass value: missing cell, no score, no rank. Never zero.
    nomass = board.row("m:nomass")
    assert nomass.cells["mass"] is None and nomass.scores["mean"] is None and nomass.ranks["mean"] is None
    assert any("m:nomass: mass missing" in n for n in board.notes)


def test_a_registered_function_ranks_the_board(tmp_path):
    calls = []

    def product(scores, offset=0.0):
        calls.append(dict(scores))
        out = 1.0
        for v in scores.values():
            out *= v + offset
        return out

    commensurators.register("test_product", product, replace=True)
    runs = tmp_path / "runs"
    write_run(runs, "m:a", {"jsd_base2": 0.2, "covered_mass": 0.5})
    write_run(runs, "m:b", {"jsd_base2": 0.4, "covered_mass": 0.9})
    spec = TWO_OBJECTIVES + "  - {name: prod, function: test_product, normalise: bounds, params: {offset: 0.1}}\n"
    board = board_for(tmp_path, spec, runs)
    assert board.row("m:a").scores["prod"] == pytest.approx((0.8 + 0.1) * (0.5 + 0.1))
    assert board.row("m:b").scores["prod"] == pytest.approx((0.6 + 0.1) * (0.9 + 0.1))
    assert board.row("m:b").ranks["prod"] == 1 and len(calls) == 2
    with pytest.raises(UserError, match="'nope' is not a parameter"):
        board_for(tmp_path, TWO_OBJECTIVES + "  - {name: p2, function: test_product, params: {nope: 1}}\n", runs)


def test_mixing_provenance_is_refused_unless_the_spec_chooses(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "m:chat", {"jsd_base2": 0.3, "covered_mass": 0.9}, elicitation="chat")
    write_run(runs, "m:base", {"jsd_base2": 0.4, "covered_mass": 0.5}, elicitation="completion")
    with pytest.raises(UserError, match=r"would mix runs with different elicitation \(chat: m:chat; completion: m:base\)"):
        board_for(tmp_path, TWO_OBJECTIVES, runs)
    mixed = board_for(tmp_path, "allow_mixed: [elicitation]\n" + TWO_OBJECTIVES, runs)
    assert mixed.columns[0].mixed == ["elicitation"] and len(mixed.rows) == 2
    chosen = TWO_OBJECTIVES.replace("bounds: [0, 1]}", "bounds: [0, 1], where: {elicitation: chat}}")
    only_chat = board_for(tmp_path, chosen, runs)
    assert [r.label for r in only_chat.rows] == ["m:chat"]

    other = tmp_path / "other"
    write_run(other, "m:a", {"jsd_base2": 0.3, "covered_mass": 0.9}, data_sha256="cd" * 32)
    write_run(other, "m:b", {"jsd_base2": 0.4, "covered_mass": 0.5})
    with pytest.raises(UserError, match="different data"):
        board_for(tmp_path, TWO_OBJECTIVES, other)

    judged = tmp_path / "judged"
    write_run(judged, "m:a", {"jsd_base2": 0.3, "covered_mass": 0.9}, judge={"name": "nli-a"})
    write_run(judged, "m:b", {"jsd_base2": 0.4, "covered_mass": 0.5}, judge="embedding-b")
    with pytest.raises(UserError, match=r"different judge \(embedding-b: m:b; nli-a: m:a\)"):
        board_for(tmp_path, TWO_OBJECTIVES, judged)

    twice = tmp_path / "twice"
    write_run(twice, "m:a", {"jsd_base2": 0.3, "covered_mass": 0.9}, elicitation="chat")
    write_run(twice, "m:a", {"jsd_base2": 0.35, "covered_mass": 0.9}, elicitation="completion")
    with pytest.raises(UserError, match="model m:a has 2 runs .* they differ in elicitation"):
        board_for(tmp_path, TWO_OBJECTIVES, twice)


def test_direction_contradicting_the_results_is_refused(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "m:a", {"jsd_base2": 0.3, "covered_mass": 0.9})
    flipped = TWO_OBJECTIVES.replace("jsd_base2, direction: lower", "jsd_base2, direction: higher")
    with pytest.raises(UserError, match="says higher is better, but .* records overall.jsd_base2 as lower"):
        board_for(tmp_path, flipped, runs)


@pytest.mark.parametrize("text, fragment", [
    ("name: x\nobjectives: []\n", "$.objectives: [] should be non-empty"),
    (f"name: x\nobjectives:\n  - {{name: a, task: {GQA}, metric: jsd_base2, direction: up}}\n", "$.objectives[0].direction"),
    (f"name: x\nobjectives:\n  - {{name: a, task: {GQA}, metric: jsd_base2, direction: lower}}\n"
     "commensurating:\n  - {name: f, function: nash}\n", "unknown commensurating function 'nash'"),
    (f"name: x\nobjectives:\n  - {{name: a, task: {GQA}, metric: jsd_base2, direction: lower}}\n"
     "commensurating:\n  - {name: f, function: minimum, normalise: bounds}\n", "'bounds' needs bounds on objective 'a'"),
    (f"name: x\nobjectives:\n  - {{name: a, task: {GQA}, metric: jsd_base2, direction: lower}}\n"
     "figures: {pareto: [[a, b]]}\n", "'b' is not an objective"),
    ("name: x\nobjectives: [\n", "malformed YAML"),
])
def test_bad_specs_fail_with_one_line(tmp_path, capsys, text, fragment):
    spec = write_spec(tmp_path, text)
    runs = tmp_path / "runs"
    write_run(runs, "m:a", {"jsd_base2": 0.3})
    result = cli_in_process(["leaderboard", str(runs), "--spec", str(spec), "--out", str(tmp_path / "out")], capsys)
    assert_user_error(result, str(spec), fragment)
    assert not (tmp_path / "out").exists()


def test_unusable_inputs_are_refused(tmp_path, capsys):
    def cli(*args):
        return cli_in_process(["leaderboard", *map(str, args), "--out", str(tmp_path / "o")], capsys)

    assert_user_error(cli(tmp_path / "nope"), "no such run")
    (tmp_path / "empty").mkdir()
    assert_user_error(cli(tmp_path / "empty"), "holds no run directories")
    unfinished = write_run(tmp_path / "runs", "m:a", {"jsd_base2": 0.3}, status="running")
    assert_user_error(cli(unfinished), "run not finished")
    assert_user_error(cli(tmp_path / "runs", "--spec", "nosuch"), "unknown leaderboard spec 'nosuch'", "default")
    (unfinished / "metrics.json").write_text("{not json")
    (unfinished / "manifest.json").write_text('{"schema_version": 1, "status": "complete"}')
    assert_user_error(cli(unfinished), "metrics.json: not valid JSON")
    (unfinished / "metrics.json").write_text('{"schema_version": 1, "run_id": 3}')
    assert_user_error(cli(unfinished), "metrics.json: $")
    assert not (tmp_path / "o").exists()
    (tmp_path / "o").write_text("a file")
    write_run(tmp_path / "good", "m:a", {"jsd_base2": 0.3})
    assert_user_error(cli(tmp_path / "good"), "exists and is not a directory")


def test_cli_writes_all_outputs_with_missing_cells_shown_as_missing(tmp_path):
    runs = tmp_path / "runs"
    countries = {"Japan": {"jsd_base2": 0.5}, "Brazil": {"jsd_base2": 0.2}}
    write_run(runs, "m:a", {"jsd_base2": 0.30, "covered_mass": 0.9}, groups=countries, elicitation="completion")
    write_run(runs, "m:b|pipe", {"jsd_base2": 0.25, "covered_mass": None}, groups=countries)
    write_run(runs, "m:c", {"jsd_base2": 0.40, "covered_mass": 0.2}, groups={"Japan": {"jsd_base2": 0.6}})
    write_run(runs, "m:other-task", {"accuracy": 0.5}, task="some_other_task")
    out = tmp_path / "board"
    result = run_cli(["leaderboard", str(runs), "--out", str(out)])  # the shipped default spec
    assert result.returncode == 0, result.stderr
    assert "ignored" in result.stdout and "some_other_task has no objective" in result.stdout
    for name in ("leaderboard.csv", "leaderboard.md", "leaderboard.html", "leaderboard.json"):
        assert (out / name).stat().st_size > 0
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == ["groups_globalopinionqa_jsd_by_country.png",
                    "pareto_globalopinionqa_jsd__globalopinionqa_option_mass.png"]

    rows = {r["model"]: r for r in csv.DictReader((out / "leaderboard.csv").open())}
    assert rows["m:b|pipe"]["globalopinionqa_option_mass"] == ""  # missing, not 0
    assert rows["m:b|pipe"]["mean_rank"] == "" and rows["m:b|pipe"]["mean_score"] == ""
    assert float(rows["m:a"]["globalopinionqa_jsd"]) == 0.30 and rows["m:a"]["pareto_layer"] == "1"
    assert rows["m:c"]["pareto_layer"] == "2"
    md = (out / "leaderboard.md").read_text()
    line = next(x for x in md.splitlines() if x.startswith("| m:b"))
    assert line.startswith("| m:b\\|pipe | 1 | 0.2500 [0.2300, 0.2700] | — |")
    assert "chat, completion" in md  # the column's mixed elicitation is stated
    data = json.loads((out / "leaderboard.json").read_text())
    assert data["rows"][0]["cells"]["globalopinionqa_option_mass"] is None or data["rows"][0]["model"] != "m:b|pipe"
    groups = list(csv.reader((out / "groups_globalopinionqa_jsd_by_country.csv").open()))
    assert groups[0] == ["country", "model", "jsd_base2", "ci_low", "ci_high"]
    assert ["Brazil", "m:c", "", "", ""] in groups  # m:c has no Brazil: shown as missing


def test_objectives_no_run_measures_are_left_out_so_models_can_be_ranked(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "m:a", {"jsd_base2": 0.30, "covered_mass": 0.9})
    write_run(runs, "m:b", {"jsd_base2": 0.20, "covered_mass": 0.8})
    spec = load_spec("default")
    board = build_board(spec, *discover_runs([runs]))
    assert [o.name for o in board.spec.objectives] == ["globalopinionqa_jsd", "globalopinionqa_option_mass"]
    note = next(n for n in board.notes if n.startswith("objectives without any run"))
    assert "moralchoice_jsd" in note and "nyt_books_maximin" in note and "globalopinionqa_jsd" not in note
    mean = next(f for f in board.spec.commensurating if f.name == "mean")
    assert mean.params["weights"] == {"globalopinionqa_jsd": 1, "globalopinionqa_option_mass": 0}
    # option mass has weight 0 in the default mean, so the mean is 1 - jsd: m:b first
    assert board.row("m:b").scores["mean"] == pytest.approx(0.8) and board.row("m:b").ranks["mean"] == 1
    assert board.row("m:a").ranks["mean"] == 2
    assert board.spec.pareto_pairs == (("globalopinionqa_jsd", "globalopinionqa_option_mass"),)
    # a model missing a measured objective still gets no score, never a zero
    write_run(runs, "m:c", {"jsd_base2": 0.10, "covered_mass": None})
    board = build_board(spec, *discover_runs([runs]))
    assert board.row("m:c").scores["mean"] is None and board.row("m:c").ranks["mean"] is None
    assert load_spec("default").objectives == spec.objectives  # the loaded spec itself is untouched


def test_default_overton_column_keeps_only_embedding_judged_runs(tmp_path):
    runs = tmp_path / "runs"
    embedding = {"name": "embedding", "fingerprint_id": "9b30", "direction": "explanation_entails_sentence"}
    llm = {"name": "llm:embedded:gemma3-270m", "fingerprint_id": "1768", "direction": "explanation_entails_sentence"}
    write_run(runs, "m:emb", {"coverage": 0.5}, task="overton_valueprism", judge=embedding)
    write_run(runs, "m:llm", {"coverage": 0.9}, task="overton_valueprism", judge=llm)
    write_run(runs, "m:emb", {"jsd_base2": 0.3, "covered_mass": 0.9})
    write_run(runs, "m:llm", {"jsd_base2": 0.3, "covered_mass": 0.9})
    board = build_board(load_spec("default"), *discover_runs([runs]))
    assert board.row("m:emb").cells["overton_coverage"].value == 0.5
    assert board.row("m:llm").cells["overton_coverage"] is None  # another judge's score never enters the column
    assert board.row("m:llm").ranks["mean"] is None and board.row("m:emb").ranks["mean"] == 1


def test_a_killed_writers_hidden_staging_copy_is_not_a_second_run(tmp_path):
    # A merge or score killed after staging its files leaves a complete copy, manifest and all, in a hidden
    # sibling until the next writer clears it; a results directory must not count that run twice.
    runs = tmp_path / "runs"
    run = write_run(runs, "m:a", {"jsd_base2": 0.30})
    shutil.copytree(run, runs / f".{run.name}.staging-abc123")
    found, notes = discover_runs([runs])
    assert [r.path.name for r in found] == [run.name] and notes == []
