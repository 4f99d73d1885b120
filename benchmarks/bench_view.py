"""How long `pluralbench view` takes to open on an OpinionQA-sized run (issue 17: under 3 s in headless Chromium).

The run is built from the real OpinionQA items (the full per-wave task, 24,564 (question, group) rows, each with
three steering styles and an unsteered answer), scored by `pluralbench score` with the task's own code. Its
predictions are NOT a model's: they are seeded random distributions, written only to give the page a run of that
size, and the run is named `size-test` so it is never mistaken for a result. No model is run.

Timed: generating the page (`pluralbench view`), and in Debian's headless Chromium, from navigation start to the
first item rows painted (the page's `items-painted` performance mark), over fresh page loads; the median is printed.

    .venv/bin/python benchmarks/bench_view.py --data-dir ../shared/data [--work DIR] [--loads 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TASK = "steerable_opinionqa_full"


def size_test_predictions(data_dir: Path, path: Path) -> int:
    """samples.jsonl rows for every item of TASK with seeded random distributions (a size test, not a model)."""
    from pluralbench.data import load_task_data
    from pluralbench.runner.execute import loader_context
    from pluralbench.taskfile import get_task

    task = get_task(TASK)
    items = load_task_data(task.data, loader_context(task, data_dir)).items
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            n = len(item["options"])
            block = lambda: {"model_distribution": rng.dirichlet(np.ones(n)).tolist()}  # noqa: E731
            row = {"id": item["id"], "options": item["options"], "unsteered": block(),
                   "styles": {style: block() for style in task.params["styles"]}}
            fh.write(json.dumps(row) + "\n")
    return len(items)


def cli(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pluralbench", *args], check=True, cwd=REPO,
                   env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def open_times(page: Path, loads: int) -> list[float]:
    """Seconds from navigation start to the first item rows painted, one fresh browser tab load each."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(120)
    times = []
    try:
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(page.as_uri())
            WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
            mark = driver.execute_script("return performance.getEntriesByName('items-painted')[0].startTime")
            rows = driver.execute_script("return document.querySelectorAll('#items tbody tr').length")
            assert rows > 0, "no item rows painted"
            times.append(mark / 1000.0)
    finally:
        driver.quit()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=None, help="working directory (default: a temporary one)")
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-view-"))
    work.mkdir(parents=True, exist_ok=True)
    predictions = work / "size-test.jsonl"
    n = size_test_predictions(args.data_dir.resolve(), predictions)
    score_s = cli("score", "--task", TASK, "--predictions", str(predictions), "--output", str(work / "runs"),
                  "--data-dir", str(args.data_dir.resolve()))
    view_s = cli("view", str(work / "runs"), "--out", str(work / "view"), "--data-dir", str(args.data_dir.resolve()))
    page = work / "view" / "view.html"
    times = open_times(page, args.loads)
    print(f"size test (random predictions, not a model): {n} items of {TASK}; scored in {score_s:.1f} s")
    print(f"pluralbench view: {view_s:.1f} s to write {page} ({page.stat().st_size / 1e6:.1f} MB)")
    print(f"open in headless Chromium, navigation start -> first item rows painted, {len(times)} loads: "
          f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
