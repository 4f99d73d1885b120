"""The first command installs only what running needs; the test set-up adds the rest; CI runs the README's
test command."""
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

import pytest
from conftest import REPO
from packaging.requirements import Requirement


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pins(path) -> dict[str, str]:
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return {_name(row.split("==")[0]): row.split("==")[1] for row in rows}


def _closure(requirements, extras=("",), seen=None) -> set[str]:
    """Every installed distribution that `requirements` pull in (markers evaluated for this machine)."""
    seen = set() if seen is None else seen
    for req in requirements:
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        key = (_name(req.name), tuple(sorted(req.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = distribution(req.name).requires or []
        except PackageNotFoundError:
            continue  # an optional dependency this machine does not have (none of the base ones)
        _closure([Requirement(r) for r in requires], tuple(req.extras) or ("",), seen)
    return seen


def _readme_commands() -> list[str]:
    block = REPO.joinpath("README.md").read_text(encoding="utf-8").split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_run_lock_pins_everything_running_needs_and_nothing_only_tests_use():
    run = _pins(REPO / "requirements" / "lock.txt")
    tests = _pins(REPO / "requirements" / "lock-tests.txt")
    assert not set(run) & set(tests)
    base = [Requirement(r) for r in distribution("pluralbench").requires if "extra ==" not in r]
    needed = {name for name, _ in _closure(base)} - {"torch"}  # torch is installed first, from its own pin
    assert needed - set(run) == set()
    assert {"pytest", "hypothesis", "selenium", "lm-eval", "scikit-learn"} <= set(tests)
    assert not {"pytest", "hypothesis", "selenium", "lm-eval", "scikit-learn"} & set(run)


def test_the_readme_has_two_commands_and_ci_runs_the_second():
    first, second = _readme_commands()
    assert first.startswith("./scripts/setup.sh && ") and "pluralbench run" in first
    assert second == "./scripts/setup.sh --tests && .venv/bin/python -m pytest"
    last = [line for line in REPO.joinpath(".ci/run").read_text(encoding="utf-8").splitlines() if line.strip()][-1]
    assert last == second


@pytest.mark.skipif(sys.prefix != str(REPO / ".venv"), reason="needs this checkout's own .venv (scripts/setup.sh)")
@pytest.mark.parametrize("flags", [[], ["--tests"]])
def test_setup_again_is_free(flags):
    done = subprocess.run(["bash", str(REPO / "scripts" / "setup.sh"), *flags], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stderr  # the stamps held: no pip ran
