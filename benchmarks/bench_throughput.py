"""Where the time goes: pluralbench against the reference scripts' method, lm-eval and the bare
forward-pass floor, all in this one process on the same loaded model (embedded SmolLM2, float32) and
the same rendered prompts. Machines are noisy, so every line is also printed as a ratio.

    .venv/bin/python benchmarks/bench_throughput.py --data-dir ../shared/data            # everything
    .venv/bin/python benchmarks/bench_throughput.py --data-dir ../shared/data --only goqa  # one section

Sections: goqa (distributional, GlobalOpinionQA small file), prefix (ValuePrism valence and
OpinionQA steering: shared-prefix reuse vs lm-eval), warm (warm cache re-run), generation (batched
vs one-at-a-time Overton generation), scaling (rows vs unique prompts), bf16 (opt-in precision).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pluralbench.core.options import LETTERS  # noqa: E402
from pluralbench.elicitation import OptionQuery  # noqa: E402
from pluralbench.elicitation.logprob import LogProb  # noqa: E402
from pluralbench.metrics import js_distance  # noqa: E402
from pluralbench.models import load_model  # noqa: E402
from pluralbench.models.base import GenerationSettings  # noqa: E402
from pluralbench.data.dataset import Dataset  # noqa: E402
from pluralbench.runner.batch_plan import plan_batches  # noqa: E402
from pluralbench.runner.execute import PreparedTask, RunOptions, prepare_task, run_task  # noqa: E402
from pluralbench.taskfile import get_task  # noqa: E402

MODEL = "embedded:smollm2-135m-instruct"
RESULTS: list[dict] = []


class PeakRSS:
    """Peak resident memory during a block, sampled every 20 ms (torch allocations included)."""

    def __init__(self):
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@contextmanager
def measured(name: str, units: int, unit: str):
    record = {"name": name, "units": units, "unit": unit}
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        yield record
        record["seconds"] = time.perf_counter() - t0
    record["peak_rss_mb"] = round(mem.peak / 2**20)
    record["per_unit_ms"] = 1000 * record["seconds"] / max(units, 1)
    RESULTS.append(record)
    print(f"  {name:<58} {record['seconds']:8.2f} s  {record['per_unit_ms']:8.2f} ms/{unit}  "
          f"peak RSS {record['peak_rss_mb']} MB", flush=True)


def ratio(label: str, slow: dict, fast: dict, target: float | None = None, per: str = "per_unit_ms"):
    value = slow[per] / fast[per]
    verdict = "" if target is None else ("  (target >= %.2fx: %s)" % (target, "met" if value >= target else "MISSED"))
    print(f"  ratio {label:<56} {value:7.2f}x{verdict}", flush=True)
    RESULTS.append({"ratio": label, "value": value, "target": target})
    return value


def options_of(n: int) -> tuple[str, ...]:
    return tuple(LETTERS[:n])


def chunks(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


# ---- the competing methods, each on already-rendered prompt text ------------------------------------

def pluralbench_run(task_name: str, adapter, data_dir: Path, limit: int | None, cache: Path, out: Path, batch: int,
                    params: dict | None = None):
    task = get_task(task_name)
    if params:
        task = dataclasses.replace(task, params=task.params | params)
    opts = RunOptions(output=out, data_dir=data_dir, cache_dir=cache, limit=limit, batch_size=batch, progress=False)
    prepared = prepare_task(task, opts)
    return run_task(prepared, adapter, MODEL, opts)


def reference_method(adapter, texts: list[str], n_options: list[int]):
    """Modular Pluralism's vanilla_lm.py, from its description: per row, batch 1, sample 20 new tokens
    at temperature 0.1, then one more forward pass and read the top-10 next tokens after strip()."""
    tok, model = adapter.tokenizer, adapter.model
    dists = []
    for text, k in zip(texts, n_options):
        ids = tok(text, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            model.generate(**ids, max_new_tokens=20, do_sample=True, temperature=0.1,
                           pad_token_id=tok.pad_token_id)
            logits = model(**ids).logits[0, -1]
        top = torch.topk(torch.softmax(logits.float(), -1), 10)
        probs = dict.fromkeys(LETTERS[:k], 0.0)
        for p, i in zip(top.values.tolist(), top.indices.tolist()):
            s = tok.decode([i]).strip()
            if s in probs:
                probs[s] += p
        total = sum(probs.values())
        dists.append([v / total for v in probs.values()] if total > 0 else [1.0 / k] * k)
    return dists


def lmeval_distributions(lm, texts: list[str], n_options: list[int]):
    """lm-eval's way: loglikelihood of each option continuation " A", " B", ... after the context."""
    from lm_eval.api.instance import Instance

    requests, spans = [], []
    for text, k in zip(texts, n_options):
        start = len(requests)
        for letter in LETTERS[:k]:
            requests.append(Instance(request_type="loglikelihood", doc={}, arguments=(text, f" {letter}"), idx=0))
        spans.append((start, start + k))
    results = lm.loglikelihood(requests, disable_tqdm=True)
    out = []
    for a, b in spans:
        logps = np.array([r[0] for r in results[a:b]])
        w = np.exp(logps - logps.max())
        out.append((w / w.sum()).tolist())
    return out


