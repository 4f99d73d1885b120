"""Argument types shared by the subcommands, so every command rejects bad values with the same message."""
from __future__ import annotations

import argparse


def _int_at_least(text: str, low: int, says: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{value} must be {says}")
    return value


def positive_int(text: str) -> int:
    return _int_at_least(text, 1, "at least 1")


def non_negative_int(text: str) -> int:
    """Seeds: numpy's generators refuse negative ones, so say it before any work is done."""
    return _int_at_least(text, 0, "0 or more")
