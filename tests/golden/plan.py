"""The golden runs: what today's code produced for every shipped task, kept so that a refactor of the
scoring path can prove it changed no number (tests/runs/test_golden.py reruns this plan against the stored
answers and compares every output file).

Each step is a pluralbench command line. `{data}`, `{out}` and `{cache}` are filled in by the caller;
runs use the embedded SmolLM2 with seed 0 and a small `--limit` chosen to reach every group kind and
code path of the task (countries, styles, ambiguity levels, traits, juror groups, value kinds).
"""
from __future__ import annotations

MODEL = "embedded:smollm2-135m-instruct"

# (limit, tasks): one command per limit, so the model loads once per line.
RUNS: list[tuple[int, list[str]]] = [
    (40, ["distributional_globalopinionqa", "distributional_moralchoice_small", "distributional_mpi",
          "steerable_valueprism"]),
    (12, ["distributional_moralchoice", "distributional_mpi_1k", "steerable_opinionqa", "steerable_opinionqa_full",
          "steerable_nyt_books"]),
    (4, ["jury_polis", "jury_social_choice", "jury_popquorn", "jury_nyt_books", "jury_countries",
         "tradeoff_countries", "tradeoff_values"]),
    (2, ["overton_valueprism", "overton_valueprism_vital"]),
]

# Tasks added after the golden was first made: their runs live in their own directory so that the
# leaderboard above, made over `{out}/runs`, stays what it was (make_golden --add proves it).
ADDED_RUNS: list[tuple[int, list[str]]] = [
    (6, ["dailydilemmas_actions", "dailydilemmas_principles", "value_fulcra_recognition"]),
]


def _run(tasks: list[str], limit: int, output: str, *extra: str) -> list[str]:
    return ["run", "--tasks", ",".join(tasks), "--limit", str(limit), *extra, "--model", MODEL, "--seed", "0",
            "--data-dir", "{data}", "--output", output, "--cache-dir", "{cache}", "--no-progress"]


def run_commands() -> list[list[str]]:
    cmds = [_run(tasks, limit, "{out}/runs") for limit, tasks in RUNS]
    cmds += [_run(tasks, limit, "{out}/runs_added") for limit, tasks in ADDED_RUNS]
    # The same task under the other prompt format: a second run for `compare` and the leaderboard.
    cmds.append(_run(["distributional_globalopinionqa"], 40, "{out}/runs_completion", "--elicitation", "completion"))
    return cmds


# `pluralbench score` on shipped example predictions and on the runs' own samples.
def score_commands(run_dirs: dict[str, str]) -> list[tuple[str, list[str]]]:
    out = [("score_moralchoice_example",
            ["score", "--task", "distributional_moralchoice", "--predictions",
             "{data}/modular_pluralism/distributional_test_moralchoice_example.json", "--output", "{out}/score"])]
    for task in ("distributional_globalopinionqa", "steerable_opinionqa", "distributional_mpi",
                 "steerable_valueprism"):
        out.append((f"rescore_{task}", ["score", "--task", task, "--predictions", f"{run_dirs[task]}/samples.jsonl",
                                        "--data-dir", "{data}", "--output", "{out}/score"]))
    return out


def report_commands(chat_run: str, completion_run: str) -> list[tuple[str, list[str]]]:
    return [
        ("compare", ["compare", completion_run, chat_run, "--out", "{out}/compare"]),
        ("leaderboard", ["leaderboard", "{out}/runs", "--out", "{out}/leaderboard"]),
    ]
