"""DailyDilemmas principle steering (Chiu et al. 2024, section 6): 16 principles of OpenAI's Model Spec,
each with values that support it and values that oppose it, a system prompt written to steer toward each
side, and the "real conflict" dilemmas on which the two sides fall on different actions.

Files (`daily_dilemmas/`): `principle_openai_gpt-4_with_system_prompt.csv` (per principle: the
supporting and opposing values, `real_conflict_dilemma_idx` (ids of dilemma.csv), the system prompts,
and GPT-4's unsteered answers as selected/neglected records), and the two
`principle_openai_gpt4_eval_with_system_prompt_system_prompt_{sup,opp}_value.csv` files (the same
principles, in the same order, with GPT-4's answer to each dilemma under each system prompt, "Action 1" /
"Action 2", and that run's records). A record lists, for each of the principle's values, the dilemmas in
which the value was "selected" (it is among the values of the action GPT-4 chose) or "neglected" (among
the other action's values).

Which action carries the supporting side of (principle, dilemma) is not in the files; it is derived:
1. Each record of a steered run, with GPT-4's action in that run, places a value on an action: a
   selected value on the chosen action, a neglected one on the other. A supporting value placed on
   action A, or an opposing value placed on the other action, is one vote for A.
2. The reference matched values by substring (`value in str(values_names)`), so some records are not
   about the value itself: a value recorded both selected and neglected in one dilemma (it matched text
   on both actions) casts no vote, nor does a value contained in another of the principle's values that
   is recorded in the same dilemma ("trust" in "distrust", "responsibility" in "irresponsibility").
3. The supporting action is the majority of the votes of both steered runs; a tie leaves the pair
   undetermined, and it is dropped (counted in the checks).
GPT-4's unsteered answer is read back from the unsteered records the same way (a supporting value
selected, or an opposing one neglected, votes for "GPT-4 chose the supporting action"); None when the
records do not decide it. The checks count every record's agreement with the derived actions.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from pluralbench.core.items import PrincipleItem
from pluralbench.data.csv_files import python_literal, read_csv_rows
from pluralbench.data.daily_dilemmas import DILEMMA_FILE, load_dilemmas
from pluralbench.data.dataset import Dataset
from pluralbench.data.loading import NO_CONTEXT, LoadContext
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file, sha256_json
from pluralbench.registry import data_formats

PRINCIPLES_FILE = "principle_openai_gpt-4_with_system_prompt.csv"
RUN_FILES = {"supporting": "principle_openai_gpt4_eval_with_system_prompt_system_prompt_sup_value.csv",
             "opposing": "principle_openai_gpt4_eval_with_system_prompt_system_prompt_opp_value.csv"}
SIDES = {"supporting": "sup", "opposing": "opp"}  # the files' abbreviations
ANSWERS = {"Action 1": "to_do", "Action 2": "not_to_do"}
OTHER = {"to_do": "not_to_do", "not_to_do": "to_do"}


def _field(row: dict, name: str, kind: type, path, index: int, item_id=None):
    return python_literal(row[name], kind, path=path, row=index, field=name, item_id=item_id)


def principle_row(row: dict, path, index: int) -> dict:
    """One row of the principles file ("Name-Description"): conflict dilemmas, system prompts, and GPT-4's
    unsteered records."""
    name = row["principle"].strip()
    short = name.partition("-")[0]  # what error messages call it
    ids = _field(row, "real_conflict_dilemma_idx", list, path, index, short)
    if len(set(ids)) != len(ids) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise DataError(path, "must list distinct integer dilemma ids", row=index, item_id=short,
                        field="real_conflict_dilemma_idx")
    out = {"principle": name, "dilemma_ids": [str(i) for i in ids], "system": {}, "unsteered": {}}
    for side, abbreviation in SIDES.items():
        column = f"system_propmt_for_{abbreviation}_value"  # sic: the files' column name
        out["system"][side] = row[column].strip()
        out["unsteered"][side] = records(row, f"dilemma_{abbreviation}_values_data_dict_idx", path, index, short)
        if not out["system"][side]:
            raise DataError(path, "is empty", row=index, item_id=short, field=column)
    return out


def records(row: dict, field: str, path, index: int, item_id) -> dict[str, dict[str, list[str]]]:
    """A records field: {value: {"selected" / "neglected": [dilemma ids]}}."""
    found = _field(row, field, dict, path, index, item_id)
    out = {}
    for value, by_status in found.items():
        if not isinstance(by_status, dict) or set(by_status) - {"selected", "neglected"}:
            raise DataError(path, f"value {value!r}: expected selected/neglected lists", row=index, item_id=item_id,
                            field=field)
        out[str(value)] = {status: [str(i) for i in ids] for status, ids in by_status.items()}
    return out


def steered_run(row: dict, side: str, path, index: int, counts: Counter) -> dict:
    """One steered run's row: the principle (full text and short name), GPT-4's action per dilemma ("Action 1" -> to_do, checked against the file's
    own _clean column) and the run's records of each side's values."""
    short, name = SIDES[side], row["principle"].strip()
    column = f"system_prompt_{short}_value_dilemma_model_resp_action"
    raw, clean = (_field(row, c, dict, path, index, name) for c in (column, column + "_clean"))
    actions = {}
    for dilemma, answer in raw.items():
        actions[str(dilemma)] = ANSWERS.get(str(answer).strip())
        counts["gpt4_answers_normalised"] += 1
        counts["gpt4_answers_unreadable"] += actions[str(dilemma)] is None
        counts["gpt4_answers_differing_from_clean_column"] += actions[str(dilemma)] != clean.get(dilemma)
    prefix = f"system_prompt_{short}_value_system_prompt_dilemma"
    return {"principle": f"{row['principle']}-{row['description']}".strip(), "name": name, "actions": actions,
            "records": {s: records(row, f"{prefix}_{SIDES[s]}_values_data_dict_idx", path, index, name) for s in SIDES}}


def _uninformative(value: str, dilemma: str, by_status: dict, recorded_here: set[str]) -> bool:
    """Rule 2: a record that may be about another text than the value itself."""
    both = dilemma in by_status.get("selected", []) and dilemma in by_status.get("neglected", [])
    return both or any(value != other and value in other for other in recorded_here)


def placements(run_records: dict, dilemma: str) -> list[tuple[str, str, bool]]:
    """(side, status, informative) of each record of `dilemma` in one run's records."""
    recorded_here = {v for side in run_records.values() for v, st in side.items()
                     if any(dilemma in ids for ids in st.values())}
    out = []
    for side, by_value in run_records.items():
        for value, by_status in by_value.items():
            informative = not _uninformative(value, dilemma, by_status, recorded_here)
            out += [(side, status, informative) for status, ids in by_status.items() if dilemma in ids]
    return out


