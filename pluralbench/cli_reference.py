"""docs/cli.md, generated from the command line's own parser: every command, argument, default and help text.

    python -m pluralbench.cli_reference > docs/cli.md

tests/unit/test_docs_tables.py fails when the committed page differs from this output.
"""
from __future__ import annotations

import argparse

from pluralbench.cli import build_parser

HEADER = """# Command-line reference

Every command and flag of `pluralbench`, generated from its argument parser by
`python scripts/regenerate_docs.py` (a test fails when this page is stale). What the flags of
`pluralbench run` mean in practice is in [running.md](running.md).
"""


def reference() -> str:
    parser = build_parser()
    commands = _subcommands(parser)
    parts = [HEADER, "| command | what it does |", "|---|---|"]
    parts += [f"| [`{name}`](#pluralbench-{name}) | {_cell(helptext)} |" for name, (helptext, _) in commands.items()]
    for name, (helptext, sub) in commands.items():
        parts += ["", f"## pluralbench {name}", "", f"{helptext}." if helptext else "", "",
                  f"```\n{_usage(sub)}\n```", "", "| argument | default | meaning |", "|---|---|---|"]
        parts += [_row(sub, action) for action in sub._actions if not isinstance(action, argparse._HelpAction)]
    return "\n".join(parts) + "\n"


def _subcommands(parser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {name: (helps.get(name, ""), sub) for name, sub in sorted(action.choices.items())}


def _usage(sub) -> str:
    # argparse wraps usage to the terminal's width: a fixed width keeps the page the same everywhere
    formatter = argparse.HelpFormatter(sub.prog, width=100)
    formatter.add_usage(sub.usage, sub._actions, sub._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip()


def _row(sub, action) -> str:
    names = ", ".join(action.option_strings) or action.metavar or action.dest
    if action.option_strings and action.nargs != 0:
        names += f" {_metavar(action)}"
    default = "" if action.default in (None, argparse.SUPPRESS) or action.nargs == 0 else f"`{action.default}`"
    helptext = argparse.HelpFormatter(sub.prog)._expand_help(action) if action.help else ""
    return f"| `{names}` | {default} | {_cell(helptext)} |"


def _metavar(action) -> str:
    if action.metavar:
        return action.metavar
    if action.choices:
        return "{" + ",".join(map(str, action.choices)) + "}"
    return action.dest.upper()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


if __name__ == "__main__":
    print(reference(), end="")
