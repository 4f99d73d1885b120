"""POPQUORN ratings (Pei & Jurgens 2023) with rater demographics, as juries of demographic groups.

`raw_data.csv`: one row per (text, rater): instance_id, user_id, text, a rating on a 1-5 scale (column
named by the data option rating_field, e.g. offensiveness), and the rater's gender, race, age, occupation,
education. One item per text (in file order); its jurors are the demographic groups
("gender: Woman", "age: 18-24", ...) with at least one rater of that text, each holding the
distribution of its raters' ratings; `pooled` is the distribution over all the text's raters.
"""
from __future__ import annotations

from pathlib import Path

from pluralbench.core.items import JuryItem
from pluralbench.data.dataset import Dataset
from pluralbench.data.juries import RATER_GROUP_OPTIONS, rating_distribution, read_csv_rows
from pluralbench.data.loading import NO_CONTEXT, LoadContext, accepts
from pluralbench.errors import DataError
from pluralbench.hashing import sha256_file
from pluralbench.registry import data_formats


@data_formats.register("popquorn_ratings")
@accepts(**RATER_GROUP_OPTIONS, rating_field={"type": "string"}, scale={"type": "array", "items": {"type": "number"}})
def load_popquorn_ratings(path: Path, data_options: dict, context: LoadContext = NO_CONTEXT) -> Dataset:
    field = data_options.get("rating_field", "offensiveness")
    dims = list(data_options.get("demographics", ["gender", "race", "age", "education"]))
    scale = [float(x) for x in data_options.get("scale", [1, 2, 3, 4, 5])]
    min_raters = int(data_options.get("min_raters_per_group", 1))
    _, rows = read_csv_rows(path, ("instance_id", "text", field, *dims))
    texts: dict[str, dict] = {}
    for i, row in enumerate(rows, start=1):
        iid = (row["instance_id"] or "").strip()
        if not iid:
            raise DataError(path, "empty", row=i, field="instance_id")
        try:
            rating = float(row[field])
        except (TypeError, ValueError):
            raise DataError(path, f"expected a number, got {row[field]!r}", row=i, item_id=iid, field=field) from None
        if rating not in scale:
            raise DataError(path, f"rating {rating} is not on the scale {scale}", row=i, item_id=iid, field=field)
        entry = texts.setdefault(iid, {"text": row["text"], "ratings": [], "groups": {}})
        if row["text"] != entry["text"]:
            raise DataError(path, "differs from the text of an earlier row with this instance_id", row=i,
                            item_id=iid, field="text")
        k = scale.index(rating)
        entry["ratings"].append(k)
        for dim in dims:
            value = (row[dim] or "").strip()
            if value:  # a rater who left a demographic blank is simply not in that dimension's groups
                entry["groups"].setdefault(f"{dim}: {value}", []).append(k)

    items = []
    for iid, entry in texts.items():
        jurors = {g: rating_distribution(ks, len(scale)) for g, ks in sorted(entry["groups"].items())
                  if len(ks) >= min_raters}
        if not jurors:
            continue
        items.append(JuryItem(id=iid, text=entry["text"], jurors=jurors,
                              juror_sizes={g: len(entry["groups"][g]) for g in jurors},
                              pooled=rating_distribution(entry["ratings"], len(scale)), jury=None,
                              # each rater's option index: the sampling floor and split-half agreement need them
                              ratings=list(entry["ratings"])))
    if not items:
        raise DataError(path, "no rated texts")
    checks = {"rows": len(rows), "texts": len(texts), "demographics": dims, "min_raters_per_group": min_raters}
    return Dataset(items, {"kind": "local", "path": str(path), "format": "popquorn_ratings"}, sha256_file(path), checks)
