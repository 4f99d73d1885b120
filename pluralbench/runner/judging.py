"""Running a judge over (premise, hypothesis) pairs with the same guarantees as model calls.

Judge calls are the second most expensive step of a judged task, so they are deduplicated, cached
in the shared response cache (keyed on the judge's full fingerprint and the exact ordered pair, so
the direction is part of the key), and journalled per batch in the run directory, so a killed run
resumes and a re-run costs nothing. Batches are planned over all pairs before any are skipped: a
resumed run computes exactly the batches an uninterrupted one would.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Iterable

from pluralbench.hashing import sha256_json
from pluralbench.runner.cache import ResponseCache
from pluralbench.runner.journal import Journal

Pair = tuple[str, str]  # (premise, hypothesis)


def judge_key(fingerprint: dict, pair: Pair) -> str:
    return sha256_json({"judge": fingerprint, "premise": pair[0], "hypothesis": pair[1]})


@dataclass
class Judgements:
    """Judge scores for every pair a task asked about, and who produced them."""

    scores: dict[Pair, float]
    judge: dict  # Judge.info() plus the direction
    counts: dict = field(default_factory=dict)

    def score(self, premise: str, hypothesis: str) -> float:
        return self.scores[(premise, hypothesis)]


def run_judge(judge, pairs: Iterable[Pair], *, cache: ResponseCache | None, journal: Journal | None,
              batch_size: int | None = None, progress: bool = False, stream=sys.stderr,
              label: str = "judge") -> tuple[dict[Pair, float], dict]:
    from tqdm import tqdm

    fingerprint = judge.fingerprint()
    unique: dict[str, Pair] = {}
    for pair in pairs:
        unique.setdefault(judge_key(fingerprint, pair), pair)
    ordered = sorted(unique, key=lambda k: (len(unique[k][0]) + len(unique[k][1]), k))  # similar lengths batch together
    size = batch_size or judge.default_batch_size
    batches = [ordered[i:i + size] for i in range(0, len(ordered), size)]
    known: dict[str, float] = dict(journal.entries) if journal is not None else {}
    counts = {"judge_unique_pairs": len(ordered), "judge_journal_hits": sum(1 for k in ordered if k in known),
              "judge_cache_hits": 0, "judge_calls": 0, "judge_batches": 0}
    bar = tqdm(total=len(ordered), initial=counts["judge_journal_hits"], desc=label, unit="pair", file=stream,
               disable=not progress, dynamic_ncols=True, mininterval=1.0)
    try:
        for batch in batches:
            missing = [k for k in batch if k not in known]
            if not missing:
                continue
            from_cache = cache.get_many(missing) if cache is not None else {}
            counts["judge_cache_hits"] += len(from_cache)
            to_compute = [k for k in missing if k not in from_cache]
            fresh: dict[str, float] = {}
            if to_compute:
                values = judge.score_pairs([unique[k] for k in to_compute])
                fresh = {k: float(v) for k, v in zip(to_compute, values)}
                counts["judge_calls"] += len(to_compute)
                counts["judge_batches"] += 1
                if cache is not None:
                    cache.put_many(fresh)  # cache before journal: a kill between them loses nothing
            done = {k: (from_cache[k] if k in from_cache else fresh[k]) for k in missing}
            if journal is not None:
                journal.append(done)
            known.update(done)
            bar.update(len(missing))
    finally:
        bar.close()
    return {unique[k]: float(known[k]) for k in ordered}, counts