def vote(side: str, status: str, chosen: str) -> str:
    """The action a record says carries the supporting side, given the action chosen in its run."""
    on = chosen if status == "selected" else OTHER[chosen]
    return on if side == "supporting" else OTHER[on]


def majority(votes: list[str]) -> str | None:
    tally = Counter(votes)
    top = tally.most_common()
    return top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else None


def supporting_action(runs: dict[str, dict], dilemma: str, counts: Counter) -> str | None:
    """Rules 1-3 over both steered runs' records; every record's agreement with the result is counted."""
    raw, informative = [], []
    for run in runs.values():
        chosen = run["actions"].get(dilemma)
        for side, status, useful in placements(run["records"], dilemma) if chosen else []:
            raw.append(vote(side, status, chosen))
            informative += [raw[-1]] if useful else []
    found = majority(informative)
    counts["records_uninformative"] += len(raw) - len(informative)
    counts["records_agreeing"] += sum(v == found for v in raw) if found else 0
    counts["records_disagreeing"] += sum(v != found for v in raw) if found else 0
    counts["pairs_unanimous" if found and len(set(informative)) == 1 else
           "pairs_by_majority" if found else "pairs_undetermined"] += 1
    return found


def unsteered_choice(unsteered: dict, dilemma: str, supporting: str, counts: Counter) -> str | None:
    """GPT-4's unsteered action read back from its records (None when they do not decide it)."""
    votes = [supporting if (side == "supporting") == (status == "selected") else OTHER[supporting]
             for side, status, useful in placements(unsteered, dilemma) if useful]
    choice = majority(votes)
    counts["gpt4_unsteered_inferred" if choice else "gpt4_unsteered_undetermined"] += 1
    return choice


