"""`TaskFamily.references` on every shipped task's real items: aligned with `requests` (one entry per
ask), a human distribution over the ask's options where the family compares its prediction with one,
None elsewhere. What `logprob_calibrated` fits on."""
from __future__ import annotations

import numpy as np
import pytest

from pluralbench.elicitation import OptionQuery
from pluralbench.runner.execute import RunOptions, prepare_task
from pluralbench.taskfile import get_task, task_names

pytestmark = pytest.mark.shared_data

# Tasks whose every option query has a human distribution; the rest give None throughout.
WITH_REFERENCES = {"distributional_globalopinionqa", "distributional_moralchoice", "distributional_moralchoice_small",
                   "steerable_opinionqa", "steerable_opinionqa_full", "steerable_nyt_books", "jury_countries",
                   "jury_nyt_books", "jury_popquorn", "tradeoff_countries"}
ALL_TASKS = task_names()


def items_of(name: str, shared_data, tmp_path, n: int = 4):
    task = get_task(name)
    prepared = prepare_task(task, RunOptions(output=tmp_path, data_dir=shared_data, cache_dir=None, limit=n))
    return task, prepared.dataset.items


@pytest.mark.parametrize("name", ALL_TASKS)
def test_references_are_aligned_with_the_asks(name, shared_data, tmp_path):
    task, items = items_of(name, shared_data, tmp_path)
    family = task.family_impl()
    asks, refs = family.requests(task, items), family.references(task, items)
    assert [len(a) for a in asks] == [len(r) for r in refs]
    given = [(ask, ref) for row_a, row_r in zip(asks, refs) for ask, ref in zip(row_a, row_r) if ref is not None]
    for ask, ref in given:
        assert isinstance(ask, OptionQuery) and len(ref) == len(ask.options)
        assert np.isclose(sum(ref), 1.0, atol=1e-6) and min(ref) >= 0
    if name in WITH_REFERENCES:
        assert len(given) == sum(isinstance(a, OptionQuery) for row in asks for a in row)


def test_tradeoff_reference_is_the_weighted_mixture_of_the_targets(shared_data, tmp_path):
    task, items = items_of("tradeoff_countries", shared_data, tmp_path, n=2)
    family = task.family_impl()
    weights = family.weights(task)
    for item, refs in zip(items, family.references(task, items)):
        a, b = (np.asarray(o["target"]) for o in item["objectives"][:2])
        for w, ref in zip(weights, refs):
            assert np.allclose(ref, w * a + (1 - w) * b)


def test_mpi_references_only_with_a_human_distribution_file(shared_data, tmp_path):
    task, items = items_of("distributional_mpi", shared_data, tmp_path)
    refs = task.family_impl().references(task, items)
    assert all((r[0] is not None) == (it.get("human") is not None) for it, r in zip(items, refs))
