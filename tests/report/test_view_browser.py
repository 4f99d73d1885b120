"""`pluralbench view` in a real browser (Debian's headless Chromium through its chromedriver) on real runs of
the embedded SmolLM2: GlobalOpinionQA asked as chat and as a completion (the same items, so the item view shows
both), and a copy of the chat run given hostile strings. Lists worst first, searches, filters by group, shows
an item's bars at the widths of its numbers, keeps hostile text as text, and looks right on a screenshot."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from chromium import needs_chromium, open_view, start_driver
from conftest import run_cli

TASK = "distributional_globalopinionqa"
LIMIT = 8
EVIL_SCRIPT = "</script><script>alert(1)</script>"
EVIL_IMG = '<img src=x onerror="document.title=\'pwned\'">'

pytestmark = [pytest.mark.model, pytest.mark.shared_data, needs_chromium]


def samples_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


def hostile_copy(run_dir: Path, target: Path) -> Path:
    """The chat run with a hostile model name, task name, option text and generated text (a run directory as a
    tampered or careless tool could leave it). Its own task name keeps its items apart from the real runs'."""
    shutil.copytree(run_dir, target)
    metrics = json.loads((target / "metrics.json").read_text())
    metrics["model"]["spec"] = EVIL_SCRIPT
    metrics["run_id"] = "hostile"
    metrics["task"]["name"] = EVIL_IMG
    (target / "metrics.json").write_text(json.dumps(metrics))
    rows = samples_of(target)
    for row in rows:
        row["options"][0] = EVIL_SCRIPT + row["options"][0]
        row["response"] = EVIL_IMG + " and </script> too"
    (target / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return target


@pytest.fixture(scope="module")
def runs(tmp_path_factory, shared_data):
    import os

    root = tmp_path_factory.mktemp("view-runs")
    env = dict(os.environ, PLURALBENCH_CACHE=str(root / "cache"))
    env.pop("PLURALBENCH_DATA", None)
    dirs = {}
    for name in ("chat", "completion"):
        result = run_cli(["run", "--model", "embedded:smollm2-135m-instruct", "--tasks", TASK, "--limit", str(LIMIT),
                          "--elicitation", name, "--data-dir", str(shared_data), "--output", str(root / "runs"),
                          "--no-progress"], env=env)
        assert result.returncode == 0, result.stderr
    for run_dir in (root / "runs").iterdir():
        dirs[json.loads((run_dir / "metrics.json").read_text())["elicitation"]] = run_dir
    dirs["hostile"] = hostile_copy(dirs["chat"], root / "hostile" / "hostile-run")
    page_dir = root / "page"
    result = run_cli(["view", str(root / "runs"), str(dirs["hostile"]), "--out", str(page_dir)], env=env)
    assert result.returncode == 0, result.stderr
    assert "view of 3 run(s)" in result.stdout
    return dirs, page_dir / "view.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


def pick_run(browser, label_part: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    select = Select(browser.find_element(By.ID, "run"))
    index = next(i for i, o in enumerate(select.options) if label_part in o.text and "<" not in o.text)
    select.select_by_index(index)


def listed(browser) -> list[tuple[str, str, str]]:
    """(metric value, id, group) of each row in the item list, top to bottom."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#items tbody tr')).map("
        "r => [r.cells[0].textContent, r.cells[1].textContent, r.cells[2].textContent])")


def test_lists_worst_first_searches_filters_and_draws_bars(runs, browser, shared_data):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    dirs, page = runs
    open_view(browser, page)
    pick_run(browser, "· chat")
    chat = samples_of(dirs["chat"])
    # Worst first by the headline (JS distance, lower is better): the largest distance on top.
    expected = sorted(chat, key=lambda s: -s["metrics"]["jsd_base2"])
    assert [row[1] for row in listed(browser)] == [s["id"] for s in expected]
    assert float(listed(browser)[0][0]) == pytest.approx(expected[0]["metrics"]["jsd_base2"], abs=1e-4)

    # Search by a word of one question's text (read from the real data file), then clear it.
    data = {str(r["id"]): r for r in json.loads(
        (shared_data / "modular_pluralism/distributional_test_globalopinionqa_small.json").read_text())}
    word = "computer"
    hits = {s["id"] for s in chat if word in data[s["id"]]["question"].lower()}
    assert 0 < len(hits) < len(chat)
    search = browser.find_element(By.ID, "search")
    search.send_keys(word)
    assert {row[1] for row in listed(browser)} == hits
    search.clear()
    search.send_keys(" ")  # an input event with an empty query
    assert len(listed(browser)) == len(chat)

    # Filter by group.
    group = chat[0]["group"]
    Select(browser.find_element(By.ID, "group")).select_by_visible_text(group)
    assert {row[2] for row in listed(browser)} == {group}
    assert len(listed(browser)) == sum(s["group"] == group for s in chat)
    Select(browser.find_element(By.ID, "group")).select_by_index(0)

    # One item: its question, its options, and bars as wide as the numbers; both prompt formats shown together.
    target = expected[0]
    browser.find_element(By.CSS_SELECTOR, "#items tbody tr[data-item] td.id").click()
    panel = browser.find_element(By.ID, "item")
    assert data[target["id"]]["question"].split("\n")[0] in panel.find_element(By.CSS_SELECTOR, ".question").text
    assert [e.text.split(". ", 1)[1] for e in panel.find_elements(By.CSS_SELECTOR, ".option-text")] == target["options"]
    widths = browser.execute_script(
        "return Array.from(document.querySelectorAll('#item .bar')).map(b => "
        "[b.dataset.series, b.dataset.run || null, b.getBoundingClientRect().width / b.parentNode.getBoundingClientRect().width])")
    people = [w for s, r, w in widths if s == "people"]
    assert people == pytest.approx(target["human_distribution"], abs=0.01)
    completion = {s["id"]: s for s in samples_of(dirs["completion"])}[target["id"]]
    by_run = {}
    for series, run, width in widths:
        if run is not None:
            by_run.setdefault(series, []).append(width)
    chat_series = next(s for s in by_run if s.endswith("· chat · logprob") and "<" not in s)
    completion_series = next(s for s in by_run if s.endswith("· completion · logprob"))
    assert by_run[chat_series] == pytest.approx(target["model_distribution"], abs=0.01)
    assert by_run[completion_series] == pytest.approx(completion["model_distribution"], abs=0.01)
    answers = panel.find_elements(By.CSS_SELECTOR, "section.run-answer h4")
    assert len(answers) == 2  # chat and completion answered this item
    assert "covered mass" in panel.text
    assert f"{target['covered_mass']:.4f}"[:5] in panel.text
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []


def test_hostile_strings_stay_text(runs, browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    dirs, page = runs
    html = page.read_text()
    assert EVIL_SCRIPT not in html and EVIL_IMG not in html  # escaped in the page source, in every context
    open_view(browser, page)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.execute_script("return document.scripts.length") == 2  # the data block and the page's script
    assert browser.execute_script("return document.images.length") == 0
    assert browser.title != "pwned"  # what the onerror handler would have set
    assert EVIL_SCRIPT in browser.find_element(By.ID, "runs").text  # the model name, shown as text
    select = Select(browser.find_element(By.ID, "run"))
    select.select_by_index(next(i for i, o in enumerate(select.options) if EVIL_SCRIPT in o.text))
    browser.find_element(By.CSS_SELECTOR, "#items tbody tr td.id").click()
    panel = browser.find_element(By.ID, "item")
    assert EVIL_SCRIPT in panel.find_element(By.CSS_SELECTOR, ".option-text").text
    assert EVIL_IMG in panel.text
    assert browser.execute_script("return document.images.length + document.querySelectorAll('#item script').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.title != "pwned"  # what the onerror handler would have set


def test_screenshot_of_the_item_browser(runs, browser, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    _, page = runs
    open_view(browser, page)
    pick_run(browser, "· chat")
    browser.find_element(By.CSS_SELECTOR, "#items tbody tr td.id").click()
    browser.execute_script("document.getElementById('browser').scrollIntoView()")
    shot = tmp_path / "view.png"
    assert browser.save_screenshot(str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[1] >= 1000
    assert float((pixels.min(axis=2) < 235).mean()) > 0.03  # text and bars, not a blank page
    blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 80)  # the model's bars
    assert blue.mean() > 0.002
