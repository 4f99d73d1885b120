"""The leaderboard as one self-contained HTML page: inline CSS, one inline script, figures as data URIs.

Every string that came from results or the spec goes through html.escape; the page's Content
Security Policy admits only the page's own script (by hash), so even a missed escape could not run
injected code. Columns sort on click (missing values always last); Pareto layer 1 is highlighted.
"""
from __future__ import annotations

import base64
import hashlib
from html import escape
from pathlib import Path

from pluralbench.report.leaderboard import Board, Cell, Column, Row
from pluralbench.report.spec import Commensurator, LeaderboardSpec
from pluralbench.report.tables import MISSING, REFERENCE_POINTS, ReferencePoint, arrow, cell_text, fmt

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1b1b1b;background:#fff}
table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}
th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:right;vertical-align:top}
th{background:#f1f3f5;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.model,th.model{text-align:left;font-family:ui-monospace,monospace}#board td.model{white-space:nowrap}
tr.pareto-front{background:#fff4d6}tr.pareto-front td.layer{font-weight:bold;color:#a15c00}
td.missing{color:#999;text-align:center}.ci{color:#666;font-size:.8em;display:block}
.notes{color:#444;font-size:.9rem;max-width:60rem}figure{display:inline-block;margin:1rem}
figure img{max-width:640px;border:1px solid #ddd}figcaption{font-size:.85rem;color:#444}
code{background:#f6f6f6;padding:0 .2rem}
table.meta th,table.meta td{text-align:left}
"""

# Sorting moves existing row elements; it never writes HTML, so it cannot turn data into markup.
SCRIPT = """
(function(){
  var table=document.getElementById('board');
  var body=table.tBodies[0];
  var heads=table.tHead.rows[0].cells;
  function key(row,i){var c=row.cells[i];return c?c.getAttribute('data-sort'):'';}
  function sortBy(i){
    var th=heads[i], type=th.getAttribute('data-type'), cur=th.getAttribute('aria-sort');
    var dir=cur?(cur==='ascending'?'descending':'ascending'):(th.getAttribute('data-first')||'ascending');
    for(var h=0;h<heads.length;h++){heads[h].removeAttribute('aria-sort');}
    th.setAttribute('aria-sort',dir);
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=key(a,i), y=key(b,i);
      if(x===''&&y==='')return 0; if(x==='')return 1; if(y==='')return -1;
      var r=type==='number'?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);
      return dir==='ascending'?r:-r;
    });
    rows.forEach(function(r){body.appendChild(r);});
  }
  for(var i=0;i<heads.length;i++){(function(i){
    heads[i].addEventListener('click',function(){sortBy(i);});
    heads[i].addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sortBy(i);}});
  })(i);}
})();
"""


def _attr(x) -> str:
    return escape(str(x), quote=True)


def _first_direction(direction: str) -> str:
    """The first click on an objective's header puts the best models on top."""
    return "descending" if direction == "higher" else "ascending"


def render_html(board: Board, figures: list[tuple[str, Path]]) -> str:
    out = _page_head(board.spec)
    out += _board_table(board)
    out += _objectives_table(board.columns)
    out += _reference_table(board.columns)
    out += _functions_list(board.spec.commensurating)
    out += _figures_section(figures)
    if board.notes:
        out.append('<h2>Notes</h2><ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in board.notes) + "</ul>")
    out.append(f'<script>{SCRIPT}</script></body></html>')
    return "\n".join(out) + "\n"


def _page_head(spec: LeaderboardSpec) -> list[str]:
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; "
           "base-uri 'none'; form-action 'none'")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{_attr(csp)}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Leaderboard: {escape(spec.name)}</title><style>{STYLE}</style></head><body>",
           f"<h1>Leaderboard: {escape(spec.name)}</h1>"]
    if spec.description:
        out.append(f'<p class="notes">{escape(spec.description.strip())}</p>')
    return out


def _board_table(board: Board) -> list[str]:
    out = ['<table id="board"><thead><tr>' + "".join(_header_cells(board)) + "</tr></thead><tbody>"]
    for r in board.rows:
        cls = ' class="pareto-front"' if r.layer == 1 else ""
        out.append(f'<tr{cls} data-layer="{r.layer}">' + "".join(_row_cells(board, r)) + "</tr>")
    out.append("</tbody></table>")
    out.append('<p class="notes">Values are means with bootstrap 95% confidence intervals. — marks an objective the '
               "model was not measured on; it is never counted as zero. Highlighted rows form Pareto layer 1: no "
               "other model is at least as good on every objective and better on one (point estimates; models "
               "measured on different objectives are not compared). Click a header to sort.</p>")
    return out


