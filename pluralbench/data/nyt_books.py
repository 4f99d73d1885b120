"""NYT notable books of 2023 rated by Prolific annotators (Meister et al. 2024, "Benchmarking
distributional alignment of large language models"): how likely each annotator is to read each book,
on a 4-point scale.

Two formats over the `nyt_books/` directory:
- `nyt_books_groups`: one item per (book, group) from the published aggregate `data.json` (Democrat,
  Republican, Male, Female), shaped like the OpinionQA items so the steerable-distribution family
  steers the model to the group. Zero counts are omitted in the file and filled with 0 here.
- `nyt_books_annotators`: one item per book whose jurors are demographic groups built from the
  per-annotator ratings (`individual_annotations/NYTIMES_proportions_ID.json`) joined with the
  annotators' demographics (`nytimes_annotator_demographics.csv`); `pooled` holds every annotator once.

The aggregate counts disagree with the individual tallies on 7 books (SOURCES.md): each format reads
only its own source, so neither mixes the two.
"""
from __future__ import annotations

import re
from pathlib import Path

from pluralbench.core.items import JuryItem, OptionItem
from pluralbench.core.prompts import fill, lettered
from pluralbench.data.dataset import Dataset
from pluralbench.data.distributions import count_vector
from pluralbench.data.files import read_json
from pluralbench.data.juries import RATER_GROUP_OPTIONS, rating_distribution, read_csv_rows
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_files
from pluralbench.registry import data_formats

AGGREGATE_FILE = "data.json"
ANNOTATIONS_FILE = "individual_annotations/NYTIMES_proportions_ID.json"
DEMOGRAPHICS_FILE = "individual_annotations/nytimes_annotator_demographics.csv"
# The aggregate's groups, named ATTRIBUTE_value as the steerable family expects.
AGGREGATE_GROUPS = {"Democrat": "POLPARTY_Democrat", "Republican": "POLPARTY_Republican",
                    "Male": "SEX_Male", "Female": "SEX_Female"}
DEMOGRAPHIC_COLUMNS = {"gender": "QDem_Gend", "race": "QDem_Race", "party": "Q_DemRepub",
                       "income": "QDem_Income", "age": "QDem_Age"}
AGE_BINS = ((18, 29, "18-29"), (30, 49, "30-49"), (50, 64, "50-64"), (65, 200, "65+"))  # Pew's bins
_RATING = re.compile(r"^\s*(\d+)\s*:\s*(.+?)\s*$")


def _directory(path: Path) -> Path:
    if not path.is_dir():
        raise DataError(path, "expected the nyt_books directory (data.json, individual_annotations/)")
    return path


def _books(path: Path) -> dict:
    books = read_json(path)
    if not isinstance(books, dict) or not books:
        raise DataError(path, "expected a non-empty JSON object keyed by book title")
    for title, book in books.items():
        if not isinstance(book, dict):
            raise DataError(path, f"expected an object, got {type(book).__name__}", item_id=title)
        for field in ("genre", "summary"):
            if not isinstance(book.get(field), str):
                raise DataError(path, "missing or not a string", item_id=title, field=field)
    return books


def parse_rating(text, path: Path, item_id: str, field: str) -> tuple[int, str]:
    """'3: Somewhat likely' -> (3, 'Somewhat likely')."""
    match = _RATING.match(text) if isinstance(text, str) else None
    if not match:
        raise DataError(path, f"expected a rating like '1: Very unlikely', got {text!r}", item_id=item_id, field=field)
    return int(match.group(1)), match.group(2)


def _scale(book: dict, path: Path, title: str) -> list[str]:
    options = book.get("MC_options")
    if not isinstance(options, list) or len(options) < 2:
        raise DataError(path, "needs a list of at least two options", item_id=title, field="MC_options")
    parsed = [parse_rating(o, path, title, "MC_options") for o in options]
    if [n for n, _ in parsed] != list(range(1, len(parsed) + 1)):
        raise DataError(path, "options must be numbered 1..k in order", item_id=title, field="MC_options")
    return options


def book_fields(title: str, book: dict) -> dict:
    return {"title": title, "genre": book["genre"].strip(), "summary": book["summary"].strip()}


