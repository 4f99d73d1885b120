"""pluralbench merge: combine the shard runs of one evaluation (`run --shard i/n`) into one run directory."""
from __future__ import annotations

from pathlib import Path

from pluralbench import settings


def register(sub) -> None:
    p = sub.add_parser("merge", help="combine shard runs (run --shard i/n) into one run", description=__doc__)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN", help="shard run directories, one per shard")
    p.add_argument("--output", type=Path, default=Path("results"), metavar="DIR",
                   help="results root for the merged run (default results/)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help=f"the data the shards used (env {settings.ENV_DATA}); it is reloaded and its hash checked")
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from pluralbench.runner.merge import merge_shards

    run_dir = merge_shards(args.runs, args.output, settings.data_dir(args.data_dir), ["pluralbench", *args.argv])
    print(f"merged {len(args.runs)} shards -> {run_dir}")
    return 0
