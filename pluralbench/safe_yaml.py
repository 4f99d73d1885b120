"""YAML for configuration files (task files, leaderboard specs), read with limits that a hostile or
mistaken file cannot get past: its size, its nesting depth, and the size it would have with every alias
expanded (a "billion laughs" file is a few hundred bytes that expand to 10**9 nodes; safe_load itself
shares aliased nodes, but every walk over the result would expand them). Each limit is checked while
the file is composed, so a file over one fails at once, before anything walks it."""
from __future__ import annotations

from pathlib import Path

import yaml

MAX_BYTES = 1_000_000  # the largest shipped file is about 6 kB
MAX_DEPTH = 64  # shipped files nest under 10 levels; PyYAML recurses per level and fails near 300
MAX_EXPANDED_NODES = 100_000  # nodes counted with every alias expanded


class YAMLLimitError(ValueError):
    pass


class _LimitedLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._expanded: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def compose_node(self, parent, index):
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YAMLLimitError(f"nested more than {MAX_DEPTH} levels deep{_where(self.peek_event())}")
        node = super().compose_node(parent, index)
        self._depth -= 1
        if id(node) not in self._expanded:  # an alias returns its anchor's node, already counted
            self._expanded[id(node)] = 1 + sum(self._expanded.get(id(child), 1) for child in _children(node))
        if self._expanded[id(node)] > MAX_EXPANDED_NODES:
            raise YAMLLimitError(f"would expand to more than {MAX_EXPANDED_NODES:,} values once its aliases are "
                                 f"expanded (an alias bomb?){_where(node)}")
        return node


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _where(marked) -> str:
    mark = getattr(marked, "start_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YAMLLimitError(f"is {size:,} bytes; a configuration file may hold at most {MAX_BYTES:,}")


def load(text: str):
    """yaml.safe_load within the depth and expansion limits (YAMLLimitError past one)."""
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
