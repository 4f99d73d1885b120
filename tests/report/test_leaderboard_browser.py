"""The leaderboard page in a real browser: Debian's headless Chromium, driven through its own chromedriver
(selenium needs no downloaded browser here). Renders, sorts on click, marks the Pareto layer, shows a
hostile model name as text, and looks like something on a screenshot."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from report_runs import write_run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
EVIL = "<script>alert(1)</script>"

pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")

# (model, jsd (lower is better), option mass (higher is better)) and the layer each must land in.
MODELS = [
    (EVIL, 0.20, 0.60, 1),            # best JSD
    ("m:balanced", 0.30, 0.90, 1),    # best mass
    ("m:dominated", 0.35, 0.80, 2),   # worse than m:balanced on both
    ("m:worst", 0.50, 0.10, 3),       # worse than m:dominated on both
    ("m:no-mass", 0.25, None, 1),     # not measured on mass: compared with no one
]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    from pluralbench.cli import main

    root = tmp_path_factory.mktemp("browser")
    for name, jsd, mass, _ in MODELS:
        write_run(root / "runs", name, {"jsd_base2": jsd, "covered_mass": mass},
                  groups={"Japan": {"jsd_base2": jsd}, "<i>Brazil</i>": {"jsd_base2": jsd + 0.1}})
    assert main(["leaderboard", str(root / "runs"), "--out", str(root / "board")]) == 0
    return root / "board" / "leaderboard.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def model_order(driver):
    from selenium.webdriver.common.by import By

    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#board tbody td.model")]


def test_page_renders_sorts_marks_the_front_and_escapes(page, browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#board tbody tr")
    assert len(rows) == len(MODELS)
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#board thead th")]
    assert heads[:4] == ["model", "Pareto layer", "GlobalOpinionQA JS distance ↓", "GlobalOpinionQA option mass ↑"]

    # The hostile name is text in a cell, not an element; nothing ran.
    assert EVIL in model_order(browser)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.execute_script("return document.scripts.length") == 1
    assert browser.execute_script("return document.querySelectorAll('#board i, #board tbody script').length") == 0
    assert browser.title == "Leaderboard: default"

    # Pareto marking: the layer column, the data attribute and the highlight agree with the hand-worked layers.
    expected = {name: layer for name, _, _, layer in MODELS}
    highlight = None
    for row in rows:
        name = row.find_element(By.CSS_SELECTOR, "td.model").text
        layer = int(row.find_element(By.CSS_SELECTOR, "td.layer").text)
        assert layer == expected[name] == int(row.get_attribute("data-layer")), name
        marked = "pareto-front" in (row.get_attribute("class") or "")
        assert marked == (layer == 1), name
        colour = row.value_of_css_property("background-color")
        if marked:
            highlight = highlight or colour
            assert colour == highlight
        else:
            assert colour != highlight

    # Sorting by clicking headers: best first on the first click, reversed on the second, missing always last.
    jsd_head = browser.find_element(By.CSS_SELECTOR, "th[data-objective=globalopinionqa_jsd]")
    jsd_head.click()
    by_jsd = sorted(MODELS, key=lambda m: m[1])
    assert model_order(browser) == [m[0] for m in by_jsd]
    assert jsd_head.get_attribute("aria-sort") == "ascending"
    jsd_head.click()
    assert model_order(browser) == [m[0] for m in reversed(by_jsd)]
    mass_head = browser.find_element(By.CSS_SELECTOR, "th[data-objective=globalopinionqa_option_mass]")
    mass_head.click()
    assert model_order(browser) == ["m:balanced", "m:dominated", EVIL, "m:worst", "m:no-mass"]
    assert mass_head.get_attribute("aria-sort") == "descending" and jsd_head.get_attribute("aria-sort") is None
    mass_head.click()
    assert model_order(browser) == ["m:worst", EVIL, "m:dominated", "m:balanced", "m:no-mass"]
    browser.find_element(By.CSS_SELECTOR, "#board thead th.model").click()
    assert model_order(browser) == sorted(m[0] for m in MODELS)

    # Our own script ran under the page's CSP (sorting worked), and the browser logged no violation.
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []

    # A screenshot that shows a page, not a blank.
    from PIL import Image

    shot = tmp_path / "leaderboard.png"
    assert browser.save_screenshot(str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[1] >= 800
    non_white = float((pixels.min(axis=2) < 235).mean())
    assert non_white > 0.02, non_white
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # text, highlight and borders, not a flat fill
    figures = browser.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(figures) == 2 and all(browser.execute_script("return arguments[0].naturalWidth", f) > 100
                                     for f in figures)
