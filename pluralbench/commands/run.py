"""pluralbench run: evaluate a model on tasks and write one run directory per task."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from pluralbench import settings
from pluralbench.commands._arguments import non_negative_int, positive_int
from pluralbench.commands._summary import reference_line
from pluralbench.judges.base import DIRECTIONS
from pluralbench.models.embedded import DEFAULT_MODEL

DEFAULT_TASKS = "quick"


def register(sub) -> None:
    p = sub.add_parser("run", help="evaluate a model on tasks", description=__doc__)
    p.add_argument("--model", default=DEFAULT_MODEL, metavar="SPEC",
                   help=f"kind:name[,key=value...] (default {DEFAULT_MODEL}); see `pluralbench models`")
    p.add_argument("--tasks", default=DEFAULT_TASKS, metavar="A,B",
                   help=f"task names or a suite (default {DEFAULT_TASKS!r}); see `pluralbench tasks`")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N", help="first N items of each task")
    p.add_argument("--output", type=Path, default=Path("results"), metavar="DIR", help="results root (default results/)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help=f"local data directory (env {settings.ENV_DATA}); without it, data comes from the hub")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help=f"response cache directory (env {settings.ENV_CACHE}; default ~/.cache/pluralbench/responses)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the shared response cache")
    p.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                   help="prompts per forward pass; option batches an hf model packs into one token trie may hold "
                        "up to 4x as many when they share most of their text, never more tokens than a padded "
                        "batch of N; its generate batches hold 4x as many, decoded as one flat sequence")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for bootstrap, baselines and sampling (default 0)")
    p.add_argument("--prompt-format", "--elicitation", dest="prompt_format", choices=["auto", "completion", "chat"],
                   default="auto",
                   help="how the prompt is rendered: completion: the task prompt as is; chat: the model's chat "
                        "template with the answer primed; auto (default): chat when the model has a template. "
                        "--elicitation is the older name of this option (recorded as `elicitation` in results)")
    p.add_argument("--elicit", default="logprob", metavar="M[,M...]",
                   help="how a distribution over options is read out (default logprob): logprob, logprob_calibrated, "
                        "sequence, verbalized, sampled:N; several methods, comma-separated, make one run each and "
                        "an elicitation report; see docs/elicitation.md")
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="evaluate only shard I of N (1-based; items split by a hash of their id, the same on every "
                        "machine); combine the N runs with `pluralbench merge`")
    p.add_argument("--on-long-prompt", choices=["skip", "truncate", "error"], default="skip",
                   help="a prompt longer than the model's context: skip its item (default), truncate the prompt's "
                        "beginning, or stop with an error; skipped and truncated items are counted in manifest.json "
                        "and metrics.json")
    p.add_argument("--judge", default=None, metavar="SPEC",
                   help="judge for judged tasks (Overton coverage): embedding, nli[:MODEL], llm:MODEL_SPEC "
                        "(default: the task's own, see `pluralbench tasks`)")
    p.add_argument("--judge-direction", default=None,
                   choices=list(DIRECTIONS),
                   help="which text is the judge's premise (default: the task's own)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.commands._methods import check_supported, runs_per_method, write_method_report
    from pluralbench.core.files import ensure_writable_dir
    from pluralbench.models import parse_model_spec
    from pluralbench.registry import model_kinds
    from pluralbench.runner.cache import check_cache
    from pluralbench.runner.execute import RunOptions, prepare_task
    from pluralbench.runner.method_axis import check_references, parse_methods
    from pluralbench.runner.model_on_demand import ModelOnDemand
    from pluralbench.runner.shard import parse_shard
    from pluralbench.taskfile import expand_tasks, get_task

    shard = parse_shard(args.shard) if args.shard is not None else None
    methods = parse_methods(args.elicit, seed=args.seed)  # an unknown method or bad argument fails first
    names, suite_limit = expand_tasks(args.tasks)
    tasks = [get_task(n) for n in names]  # every task file is validated before the model loads
    spec = parse_model_spec(args.model)
    model_kinds.get(spec.kind)
    opts = RunOptions(
        output=args.output,
        data_dir=settings.data_dir(args.data_dir),
        cache_dir=None if args.no_cache else settings.response_cache_dir(args.cache_dir),
        seed=args.seed,
        elicitation=args.prompt_format,
        limit=args.limit if args.limit is not None else suite_limit,
        batch_size=args.batch_size,
        judge_direction=args.judge_direction,
        progress=not args.no_progress,
        argv=["pluralbench", *args.argv],
        shard=shard,
        on_long_prompt=args.on_long_prompt,
    )
    ensure_writable_dir(opts.output, "--output")  # a read-only or full disk fails before any work
    if opts.cache_dir is not None:
        ensure_writable_dir(opts.cache_dir, "--cache-dir")
        check_cache(opts.cache_dir)
    judge_specs = _judge_specs(tasks, args.judge)  # judge names are checked before any data is read
    prepared = [prepare_task(task, opts) for task in tasks]  # data is checked before the model loads
    check_references(methods, prepared, args.seed)
    judge_for = _load_judges(judge_specs)  # a judge that cannot load fails before generation starts
    model = ModelOnDemand(args.model, spec, opts)  # loaded only for a task that has not finished
    check_supported(methods, model, args.seed)  # a method this model kind cannot serve: refused before any work
    rows = _run_all(runs_per_method(methods, prepared, opts), model, judge_for, opts.progress)
    if len(rows) > 1:
        from pluralbench.runner.command_summary import summary_table

        print(f"\n{summary_table(rows)}")
    write_method_report(methods, opts.output, spec.identity(), [run_dir for _, _, run_dir in rows])
    return 0


def _run_all(runs: list[tuple], model, judge_for: dict, show_progress: bool) -> list[tuple]:
    """Each (task, run options, label) in turn, under one progress line for the command; -> (label, metrics,
    run directory) rows."""
    from pluralbench.runner.command_progress import CommandProgress
    from pluralbench.runner.execute import run_task

    progress = CommandProgress([len(item.dataset.items) for item, _, _ in runs], show_progress, sys.stderr)
    rows = []
    try:
        for k, (item, opts, label) in enumerate(runs, 1):
            progress.start(k, label)
            judge = judge_for.get(item.task.name)
            summary = model.finished(item, judge, opts)
            if summary is None:
                summary = run_task(item, model.get(), model.spec.identity(), opts,
                                   model_load_seconds=model.load_seconds, judge=judge)
            progress.done(len(item.dataset.items), paced=summary.counts["model_calls"] > 0)
            progress.write(_summary_line(label, summary))
            if reference := reference_line(summary.metrics):
                progress.write(reference)
            for note in _notes(item, summary):
                progress.write(f"{label}: note: {note}", sys.stderr)
            rows.append((label, summary.metrics, summary.run_dir))
    finally:
        progress.close()
    return rows


def _notes(prepared, summary) -> list[str]:
    """What changed the numbers without failing the run: said out loud, and recorded in the run's files."""
    notes = []
    checks = prepared.dataset.checks or {}
    if checks.get("renormalised_rows"):
        notes.append(f"{checks['renormalised_rows']} reference distributions did not sum to 1 and were renormalised "
                     "(manifest.json data.checks.renormalised_rows)")
    long_prompts = summary.metrics.get("long_prompts")
    if long_prompts:
        notes.append(f"{long_prompts['skipped_items']} items skipped and {long_prompts['truncated_items']} truncated: "
                     f"prompts longer than the model's context of {long_prompts['context_length']} tokens "
                     "(metrics.json long_prompts)")
    excluded = summary.metrics.get("counts", {}).get("excluded_no_option_mass")
    if excluded:
        notes.append(f"{excluded} items excluded: the model put no probability on any option (covered mass 0), or "
                     "its generated answer named none (samples.jsonl parse_failure); not replaced by a uniform "
                     "guess; metrics.json counts.excluded_no_option_mass")
    return notes
