"""The view page in headless Chromium on every shipped task's stored samples (tests/golden, no model needed):
each run's items list, and the first items of each open with their bars or fields and no script error."""
import pytest

from chromium import needs_chromium, open_view, start_driver
from report_runs import golden_runs

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from pluralbench.cli import main

    root = tmp_path_factory.mktemp("golden-view")
    assert main(["view", str(golden_runs(root / "runs")), "--out", str(root / "page")]) == 0
    return root / "page" / "view.html"


def test_every_family_opens_in_the_item_view(page, tmp_path_factory):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = start_driver(tmp_path_factory.mktemp("chromium-profile"))
    try:
        open_view(driver, page)
        select = Select(driver.find_element(By.ID, "run"))
        labels = [o.text for o in select.options]
        assert len(labels) == len(list((page.parent.parent / "runs").iterdir()))
        for index, label in enumerate(labels):
            select.select_by_index(index)
            rows = driver.find_elements(By.CSS_SELECTOR, "#items tbody tr")
            assert rows, label
            for row in rows[:2]:
                row.click()
                panel = driver.find_element(By.ID, "item")
                assert panel.find_elements(By.CSS_SELECTOR, "section.run-answer"), label
                if "overton" in label:  # generated text with each value's best sentence and judge score
                    assert "best_sentence" in panel.text and "response" in panel.text, label
                else:
                    assert panel.find_elements(By.CSS_SELECTOR, ".bar"), label
        assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []
    finally:
        driver.quit()