def forward_floor(adapter, rendered, batch: int):
    """A bare batched forward over the prompts: last-position logits only, nothing else."""
    tok, model = adapter.tokenizer, adapter.model
    order = sorted(range(len(rendered)), key=lambda i: len(rendered[i].text))
    for idx in chunks(order, batch):
        rows = [tok(rendered[i].text, add_special_tokens=rendered[i].add_special_tokens)["input_ids"] for i in idx]
        input_ids, mask, positions = adapter._pad(rows)
        with torch.inference_mode():
            model(input_ids=input_ids, attention_mask=mask, position_ids=positions, logits_to_keep=1)


def make_lmeval(adapter, batch: int):
    from lm_eval.models.huggingface import HFLM

    return HFLM(pretrained=adapter.model, tokenizer=adapter.tokenizer, device="cpu", batch_size=batch)


# ---- sections ---------------------------------------------------------------------------------------

def goqa_rows(adapter, data_dir: Path, limit: int | None):
    task = get_task("distributional_globalopinionqa")
    prepared = prepare_task(task, RunOptions(output=Path("."), data_dir=data_dir, cache_dir=None, limit=limit))
    items = prepared.dataset.items
    rendered = {it["prompt"]: adapter.render(it["prompt"], "chat", "Answer:") for it in items}
    return items, rendered


def section_goqa(adapter, args, tmp: Path):
    print("\n[goqa] GlobalOpinionQA small file, SmolLM2 float32, chat elicitation", flush=True)
    items, rendered = goqa_rows(adapter, args.data_dir, None)
    unique = list(rendered)
    print(f"  {len(items)} rows, {len(unique)} unique questions", flush=True)

    with measured("pluralbench run, cold cache (whole file)", len(items), "row") as cold:
        summary = pluralbench_run("distributional_globalopinionqa", adapter, args.data_dir, None, tmp / "c1",
                                  tmp / "o1", args.batch_size)
    cold["unique"] = summary.counts["unique_requests"]
    best = None
    for batch in (4, 8, 16):
        with measured(f"forward floor, unique prompts, batch {batch}", len(items), "row") as rec:
            forward_floor(adapter, [rendered[u] for u in unique], batch)
        if best is None or rec["seconds"] < best["seconds"]:
            best = rec
    sub_items = items[: args.subset]
    sub_texts = [rendered[it["prompt"]].text for it in sub_items]
    sub_k = [len(it["options"]) for it in sub_items]
    ref_n = min(args.reference_rows, len(sub_items))
    with measured(f"reference method (MP vanilla_lm), first {ref_n} rows", ref_n, "row") as ref:
        reference_method(adapter, sub_texts[:ref_n], sub_k[:ref_n])
    lm = make_lmeval(adapter, args.batch_size)
    with measured(f"lm-eval HFLM.loglikelihood, first {len(sub_items)} rows", len(sub_items), "row") as lme:
        lme_dists = lmeval_distributions(lm, sub_texts, sub_k)
    with measured(f"pluralbench run, cold cache, first {len(sub_items)} rows", len(sub_items), "row") as pb_sub:
        sub_summary = pluralbench_run("distributional_globalopinionqa", adapter, args.data_dir, len(sub_items),
                                      tmp / "c2", tmp / "o2", args.batch_size)
    samples = [json.loads(line) for line in (sub_summary.run_dir / "samples.jsonl").read_text().splitlines()]
    jsds = [js_distance(s["model_distribution"], d, 2) for s, d in zip(samples, lme_dists)]
    print(f"  agreement pluralbench vs lm-eval ({len(jsds)} rows): mean JSD {np.mean(jsds):.2e}, max {np.max(jsds):.2e}")
    RESULTS.append({"name": "agreement pluralbench vs lm-eval", "mean_jsd": float(np.mean(jsds)),
                    "max_jsd": float(np.max(jsds))})
    with measured("pluralbench run, warm cache (whole file, new output dir)", len(items), "row") as warm:
        pluralbench_run("distributional_globalopinionqa", adapter, args.data_dir, None, tmp / "c1", tmp / "o3",
                        args.batch_size)
    ratio("reference method / pluralbench (whole file), per row", ref, cold, 15.0)
    ratio(f"lm-eval / pluralbench (first {len(sub_items)} rows), per row", lme, pb_sub, 1.3)
    ratio("lm-eval / pluralbench (lm-eval on the subset vs pluralbench whole file)", lme, cold)
    value = cold["seconds"] / best["seconds"]
    print(f"  ratio {'pluralbench cold / best forward floor (whole file)':<56} {value:7.2f}x  "
          f"(target <= 1.15x: {'met' if value <= 1.15 else 'MISSED'})")
    RESULTS.append({"ratio": "pluralbench cold / forward floor", "value": value, "target_max": 1.15})
    value = 100 * warm["seconds"] / cold["seconds"]
    print(f"  warm re-run = {value:.2f}% of the cold run (target < 2%: {'met' if value < 2 else 'MISSED'})")
    RESULTS.append({"ratio": "warm / cold percent", "value": value, "target_max": 2.0})