@data_formats.register("nyt_books_groups")
def load_nyt_groups(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    root = _directory(path)
    file = root / AGGREGATE_FILE
    books = _books(file)
    template = context.prompt_template or "{title}\n{options}"
    items, filled = [], 0
    for title, book in books.items():
        options = _scale(book, file, title)
        labels = [parse_rating(o, file, title, "MC_options")[1] for o in options]
        counts = {}
        for group, name in AGGREGATE_GROUPS.items():
            given = book.get(group)
            if not isinstance(given, dict):
                raise DataError(file, "expected {option: count}", item_id=title, field=group)
            unknown = sorted(set(given) - set(options))
            if unknown:
                raise DataError(file, f"count for {unknown[0]!r}, which is not an option", item_id=title, field=group)
            counts[name] = count_vector(given, options, path=file, item_id=title, field=group)
            filled += sum(o not in given for o in options)
        prompt = fill(template, "prompt.template", **book_fields(title, book), options=lettered(labels))
        for name, vec in counts.items():
            total = sum(vec)
            if total <= 0:
                continue
            items.append(OptionItem(id=f"{title}|{name}", prompt=prompt, options=labels,
                                    gold=[c / total for c in vec], group=name, question_key=title,
                                    ordinal_positions=list(range(1, len(labels) + 1)), respondents=total,
                                    # no whole-population row: party and sex groups overlap, and neither pair
                                    # covers everyone (a few annotators are of another party or gender)
                                    population=None))
    if not items:
        raise DataError(file, "no (book, group) items with ratings")
    checks = {"books": len(books), "items": len(items), "options_filled_with_zero": filled}
    return Dataset(items, {"kind": "local", "path": str(root), "format": "nyt_books_groups"},
                   sha256_files([file], root), checks)


def age_bin(text: str) -> str | None:
    try:
        age = int(float(text))
    except (TypeError, ValueError):
        return None
    return next((name for lo, hi, name in AGE_BINS if lo <= age <= hi), None)


def read_demographics(path: Path, dims: list[str]) -> tuple[dict[str, dict[str, str]], int]:
    """annotator id -> {dimension: group}; a dimension on which an annotator's duplicate rows disagree is
    left unknown for that annotator. Returns the map and the number of such conflicts."""
    _, rows = read_csv_rows(path, ("Q84", *(DEMOGRAPHIC_COLUMNS[d] for d in dims)))
    people: dict[str, dict[str, str | None]] = {}
    conflicts = 0
    for i, row in enumerate(rows, start=1):
        pid = (row["Q84"] or "").strip()
        if not pid:
            raise DataError(path, "empty annotator id", row=i, field="Q84")
        values = {}
        for dim in dims:
            raw = (row[DEMOGRAPHIC_COLUMNS[dim]] or "").strip()
            values[dim] = age_bin(raw) if dim == "age" else (raw or None)
        if pid in people:
            for dim in dims:
                if people[pid].get(dim) != values[dim] and people[pid].get(dim) is not None:
                    conflicts += 1
                    people[pid][dim] = None
        else:
            people[pid] = values
    return {pid: {d: v for d, v in vals.items() if v} for pid, vals in people.items()}, conflicts


@data_formats.register("nyt_books_annotators")
@accepts(**RATER_GROUP_OPTIONS)
def load_nyt_annotators(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    root = _directory(path)
    ann_file, demo_file = root / ANNOTATIONS_FILE, root / DEMOGRAPHICS_FILE
    dims = list(data_options.get("demographics", list(DEMOGRAPHIC_COLUMNS)))
    unknown_dims = [d for d in dims if d not in DEMOGRAPHIC_COLUMNS]
    if unknown_dims:
        raise DataError(demo_file, f"unknown demographic {unknown_dims[0]!r}; known: {', '.join(DEMOGRAPHIC_COLUMNS)}")
    min_raters = int(data_options.get("min_raters_per_group", 1))
    people, conflicts = read_demographics(demo_file, dims)
    books = _books(ann_file)
    items, without_demographics = [], set()
    for title, book in books.items():
        ratings: dict[str, int] = {}
        for group, members in book.items():
            if group in ("MC_options", "genre", "summary"):
                continue
            if not isinstance(members, dict):
                raise DataError(ann_file, "expected {annotator id: rating}", item_id=title, field=group)
            for pid, text in members.items():
                k, _ = parse_rating(text, ann_file, title, group)
                if pid in ratings and ratings[pid] != k:
                    raise DataError(ann_file, f"annotator {pid} rates this book {ratings[pid]} in one group and "
                                    f"{k} in another", item_id=title, field=group)
                ratings[pid] = k
        scale = book.get("MC_options")
        if not isinstance(scale, list) or scale != list(range(1, len(scale) + 1)) or len(scale) < 2:
            raise DataError(ann_file, "expected the scale [1, 2, ..., k]", item_id=title, field="MC_options")
        if any(not 1 <= k <= len(scale) for k in ratings.values()):
            raise DataError(ann_file, f"a rating outside 1..{len(scale)}", item_id=title)
        groups: dict[str, list[int]] = {}
        for pid, k in ratings.items():
            person = people.get(pid)
            if person is None:
                without_demographics.add(pid)
                continue
            for dim, value in person.items():
                groups.setdefault(f"{dim}: {value}", []).append(k - 1)
        jurors = {g: rating_distribution(ks, len(scale)) for g, ks in sorted(groups.items()) if len(ks) >= min_raters}
        if not jurors:
            continue
        items.append(JuryItem(id=title, **book_fields(title, book), jurors=jurors,
                              juror_sizes={g: len(groups[g]) for g in jurors},
                              pooled=rating_distribution([k - 1 for k in ratings.values()], len(scale)),
                              raters=len(ratings), jury=None,
                              # each annotator's option index: the sampling floor and split-half agreement need them
                              ratings=[k - 1 for k in ratings.values()]))
    if not items:
        raise DataError(ann_file, "no rated books")
    checks = {"books": len(books), "items": len(items), "annotators": len(people), "demographics": dims,
              "min_raters_per_group": min_raters, "demographic_conflicts": conflicts,
              "raters_without_demographics": len(without_demographics)}
    return Dataset(items, {"kind": "local", "path": str(root), "format": "nyt_books_annotators"},
                   sha256_files([ann_file, demo_file], root), checks)
