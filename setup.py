"""tasks/ and leaderboards/ sit at the repository root for readers, and ship inside the package as
pluralbench.task_files and pluralbench.leaderboard_specs, so an installed (non-editable) copy has them."""
from setuptools import find_packages, setup

DATA_PACKAGES = {"pluralbench.task_files": "tasks", "pluralbench.leaderboard_specs": "leaderboards"}

setup(
    packages=find_packages(include=["pluralbench", "pluralbench.*"]) + list(DATA_PACKAGES),
    package_dir={"pluralbench": "pluralbench", **DATA_PACKAGES},
)
