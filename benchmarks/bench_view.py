"""How long `pluralbench view` takes to open on an OpinionQA-sized run (issue 17: under 3 s in headless Chromium).

The run is built from the real OpinionQA items (the full per-wave task, 24,564 (question, group) rows, each with
three steering styles and an unsteered answer), scored by `pluralbench score` with the task's own code. Its
predictions are NOT a model's: they are seeded random distributions, written only to give the page a run of that
size, and the run is named `size-test` so it is never mistaken for a result. No model is run.

Timed: generating the page (`pluralbench view`), and in Debian's headless Chromium, from navigation start to the
first item rows painted (the page's `items-painted` performance mark), over fresh page loads; the median is printed.

Scoring 24,564 rows with bootstrap intervals takes many minutes on a busy 2-core machine; `--construct` writes the
run directory directly instead (the same real items and size-test predictions, per-item JS distances computed
here, a metrics.json with only the headline), which is all the page's load time depends on.

    .venv/bin/python benchmarks/bench_view.py --data-dir ../shared/data [--work DIR] [--loads 5] [--construct]
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


def size_test_rows(data_dir: Path):
    """(task, dataset, rows): for every item of TASK, seeded random distributions per steering style and
    unsteered, in samples.jsonl form (a size test, not a model)."""
    from pluralbench.data import load_task_data
    from pluralbench.runner.execute import loader_context
    from pluralbench.taskfile import get_task

    task = get_task(TASK)
    dataset = load_task_data(task.data, loader_context(task, data_dir))
    rng = np.random.default_rng(0)
    rows = []
    for item in dataset.items:
        n = len(item["options"])
        block = lambda: {"model_distribution": rng.dirichlet(np.ones(n)).tolist()}  # noqa: E731
        rows.append({"id": item["id"], "options": item["options"], "unsteered": block(),
                     "styles": {style: block() for style in task.params["styles"]}})
    return task, dataset, rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def constructed_run(run_dir: Path, task, dataset, rows: list[dict]) -> None:
    """A run directory written here rather than by `pluralbench score`: the rows with the people's
    distributions and per-item JS distances, and a metrics.json holding only the headline. Named size-test."""
    from scipy.spatial.distance import jensenshannon

    run_dir.mkdir(parents=True)
    values = []
    for row, item in zip(rows, dataset.items):
        gold = np.asarray(item["gold"], dtype=float)
        row.update(group=item["group"], human_distribution=item["gold"])
        for block in [row["unsteered"], *row["styles"].values()]:
            block["metrics"] = {"js_distance": float(jensenshannon(block["model_distribution"], gold, base=2))}
        row["metrics"] = {"js_distance": min(b["metrics"]["js_distance"] for b in row["styles"].values())}
        values.append(row["metrics"]["js_distance"])
    write_jsonl(run_dir / "samples.jsonl", rows)
    mean = float(np.mean(values))
    metrics = {"schema_version": 1, "run_id": run_dir.name, "elicitation": "external", "parameters": {},
               "task": {"name": task.name, "version": task.version, "family": task.family, "data_sha256": dataset.sha256},
               "model": {"spec": "size-test:random-predictions", "fingerprint_id": "size-test"},
               "headline": "js_distance", "counts": {"items": len(rows)},
               "overall": {"js_distance": {"value": mean, "ci_low": mean, "ci_high": mean, "n": len(rows),
                                           "direction": "lower"}}}
    (run_dir / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    manifest = {"schema_version": 1, "status": "complete", "run_id": run_dir.name,
                "task": {"name": task.name, "file": task.path, "file_sha256": task.file_sha256},
                "data": {"source": dataset.source}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


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
    parser.add_argument("--construct", action="store_true", help="write the run directory here, not with `score`")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-view-"))
    work.mkdir(parents=True, exist_ok=True)
    task, dataset, rows = size_test_rows(args.data_dir.resolve())
    n = len(rows)
    start = time.perf_counter()
    if args.construct:
        constructed_run(work / "runs" / f"{TASK}__size-test", task, dataset, rows)
    else:
        write_jsonl(work / "size-test.jsonl", rows)
        cli("score", "--task", TASK, "--predictions", str(work / "size-test.jsonl"), "--output", str(work / "runs"),
            "--data-dir", str(args.data_dir.resolve()))
    made_s = time.perf_counter() - start
    view_s = cli("view", str(work / "runs"), "--out", str(work / "view"), "--data-dir", str(args.data_dir.resolve()))
    page = work / "view" / "view.html"
    times = open_times(page, args.loads)
    how = "written here (--construct)" if args.construct else "scored by pluralbench score"
    print(f"size test (random predictions, not a model): {n} items of {TASK}; run {how} in {made_s:.1f} s")
    print(f"pluralbench view: {view_s:.1f} s to write {page} ({page.stat().st_size / 1e6:.1f} MB)")
    print(f"open in headless Chromium, navigation start -> first item rows painted, {len(times)} loads: "
          f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
