"""What `pluralbench view` shows, gathered from finished runs: a summary per run for the page's tables and
the item browser's data, kept compact (strings shared through tables, numbers rounded) so a
24,600-item run stays quick to open."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pluralbench.report.results import RunResult, read_samples
from pluralbench.report.view_items import extras, human_series, item_options, model_series, numeric_metrics, rounded
from pluralbench.report.view_questions import question_of, question_texts


@dataclass
class Interned:
    """A table of values shared by many items (question texts, option lists): items hold an index."""
    values: list = field(default_factory=list)
    index: dict = field(default_factory=dict)

    def __call__(self, value) -> int:
        key = repr(value)
        if key not in self.index:
            self.index[key] = len(self.values)
            self.values.append(value)
        return self.index[key]


@dataclass
class BrowserData:
    runs: list = field(default_factory=list)
    items: list = field(default_factory=list)
    item_index: dict = field(default_factory=dict)  # (task, item id) -> position in items
    texts: Interned = field(default_factory=Interned)
    option_sets: Interned = field(default_factory=Interned)

    def document(self) -> dict:
        return {"runs": self.runs, "items": self.items, "texts": self.texts.values,
                "option_sets": self.option_sets.values}


def run_label(run: RunResult) -> str:
    method = method_name(run.metrics)
    return f"{run.model_spec} · {run.task} · {run.metrics['elicitation']}" + (f" · {method}" if method else "")


def short_label(run: RunResult) -> str:
    """What tells apart runs of the same items: model, prompt format and read-out method."""
    method = method_name(run.metrics)
    return f"{run.model_spec} · {run.metrics['elicitation']}" + (f" · {method}" if method else "")


def method_name(metrics: dict) -> str | None:
    """The read-out method, where metrics.json records one (older runs do not)."""
    method = metrics.get("elicitation_method")
    if isinstance(method, dict):
        return str(method.get("spec") or method.get("name") or method)
    return None if method is None else str(method)


def sort_metrics(run: RunResult, samples: list[dict]) -> list[tuple[str, str]]:
    """(metric, direction) of every per-item number, the headline first: the list the browser sorts by. A
    metric with no better direction (descriptive) is sorted like a lower-is-better one: largest first."""
    names: dict[str, None] = {}
    for sample in samples:
        names.update(dict.fromkeys(numeric_metrics(sample)))
    headline = run.metrics["headline"]
    ordered = ([headline] if headline in names else []) + [n for n in names if n != headline]
    overall = run.metrics.get("overall", {})
    return [(n, (overall.get(n) or {}).get("direction")) for n in ordered]


def add_run(data: BrowserData, run: RunResult, data_dir: Path | None) -> str | None:
    """Adds the run's rows to the browser data; -> a note when its question texts could not be found."""
    samples = read_samples(run.path)
    questions, note = question_texts(run, data_dir)
    metrics = sort_metrics(run, samples)
    entries = []
    for sample in samples:
        position = _item(data, run.task, sample, questions)
        values = numeric_metrics(sample)
        dists, mass = model_series(sample)
        entries.append([position, [rounded(values.get(name)) for name, _ in metrics], rounded(dists),
                        rounded(mass), rounded(extras(sample))])
    data.runs.append({"label": run_label(run), "short": short_label(run), "task": run.task, "metrics": [n for n, _ in metrics],
                      "directions": [d for _, d in metrics], "entries": entries})
    return note


def _item(data: BrowserData, task: str, sample: dict, questions: dict[str, str]) -> int:
    key = (task, str(sample["id"]))
    if key not in data.item_index:
        question = question_of(sample) or questions.get(str(sample["id"]))
        options = item_options(sample)
        group = sample.get("group")
        data.item_index[key] = len(data.items)
        data.items.append({"id": str(sample["id"]), "task": task, "group": None if group is None else str(group),
                           "q": None if question is None else data.texts(question),
                           "o": data.option_sets(options), "h": rounded(human_series(sample))})
    return data.item_index[key]


def browser_data(runs: list[RunResult], data_dir: Path | None) -> tuple[dict, list[str]]:
    data, notes = BrowserData(), []
    for run in runs:
        note = add_run(data, run, data_dir)
        if note:
            notes.append(note)
    return data.document(), notes
