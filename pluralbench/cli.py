"""`pluralbench` command line. Each subcommand lives in pluralbench/commands/<name>.py and exposes
`register(subparsers)`; modules there are discovered, so adding a command touches no other file.

User errors print one line to stderr and exit 2; nothing already written is removed.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys

from pluralbench import __version__
from pluralbench.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    import pluralbench.commands as commands

    parser = argparse.ArgumentParser(prog="pluralbench", description="Measure how pluralistic a language model is.",
                                     allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"pluralbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"pluralbench.commands.{info.name}").register(sub)
    for command in sub.choices.values():
        # No prefix matching: `--elicit x` must never be taken as another option (`--elicitation x`).
        command.allow_abbrev = False
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: finished work is already saved, the same command resumes."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    # SIGTERM is handled like Ctrl-C while a command runs; the caller's own handler comes back afterwards
    # (tests call main() in their process).
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    args.argv = argv
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"pluralbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"pluralbench: {what}; finished work is saved, the same command resumes", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
