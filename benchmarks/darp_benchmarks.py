"""Dial-a-ride benchmarks: our optimiser vs plain OR-Tools (and VROOM on the PDPTW), same run.

    python benchmarks/darp_benchmarks.py [--sets cordeau,lilim] [--jobs 1] [--only NAME,...]
                                         [--cordeau-time 10] [--lilim-time 30] [--no-baseline]
                                         [--only-baseline] [--no-vroom] [--out-dir benchmarks/results]

Runs the same code as ``ride-pool bench darp|pdptw`` (:mod:`routing.darp.bench`) on

* the 24 Cordeau (2006) a-instances, 10 s per instance and solver -> ``darp_cordeau.json``;
* the 56 Li & Lim 100-task instances, 30 s per instance and solver -> ``pdptw_lilim.json``
  (VROOM too when pyvroom is installed: ``pip install -e ".[bench]"``),

prints the tables and writes the JSON files. Instances are read from ``$RIDE_POOL_DATA_DIR``
(default ``../shared/data`` beside the repository). Every plan is re-checked by the independent
checker under exact travel times. Targets (issue 3): Cordeau mean gap <= 1 % at 10 s, every
instance feasible, below the baseline's; Li & Lim mean distance gap <= 2 % with the best-known
vehicle count on >= 80 % of the instances at 30 s. ``--jobs 2`` halves the wall time; keep 1 for
clean timing on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from routing.darp import bench
from routing.darp.vroom_peer import available as vroom_available
from routing.errors import RoutingInputError

REPO = Path(__file__).resolve().parents[1]
SETS = {
    "cordeau": ("darp", "darp/cordeau2006", "darp_cordeau.json", "cordeau_time"),
    "lilim": ("pdptw", "pdptw/lilim100", "pdptw_lilim.json", "lilim_time"),
}


def data_dir() -> Path:
    return Path(os.environ.get("RIDE_POOL_DATA_DIR") or REPO.parent / "shared" / "data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="cordeau,lilim", help="comma-separated: cordeau, lilim")
    parser.add_argument("--cordeau-time", type=float, default=10.0, help="seconds per Cordeau instance and solver")
    parser.add_argument("--lilim-time", type=float, default=30.0, help="seconds per Li & Lim instance and solver")
    parser.add_argument("--jobs", type=int, default=1, help="instances in parallel (processes)")
    parser.add_argument("--only", default="", help="comma-separated instance names to run (default: all)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain OR-Tools baseline")
    parser.add_argument("--only-baseline", action="store_true", help="run the plain OR-Tools baseline alone")
    parser.add_argument("--no-vroom", action="store_true", help="skip VROOM on the PDPTW")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args(argv)

    err = Console(stderr=True, soft_wrap=True)
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        parser.error(f"unknown set(s) {unknown}; choose from {sorted(SETS)}")
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    args.out_dir.mkdir(parents=True, exist_ok=True)

    for set_name in wanted:
        kind, folder, out_name, time_attr = SETS[set_name]
        folder = data_dir() / folder
        if args.only_baseline:
            solvers = ["baseline"]
        else:
            solvers = ["ours"] + ([] if args.no_baseline else ["baseline"])
        if kind == "pdptw" and not args.no_vroom:
            if vroom_available():
                solvers.append("vroom")
            else:
                err.print("pyvroom is not installed: VROOM left out (pip install pyvroom)")
        try:
            paths = bench.collect_instances([folder])
            if only:
                paths = [p for p in paths if p.stem in only]
                if not paths:
                    continue
            doc = bench.run_benchmark(
                paths, kind, getattr(args, time_attr), solvers, jobs=args.jobs, seed=args.seed,
                progress=lambda rec: err.print(f"{rec['instance']}: {rec['solver']} "
                                               f"{'infeasible' if rec['cost'] is None else format(rec['cost'], '.2f')}"
                                               f" gap {rec['gap_percent']} %", highlight=False))
        except RoutingInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        bench.render(doc)
        out = args.out_dir / out_name
        out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        err.print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
