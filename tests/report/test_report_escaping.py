"""A shared results folder cannot inject into the leaderboard's Markdown or CSV: model names, group names
and fingerprints with table pipes, line breaks, HTML and spreadsheet formulas come out as inert text."""
from __future__ import annotations

import csv
import re

import pytest

from report_runs import write_run

HOSTILE = [
    "m:pipe|name",
    "m:new\nline | injected | row",
    "m:cr\rreturn",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
]
HOSTILE_GROUPS = {"=1+2": {"jsd_base2": 0.4}, "<i>Brazil</i>|x": {"jsd_base2": 0.5}, "Japan": {"jsd_base2": 0.3}}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def unescaped_cells(line: str) -> list[str]:
    """A Markdown table row split on the pipes that are not backslash-escaped."""
    return re.split(r"(?<!\\)\|", line)[1:-1]


@pytest.mark.filterwarnings("ignore:Glyph 13")  # a carriage return in a figure label: drawn as nothing
def test_leaderboard_outputs_are_inert(tmp_path):
    from pluralbench.cli import main

    runs = tmp_path / "runs"
    for i, name in enumerate(HOSTILE):
        write_run(runs, name, {"jsd_base2": 0.2 + 0.01 * i, "covered_mass": 0.9 - 0.01 * i}, groups=HOSTILE_GROUPS,
                  fingerprint="=cmd|' /C calc'!A0" if i == 0 else None)
    out = tmp_path / "board"
    assert main(["leaderboard", str(runs), "--out", str(out)]) == 0

    # Markdown: one table row per model, every row with the header's number of cells, no live HTML.
    md = (out / "leaderboard.md").read_text()
    assert "<script>" not in md and "<i>" not in md
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| model |"))
    table = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        table.append(line)
    width = len(unescaped_cells(lines[start]))
    assert len(table) == len(HOSTILE)
    assert all(len(unescaped_cells(row)) == width for row in table), table
    assert not any(line.startswith(("line", "return")) for line in lines)  # no name broke onto a line of its own

    # CSV: one record per model; no text cell a spreadsheet would evaluate; names kept, made inert with a quote.
    for path in (out / "leaderboard.csv", *out.glob("groups_*.csv")):
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        for row in rows:
            for cell in row:
                if cell.startswith(FORMULA_START):
                    float(cell)  # only a (negative) number may start that way
    with (out / "leaderboard.csv").open(newline="") as fh:
        records = list(csv.DictReader(fh))
    assert len(records) == len(HOSTILE)
    expected = {"'" + n if n.startswith(FORMULA_START) else n for n in HOSTILE}
    assert {r["model"] for r in records} == expected
    assert "'=cmd|' /C calc'!A0" in {r["fingerprint_id"] for r in records}
    groups_csv = next(out.glob("groups_*.csv")).read_text()
    assert "'=1+2" in groups_csv and "\n=1+2" not in groups_csv and ",=1+2" not in groups_csv

    # HTML: the hostile name is text (the browser test checks how it renders).
    html = (out / "leaderboard.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_helpers():
    from pluralbench.report.tables import code_span, md_escape

    assert md_escape("a|b\nc\r\nd<e>&") == "a\\|b c d&lt;e&gt;&amp;"
    assert code_span("x`y\nz") == "`x'y z`"