def section_prefix(adapter, args, tmp: Path):
    print("\n[prefix] shared-prefix key/value reuse vs lm-eval on the same rows", flush=True)
    lm = make_lmeval(adapter, args.batch_size)
    for task_name in args.prefix_tasks:
        task = get_task(task_name)
        prepared = prepare_task(task, RunOptions(output=Path("."), data_dir=args.data_dir, cache_dir=None,
                                                 limit=args.prefix_rows))
        family = task.family_impl()
        # Each option query as the default read-out (logprob) sends it: one `options` request.
        reqs = [m for per in family.requests(task, prepared.dataset.items) for q in per if isinstance(q, OptionQuery)
                for m in LogProb().requests(q)]
        reqs = list(dict.fromkeys(reqs))
        rendered = [adapter.render_request(r, "chat") for r in reqs]
        order = sorted(range(len(reqs)), key=lambda i: rendered[i].text)  # shared prefixes side by side
        rendered = [rendered[i] for i in order]
        labels = [reqs[i].labels for i in order]
        outs = {}
        keyed = {f"{i:06d}": (reqs[j], rendered[i]) for i, j in enumerate(order)}
        for share in (False, True):
            adapter.share_prefix = share
            # The batches a run plans (runner/batch_plan.py): packed option batches grow by packed size.
            batches = [[int(k) for k in b] for b in plan_batches(keyed, args.batch_size, by_text=share)]
            with measured(f"{task_name}: pluralbench options, share_prefix={share}", len(rendered), "prompt") as rec:
                res = [None] * len(rendered)
                for idx in batches:
                    for i, out in zip(idx, adapter.option_distributions([rendered[i] for i in idx],
                                                                        [labels[i] for i in idx])):
                        res[i] = out
            print(f"  {len(batches)} batches, at most {max(map(len, batches))} prompts")
            outs[share] = (rec, res)
        adapter.share_prefix = True
        diff = max(np.abs(np.subtract(a.label_logprobs, b.label_logprobs)).max()
                   for a, b in zip(outs[False][1], outs[True][1]))
        print(f"  max |shared - unshared| label log-prob: {diff:.2e} (target <= 1e-4: {'met' if diff <= 1e-4 else 'MISSED'})")
        RESULTS.append({"name": f"{task_name} shared vs unshared max abs logprob", "value": float(diff)})
        with measured(f"{task_name}: lm-eval loglikelihood", len(rendered), "prompt") as lme:
            lmeval_distributions(lm, [r.text for r in rendered], [len(lab) for lab in labels])
        ratio(f"{task_name}: lm-eval / pluralbench (shared prefix)", lme, outs[True][0], 2.0)
        ratio(f"{task_name}: unshared / shared prefix", outs[False][0], outs[True][0])
        # The whole pipeline on the same rows (cold cache): planning, cache, journal and scoring included.
        with measured(f"{task_name}: pluralbench run, cold cache, first {args.prefix_rows} rows", len(rendered),
                      "prompt") as run:
            summary = pluralbench_run(task_name, adapter, args.data_dir, args.prefix_rows, tmp / f"pc_{task_name}",
                                      tmp / f"po_{task_name}", args.batch_size,
                                      {"modes": ["options"]} if task_name == "steerable_valueprism" else None)
        assert summary.counts["unique_requests"] == len(rendered), summary.counts  # the same prompts, nothing else
        ratio(f"{task_name}: lm-eval / pluralbench run (whole pipeline)", lme, run, 2.0, per="seconds")


