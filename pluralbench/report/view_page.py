"""The view page rendered from Jinja2 templates shipped in pluralbench/report/templates: one self-contained
HTML file (inline style, one inline script, data as JSON) that works from file:// with no network.

Safety as on the leaderboard page: autoescape on for every value, a Content Security Policy that admits
only the page's own script by its hash, and item data read with JSON.parse and written with textContent.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")
# JSON inside <script> ends at the first "</script"; with <, > and & escaped no data can end it or open a comment.
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 ord("\u2028"): "\\u2028", ord("\u2029"): "\\u2029"}


def json_for_script(document) -> Markup:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Markup(text.translate(_JSON_ESCAPES))


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
            "base-uri 'none'; form-action 'none'")


def render_view(runs: list[dict], browser: dict, notes: list[str], sources: list[str]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      keep_trailing_newline=True)
    script = (TEMPLATES / "view.js").read_text(encoding="utf-8")
    title = ", ".join(sorted({r["task"] for r in runs}))
    return env.get_template("view.html.j2").render(
        runs=runs, notes=notes, sources=sources, title=title, csp=content_security_policy(script), script=script,
        style=(TEMPLATES / "view.css").read_text(encoding="utf-8"), data_json=json_for_script(browser))
