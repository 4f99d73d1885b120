"""What each elicitation method costs, in one process on one loaded model (embedded SmolLM2, float32)
and the same GlobalOpinionQA questions, each method driven through the seam a run uses
(runner.asks.expand -> runner.model_calls.answer_in_memory -> collapse/finalize), printed as ratios:

- sampled:20 vs logprob                          (issue 15 target: at most 4x)
- a loop calling generate once per sample vs sampled:20, per question (target: at least 5x slower)
- verbalized vs logprob                          (target: at most 8x)
- lm-eval HFLM.loglikelihood of the same option texts vs sequence (target: at least 2x slower), when
  lm-eval is installed

    .venv/bin/python benchmarks/bench_elicitation.py --data-dir ../shared/data [--model SPEC,threads=1]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_throughput import RESULTS, chunks, make_lmeval, measured, ratio  # noqa: E402
from pluralbench.core.records import GenerationSettings  # noqa: E402
from pluralbench.elicitation import OptionQuery, get_method  # noqa: E402
from pluralbench.metrics.variation import total_variation  # noqa: E402
from pluralbench.models import load_model  # noqa: E402
from pluralbench.runner.asks import collapse, expand, finalize  # noqa: E402
from pluralbench.runner.model_calls import answer_in_memory  # noqa: E402

MODEL = "embedded:smollm2-135m-instruct"
ELICITATION = "chat"  # what `auto` resolves to for the instruction-tuned SmolLM2


def questions(data_dir: Path, n: int) -> list[dict]:
    """The first row of each of the file's first n questions: n distinct prompts."""
    data = json.loads((data_dir / "modular_pluralism" / "distributional_test_globalopinionqa_small.json").read_text())
    first: dict[str, dict] = {}
    for row in data:
        first.setdefault(row["question"], row)
    return list(first.values())[:n]


def timed_method(adapter, rows: list[dict], spec: str, batch: int) -> dict:
    """One method on the rows, timed end to end; its mean TV to the rows' human distributions and its
    finalize record are kept as findings."""
    method = get_method(spec)
    asks = [[OptionQuery(r["question"], tuple(r["options"]), "Answer:")] for r in rows]
    with measured(f"{spec}, {len(rows)} questions", len(rows), "question") as record:
        requests, sizes = expand(asks, method)
        outputs = collapse(asks, sizes, answer_in_memory(adapter, requests, ELICITATION, batch), method)
        outputs, fitted = finalize(asks, outputs, [[r["gold_distribution"]] for r in rows], method)
    tvs = [total_variation(pred["distribution"], r["gold_distribution"])
           for (pred,), r in zip(outputs, rows) if pred["distribution"] is not None]
    finding = {"name": f"{spec}: read-out", "answered": len(tvs), "of": len(rows),
               "mean_tv": float(np.mean(tvs)) if tvs else None}
    finding |= {k: v for k, v in fitted.items() if k in ("parse_rate", "renormalised", "fold_temperatures")}
    RESULTS.append(finding)
    print(f"    {finding}", flush=True)
    return record


def per_sample_loop(adapter, rows: list[dict], n: int, batch: int) -> dict:
    """The way without a shared encoding: generate called once per sample, every prompt encoded n times."""
    rendered = [adapter.render(r["question"], ELICITATION, "Answer:") for r in rows]
    sampled = get_method(f"sampled:{n}").generation
    with measured(f"generate once per sample x{n}, {len(rows)} questions", len(rows), "question") as record:
        for j in range(n):
            settings = GenerationSettings(max_new_tokens=sampled.max_new_tokens, temperature=sampled.temperature,
                                          seed=j, stop=sampled.stop)
            for part in chunks(rendered, batch):
                adapter.generate(part, settings)
    return record


def lmeval_sequences(adapter, rows: list[dict], batch: int) -> dict | None:
    """lm-eval's loglikelihood of the same option texts after the same rendered contexts."""
    try:
        from lm_eval.api.instance import Instance
    except ImportError:
        print("  lm-eval is not installed: sequence vs lm-eval skipped", flush=True)
        return None
    lm = make_lmeval(adapter, batch)
    method = get_method("sequence")
    pairs = []
    for r in rows:
        (req,) = method.requests(OptionQuery(r["question"], tuple(r["options"]), "Answer:"))
        context = adapter.render(req.prompt, ELICITATION, req.answer_prefix).text
        pairs += [(context, text) for text in req.continuations]
    instances = [Instance(request_type="loglikelihood", doc={}, arguments=p, idx=i) for i, p in enumerate(pairs)]
    with measured(f"lm-eval HFLM.loglikelihood of the option texts, {len(rows)} questions", len(rows),
                  "question") as record:
        lm.loglikelihood(instances, disable_tqdm=True)
    return record


def at_most(label: str, slow: dict, fast: dict, target: float) -> float:
    value = slow["per_unit_ms"] / fast["per_unit_ms"]
    print(f"  ratio {label:<56} {value:7.2f}x  (target <= {target:g}x: {'met' if value <= target else 'MISSED'})",
          flush=True)
    RESULTS.append({"ratio": label, "value": value, "target_max": target})
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("PLURALBENCH_DATA", REPO.parent / "shared/data")))
    ap.add_argument("--rows", type=int, default=200, help="GlobalOpinionQA questions per method")
    ap.add_argument("--loop-rows", type=int, default=40, help="questions timed with the per-sample generate loop")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--model", default=MODEL, help="e.g. embedded:smollm2-135m-instruct,threads=1 on a shared machine")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    adapter = load_model(args.model)  # first: a threads= option sets the thread count reported below
    print(f"{args.model}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    rows = questions(args.data_dir, args.rows)
    logprob = timed_method(adapter, rows, "logprob", args.batch_size)
    sampled = timed_method(adapter, rows, f"sampled:{args.samples}", args.batch_size)
    loop = per_sample_loop(adapter, rows[:args.loop_rows], args.samples, args.batch_size)
    verbalized = timed_method(adapter, rows, "verbalized", args.batch_size)
    sequence = timed_method(adapter, rows, "sequence", args.batch_size)
    lmeval = lmeval_sequences(adapter, rows, args.batch_size)
    at_most(f"sampled:{args.samples} vs logprob", sampled, logprob, 4.0)
    ratio(f"generate per sample vs sampled:{args.samples} (per question)", loop, sampled, 5.0)
    at_most("verbalized vs logprob", verbalized, logprob, 8.0)
    if lmeval is not None:
        ratio("lm-eval loglikelihood vs sequence", lmeval, sequence, 2.0)
    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2))


if __name__ == "__main__":
    main()