def section_generation(adapter, args, tmp: Path):
    print("\n[generation] Overton prompts, greedy, batched vs one at a time", flush=True)
    rows = json.loads((args.data_dir / "modular_pluralism/overton_test_valuekaleidoscope_small.json").read_text())
    prompts = [adapter.render(r["input"], "chat") for r in rows[: args.gen_prompts]]
    settings = GenerationSettings(max_new_tokens=args.gen_tokens)
    with measured(f"generate one at a time ({len(prompts)} prompts)", len(prompts), "prompt") as single:
        one = [adapter.generate([p], settings)[0] for p in prompts]
    tokens = sum(len(adapter.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in one)
    print(f"  {tokens} new tokens: {tokens / single['seconds']:.1f} tok/s one at a time", flush=True)
    best = None
    for batch in (args.batch_size, 2 * args.batch_size):
        with measured(f"generate batched, batch {batch}", len(prompts), "prompt") as batched:
            many = []
            for idx in chunks(prompts, batch):
                many += adapter.generate(idx, settings)
        same = sum(a == b for a, b in zip(one, many))
        print(f"    batch {batch}: {tokens / batched['seconds']:.1f} tok/s; outputs identical to one at a time: "
              f"{same}/{len(prompts)}", flush=True)
        RESULTS.append({"name": f"generation batch {batch}", "tokens_per_s": tokens / batched["seconds"],
                        "tokens_per_s_single": tokens / single["seconds"], "identical_outputs": same,
                        "of": len(prompts)})
        if best is None or batched["seconds"] < best["seconds"]:
            best = batched
    ratio("generation: batched (best batch) / one at a time, tokens per second", single, best, 3.0)


def section_scaling(adapter, args, tmp: Path):
    print("\n[scaling] wall time grows with unique prompts, not rows", flush=True)
    for n in (500, 2000, 5752):
        with measured(f"pluralbench cold, first {n} rows", n, "row") as rec:
            summary = pluralbench_run("distributional_globalopinionqa", adapter, args.data_dir, n, tmp / f"s{n}",
                                      tmp / f"so{n}", args.batch_size)
        u = summary.counts["unique_requests"]
        print(f"    {u} unique prompts: {1000 * rec['seconds'] / u:.1f} ms per unique prompt")
    # The same questions asked for 1, 2 or every country: rows multiply, unique prompts do not.
    task = get_task("distributional_globalopinionqa")
    full = prepare_task(task, RunOptions(output=tmp, data_dir=args.data_dir, cache_dir=None, limit=None))
    by_question: dict[str, list[dict]] = {}
    for it in full.dataset.items:
        by_question.setdefault(it["prompt"], []).append(it)
    questions = [q for q, rows in by_question.items() if len(rows) >= 4][: args.scaling_questions]
    for per_question in (1, 2, 4):
        items = [row for q in questions for row in by_question[q][:per_question]]
        prepared = PreparedTask(task, Dataset(items, full.dataset.source, full.dataset.sha256, full.dataset.checks),
                                len(items))
        opts = RunOptions(output=tmp / f"cq{per_question}", data_dir=args.data_dir, cache_dir=tmp / f"cqc{per_question}",
                          batch_size=args.batch_size, progress=False)
        with measured(f"pluralbench cold, {len(questions)} questions x {per_question} countries", len(items),
                      "row") as rec:
            summary = run_task(prepared, adapter, MODEL, opts)
        rec["unique"] = summary.counts["unique_requests"]
        print(f"    {len(items)} rows, {rec['unique']} unique prompts: "
              f"{1000 * rec['seconds'] / rec['unique']:.1f} ms per unique prompt")


def section_bf16(adapter, args, tmp: Path):
    print("\n[bf16] opt-in bfloat16 vs float32 on the same rows", flush=True)
    items, _ = goqa_rows(adapter, args.data_dir, args.subset)
    results = {}
    for dtype in ("float32", "bfloat16"):
        model = adapter if dtype == "float32" else load_model(f"{MODEL},dtype=bfloat16")
        with measured(f"pluralbench cold, first {args.subset} rows, {dtype}", len(items), "row") as rec:
            summary = pluralbench_run("distributional_globalopinionqa", model, args.data_dir, args.subset,
                                      tmp / f"b{dtype}", tmp / f"bo{dtype}", args.batch_size)
        samples = [json.loads(x) for x in (summary.run_dir / "samples.jsonl").read_text().splitlines()]
        results[dtype] = (rec, samples, summary.metrics)
    diffs = [np.abs(np.subtract(a["model_distribution"], b["model_distribution"])).max()
             for a, b in zip(results["float32"][1], results["bfloat16"][1])]
    head = {d: results[d][2]["overall"]["jsd_base2"]["value"] for d in results}
    print(f"  max |p_bf16 - p_fp32| {max(diffs):.3f}, mean {np.mean(diffs):.4f}; headline JSD fp32 {head['float32']:.4f} "
          f"vs bf16 {head['bfloat16']:.4f}")
    RESULTS.append({"name": "bf16 vs fp32", "max_prob_diff": float(max(diffs)), "mean_prob_diff": float(np.mean(diffs)),
                    "jsd_fp32": head["float32"], "jsd_bf16": head["bfloat16"]})
    ratio("bf16 speed-up", results["float32"][0], results["bfloat16"][0])


SECTIONS = {"goqa": section_goqa, "prefix": section_prefix, "generation": section_generation,
            "scaling": section_scaling, "bf16": section_bf16}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("PLURALBENCH_DATA", REPO.parent / "shared/data")))
    ap.add_argument("--only", choices=sorted(SECTIONS), action="append")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--subset", type=int, default=300, help="rows for the lm-eval and bf16 comparisons")
    ap.add_argument("--reference-rows", type=int, default=40, help="rows timed with the slow reference method")
    ap.add_argument("--prefix-rows", type=int, default=200)
    ap.add_argument("--prefix-tasks", nargs="+", default=["steerable_valueprism", "steerable_opinionqa"],
                    help="tasks of the prefix section")
    ap.add_argument("--threads", type=int, help="torch threads (1 on a loaded machine: see BENCHMARKS.md)")
    ap.add_argument("--gen-prompts", type=int, default=32)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--scaling-questions", type=int, default=150,
                    help="questions (asked in >= 4 countries) for the countries-per-question scaling")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--markdown", type=Path, help="also write the results as Markdown tables here")
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.threads:
        torch.set_num_threads(args.threads)
    header = (f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
              f"load average at start {os.getloadavg()[0]:.2f}; sections {', '.join(args.only or SECTIONS)}")
    print(header, flush=True)
    adapter = load_model(MODEL)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(SECTIONS):
            SECTIONS[name](adapter, args, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2))
    if args.markdown:
        args.markdown.write_text(markdown_tables(RESULTS, header))


