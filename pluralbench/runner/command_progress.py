"""Progress of a whole `pluralbench run` with several tasks: one line (task k of n, items done, ETA) above
each task's own bar. On a terminal it is a tqdm bar kept open while the task's bar runs below it; on a
non-terminal stream (a log file, CI) it is one plain line as each task starts, never a carriage return."""
from __future__ import annotations

import sys
import time


def eta_seconds(measured_items: int, measured_seconds: float, remaining_items: int) -> float | None:
    """Seconds left at the pace of the tasks that ran (tasks answered from their run directory took no
    time and are left out of the pace); None before any has run."""
    if measured_items <= 0 or measured_seconds <= 0:
        return None
    return measured_seconds / measured_items * remaining_items


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class CommandProgress:
    """`start(k, name)` before task k (1-based), `done(items, paced)` after it (paced: the model answered some
    of it, so its time says how fast the rest will go). Silent with one task or when disabled (--no-progress)."""

    def __init__(self, items_per_task: list[int], enabled: bool, stream):
        self.sizes, self.stream = items_per_task, stream
        self.enabled = enabled and len(items_per_task) > 1
        self.tty = self.enabled and hasattr(stream, "isatty") and stream.isatty()
        self.done_items = self.measured_items = 0
        self.measured_seconds = 0.0
        self.bar = None
        self._t0 = time.perf_counter()

    def line(self, k: int, name: str) -> str:
        total = sum(self.sizes)
        eta = eta_seconds(self.measured_items, self.measured_seconds, total - self.done_items)
        return (f"task {k} of {len(self.sizes)}: {name} | {self.done_items} of {total} items done | "
                f"ETA {format_duration(eta)}")

    def start(self, k: int, name: str) -> None:
        self._t0 = time.perf_counter()
        if not self.enabled:
            return
        if not self.tty:
            print(f"pluralbench: {self.line(k, name)}", file=self.stream, flush=True)
            return
        if self.bar is None:
            from tqdm import tqdm

            # Opened first, so tqdm places every task's bar on the line below it; gone once the table is printed.
            self.bar = tqdm(total=sum(self.sizes), file=self.stream, dynamic_ncols=True, bar_format="{desc}",
                            leave=False)
        self.bar.set_description_str(self.line(k, name))

    def done(self, items: int, paced: bool) -> None:
        self.done_items += items
        if paced:
            self.measured_items += items
            self.measured_seconds += time.perf_counter() - self._t0

    def write(self, text: str, stream=None) -> None:
        """A line (stdout by default) that does not tear the bar: tqdm redraws it below."""
        if self.bar is None:
            print(text, file=stream or sys.stdout, flush=True)
            return
        from tqdm import tqdm

        tqdm.write(text, file=stream or sys.stdout)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