def _header_cells(board: Board) -> list[str]:
    heads = ['<th class="model" data-type="text" tabindex="0" data-first="ascending">model</th>',
             '<th data-type="number" tabindex="0" data-first="ascending" title="1 = no other model is a Pareto '
             'improvement">Pareto layer</th>']
    for c in board.columns:
        o = c.objective
        title = f"{o.task} · {o.metric_path} · {o.direction} is better"
        heads.append(f'<th data-type="number" tabindex="0" data-objective="{_attr(o.name)}" '
                     f'data-first="{_first_direction(o.direction)}" title="{_attr(title)}">'
                     f"{escape(o.label)} {arrow(o.direction)}</th>")
    for f in board.spec.commensurating:
        heads.append(f'<th data-type="number" tabindex="0" data-function="{_attr(f.name)}" data-first="ascending" '
                     f'title="{_attr(f.function)} over {_attr(", ".join(f.objectives))}">rank: {escape(f.label)}</th>')
    return heads


def _row_cells(board: Board, r: Row) -> list[str]:
    tds = [f'<td class="model" data-sort="{_attr(r.label)}" title="fingerprint {_attr(r.key[1])}">'
           f"{escape(r.label)}</td>",
           f'<td class="layer" data-sort="{r.layer}">{r.layer}</td>']
    tds += [_value_cell(r.cells[c.objective.name]) for c in board.columns]
    for f in board.spec.commensurating:
        rank, score = r.ranks.get(f.name), r.scores.get(f.name)
        if rank is None:
            tds.append(f'<td class="missing" data-sort="">{MISSING}</td>')
        else:
            tds.append(f'<td data-sort="{rank}" title="score {fmt(score)}">{rank}</td>')
    return tds


def _value_cell(cell: Cell | None) -> str:
    if cell is None:
        return f'<td class="missing" data-sort="" title="not measured">{MISSING}</td>'
    ci = ""
    if cell.ci_low is not None and cell.ci_high is not None:
        ci = f'<span class="ci">[{fmt(cell.ci_low)}, {fmt(cell.ci_high)}]</span>'
    tip = f"n={cell.n} · {cell.provenance['elicitation']} · {cell.provenance['method']} · run {cell.run_id}"
    return f'<td data-sort="{cell.value!r}" title="{_attr(tip)}">{fmt(cell.value)}{ci}</td>'


def _objectives_table(columns: list[Column]) -> list[str]:
    out = ['<h2>Objectives</h2><table class="meta"><thead>'
           "<tr><th>objective</th><th>task</th><th>metric</th><th>better</th>"
           "<th>elicitation</th><th>read-out</th><th>data</th><th>judge</th></tr></thead><tbody>"]
    for c in columns:
        o, p = c.objective, c.provenance
        mixed = f" (mixed: {', '.join(c.mixed)})" if c.mixed else ""
        judges = ", ".join(v for v in p["judge"] if v != "None") or "none"
        out.append("<tr>" + "".join(f'<td class="model">{escape(x)}</td>' for x in (
            o.label + mixed, o.task, o.metric_path, o.direction, ", ".join(p["elicitation"]) or MISSING,
            ", ".join(p["method"]) or MISSING, ", ".join(p["data"]) or MISSING, judges)) + "</tr>")
    out.append("</tbody></table>")
    return out


def _reference_table(columns: list[Column]) -> list[str]:
    """Each objective's human reference points, beside the board (not in it: no layer or rank sees them)."""
    shown = [c for c in columns if c.reference]
    if not shown:
        return []
    points = [p for p in REFERENCE_POINTS if any(p in c.reference for c in shown)]
    out = ['<h2>Human reference points</h2><table class="meta"><thead><tr><th>objective</th>'
           + "".join(f"<th>{escape(p)}</th>" for p in points) + "<th>run</th></tr></thead><tbody>"]
    for c in shown:
        cells = [escape(cell_text(ReferencePoint(c.reference[p])) if p in c.reference else MISSING) for p in points]
        out.append(f'<tr><td class="model">{escape(c.objective.label)}</td>' + "".join(f"<td>{x}</td>" for x in cells)
                   + f"<td>{escape(c.reference_run or '')}</td></tr>")
    out.append('</tbody></table><p class="notes">The objective\'s metric for stand-ins scored against the same humans '
               "(uniform; all mass on the most or least chosen answer; the read-out's resolution and the survey's "
               "sampling noise where known). See docs/reference-points.md.</p>")
    return out


def _functions_list(functions: tuple[Commensurator, ...]) -> list[str]:
    if not functions:
        return []
    out = ["<h2>Commensurating functions</h2><ul>"]
    for f in functions:
        params = f", params <code>{escape(str(f.params))}</code>" if f.params else ""
        out.append(f"<li><b>{escape(f.label)}</b> = <code>{escape(f.function)}</code> over "
                   f"{escape(', '.join(f.objectives))} (normalised: {escape(f.normalise)}{params})"
                   f"{(': ' + escape(f.description.strip())) if f.description else ''}</li>")
    out.append("</ul>")
    return out


def _figures_section(figures: list[tuple[str, Path]]) -> list[str]:
    if not figures:
        return []
    out = ["<h2>Figures</h2>"]
    for caption, path in figures:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append(f'<figure><img alt="{_attr(caption)}" src="data:image/png;base64,{data}">'
                   f"<figcaption>{escape(caption)}</figcaption></figure>")
    return out