def markdown_tables(results: list[dict], header: str) -> str:
    """The run as Markdown: measurements, then ratios against their targets, then other findings."""
    lines = [header, "", "| measurement | seconds | per unit | peak RSS (MB) |", "|---|---:|---:|---:|"]
    for r in results:
        if "seconds" in r:
            lines.append(f"| {r['name']} | {r['seconds']:.2f} | {r['per_unit_ms']:.1f} ms/{r['unit']} | "
                         f"{r['peak_rss_mb']} |")
    lines += ["", "| ratio | value | target | verdict |", "|---|---:|---:|---|"]
    for r in results:
        if "ratio" in r:
            if r.get("target") is not None:
                target, ok = f">= {r['target']:g}x", r["value"] >= r["target"]
            elif r.get("target_max") is not None:
                target, ok = f"<= {r['target_max']:g}", r["value"] <= r["target_max"]
            else:
                target, ok = "", None
            verdict = "" if ok is None else ("met" if ok else "**missed**")
            lines.append(f"| {r['ratio']} | {r['value']:.2f} | {target} | {verdict} |")
    others = [r for r in results if "seconds" not in r and "ratio" not in r]
    if others:
        lines += ["", "| finding | values |", "|---|---|"]
        for r in others:
            values = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()
                               if k != "name")
            lines.append(f"| {r['name']} | {values} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