def pair_items(k: int, principle: dict, runs: dict, dilemmas: dict, counts: Counter) -> list[PrincipleItem]:
    """The items of principle k: one per conflict dilemma whose supporting action is determined."""
    items = []
    for dilemma in principle["dilemma_ids"]:
        supporting = supporting_action(runs, dilemma, counts)
        if supporting is None:
            continue
        recorded = {f"{side}_prompt": runs[side]["actions"].get(dilemma) for side in SIDES}
        recorded["unsteered"] = unsteered_choice(principle["unsteered"], dilemma, supporting, counts)
        name = runs["supporting"]["name"]  # the short name ("Follow the chain of command")
        items.append(PrincipleItem(id=f"{k}:{dilemma}", group=name, principle=name, dilemma_id=dilemma,
                                   dilemma=dilemmas[dilemma]["dilemma"], system=principle["system"],
                                   supporting_action=supporting, recorded={"gpt-4": recorded}))
    return items


def _check_same(principle: dict, run: dict, row: dict, path, index: int) -> None:
    """A steered run's row must be the principles file's row of the same index."""
    if run["principle"] != principle["principle"]:
        raise DataError(path, f"principle {run['principle'][:40]!r} is not row {index} of {PRINCIPLES_FILE} "
                              f"({principle['principle'][:40]!r})", row=index, field="principle")
    if python_literal(row["real_conflict_dilemma_idx"], list, path=path, row=index, field="real_conflict_dilemma_idx") \
            != [int(i) for i in principle["dilemma_ids"]]:
        raise DataError(path, f"differs from {PRINCIPLES_FILE}", row=index, field="real_conflict_dilemma_idx")


def load_principle_files(path: Path, counts: Counter) -> tuple[list[dict], list[dict[str, dict]]]:
    """The principles and, per principle, its two steered runs, checked to be the same principles in order."""
    base_path = path / PRINCIPLES_FILE
    base = read_csv_rows(base_path, {"principle", "real_conflict_dilemma_idx", "system_propmt_for_sup_value",
                                     "system_propmt_for_opp_value", "dilemma_sup_values_data_dict_idx",
                                     "dilemma_opp_values_data_dict_idx"})
    principles = [principle_row(row, base_path, i) for i, row in enumerate(base)]
    runs: list[dict[str, dict]] = [{} for _ in principles]
    for side, name in RUN_FILES.items():
        run_path, short = path / name, SIDES[side]
        rows = read_csv_rows(run_path, {"principle", "description", "real_conflict_dilemma_idx",
                                        f"system_prompt_{short}_value_dilemma_model_resp_action"})
        if len(rows) != len(principles):
            raise DataError(run_path, f"has {len(rows)} principles; {PRINCIPLES_FILE} has {len(principles)}")
        for i, row in enumerate(rows):
            runs[i][side] = steered_run(row, side, run_path, i, counts)
            _check_same(principles[i], runs[i][side], row, run_path, i)
    return principles, runs


@data_formats.register("daily_dilemmas_principles")
def load_daily_dilemmas_principles(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    """The directory: one item per (principle, real-conflict dilemma) with a derived supporting action."""
    files = [path / DILEMMA_FILE, path / PRINCIPLES_FILE, *(path / name for name in RUN_FILES.values())]
    for file in files:
        if not file.is_file():
            raise DataError(file, "data file not found (DailyDilemmas directory)")
    counts: Counter = Counter()
    dilemmas = load_dilemmas(files[0], counts)
    principles, runs = load_principle_files(path, counts)
    items = []
    for k, (principle, principle_runs) in enumerate(zip(principles, runs)):
        unknown = [d for d in principle["dilemma_ids"] if d not in dilemmas]
        if unknown:
            raise DataError(files[1], f"dilemma ids not in {DILEMMA_FILE}: {', '.join(unknown[:5])}", row=k,
                            field="real_conflict_dilemma_idx")
        items += pair_items(k, principle, principle_runs, dilemmas, counts)
    checks = {"principles": len(principles), "pairs": sum(len(p["dilemma_ids"]) for p in principles),
              "items": len(items), "dilemmas": len({it.dilemma_id for it in items}),
              "supporting_action": dict(Counter(it.supporting_action for it in items))} | dict(sorted(counts.items()))
    source = {"kind": "local", "path": str(path), "format": "daily_dilemmas_principles"}
    return Dataset(items, source, sha256_json([sha256_file(f) for f in files]), checks)