def _judge_specs(tasks, judge_flag: str | None) -> dict[str, str]:
    """task name -> judge spec, for the tasks scored by a judge; every spec parsed and its kind known."""
    from pluralbench.judges import check_judge_spec

    judged = [t for t in tasks if t.family_impl().uses_judge]
    if judge_flag and not judged:
        print("note: --judge is ignored: none of the tasks is scored by a judge", file=sys.stderr)
    specs = {t.name: judge_flag or t.params["judge"] for t in judged}
    for text in set(specs.values()):
        check_judge_spec(text)
    return specs


def _load_judges(specs: dict[str, str]) -> dict:
    """task name -> loaded judge (one load per distinct spec)."""
    from pluralbench.judges import load_judge

    loaded: dict[str, object] = {}
    for text in sorted(set(specs.values())):
        t0 = time.perf_counter()
        loaded[text] = load_judge(text)
        judge = loaded[text]
        print(f"loaded judge {judge.spec} in {time.perf_counter() - t0:.1f}s (fingerprint {judge.fingerprint_id()})",
              file=sys.stderr)
    return {name: loaded[text] for name, text in specs.items()}


def _summary_line(name: str, summary) -> str:
    m = summary.metrics
    head = m.get("headline")
    value = m.get("overall", {}).get(head, {})
    c = summary.counts
    shown = "n/a"
    if value.get("value") is not None:
        shown = f"{value['value']:.4f} [{value['ci_low']:.4f}, {value['ci_high']:.4f}]"
    judged = m.get("judge")
    if judged:
        shown += f" [judge {judged['spec']}, {judged['direction']}]"
    shard = f" [shard {summary.shard}]" if summary.shard else ""  # the method is in the name (runs_per_method)
    # Runs that generate text say how many tokens this run generated (log-prob runs generate none).
    tokens = f", {c['generated_tokens']} tokens generated" if c.get("generated_tokens_total") and \
        c.get("generated_tokens") is not None else ""
    return (f"{name}{shard}: {head} = {shown}  ({c['items']} items, {c['unique_requests']} prompts: "
            f"{c['model_calls']} model calls, {c['cache_hits']} cache hits, {c['journal_hits']} resumed{tokens})  "
            f"-> {summary.run_dir}")
