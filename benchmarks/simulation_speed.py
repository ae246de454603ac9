"""Simulation speed: simulated requests per wall-clock second for full days of the demo county.

    python benchmarks/simulation_speed.py [--json benchmarks/results/simulation_speed.json]
        [--demands 1,2,4] [--fleet 20] [--fleet-scaling proportional|fixed] [--seed 0] [--threads 1] [--repeat 1]

Each run is one full service day (05:00–23:00) of the synthetic Landkreis Meißen network on the
real dispatcher: demand ×1 with a mid-size fleet (``--fleet``, default 20 vehicles), then the other
demand levels with the fleet scaled in proportion (``--fleet-scaling proportional``, a service
sized for its demand) or kept (``fixed``). Network build and numba compilation are excluded (a
small warm-up day runs first); the time is the event loop's, from the first request to the last
shift's end. By default numba uses one thread (``NUMBA_NUM_THREADS=1``, set before numba loads):
one core, as in a sweep with one worker per core.

Prints a table and (with ``--json``) writes the runs, the log-log growth exponent of wall time
against requests, the time per request at the highest demand relative to demand 1, and the time a
3,000-request day takes (interpolated on the fit). Target (issue 5): a county day with 3,000
requests in at most 20 s on one core, growth close to linear (exponent near 1). Processor time
(``cpu s``, the same fit) is reported beside wall time: on a machine busy with other work it shows
what the run itself costs. ``--repeat N`` runs each day N times and keeps the fastest (the KPIs
must be identical every time).

State-wide mode (issue 20): ``--region state:SN`` runs full days of the synthetic Sachsen network
(:mod:`routing.state_network`, 419 municipalities, 4.07 million inhabitants) at demand
1/16 … 1 with 400 vehicles at demand 1 (scaled in proportion), i.e. about 1,000 … 16,000
requests. Targets: the 16,000-request day in ≤ 60 s on one core and ≤ 2 GB peak memory (the
process's peak resident set size, ``ru_maxrss``, network and hierarchy included), growth near
linear. Writes ``benchmarks/results/simulation_speed_state.json`` by default.

    NUMBA_NUM_THREADS=1 python benchmarks/simulation_speed.py --region state:SN
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

TARGET_REQUESTS = 3000
TARGET_SECONDS = 20.0
STATE_TARGET_REQUESTS = 16000
STATE_TARGET_SECONDS = 60.0
STATE_TARGET_PEAK_MB = 2048.0
STATE_DEMANDS = "0.0625,0.125,0.25,0.5,1"
STATE_FLEET = 400


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (MB; Linux reports ru_maxrss in kB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--region", default="demo",
                        help="'demo' (default) or 'state:SN' (state-wide mode: a synthetic Land, see the docstring)")
    parser.add_argument("--demands", default=None,
                        help=f"demand multipliers (comma-separated, include 1; default 1,2,4, state {STATE_DEMANDS})")
    parser.add_argument("--fleet", type=int, default=None,
                        help=f"fleet size at demand 1 (default 20, state {STATE_FLEET})")
    parser.add_argument("--fleet-scaling", choices=("proportional", "fixed"), default="proportional")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="numba threads (default 1: one core)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the highest-demand run here (.prof)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each day this many times and keep the fastest (default 1; more on a busy machine)")
    args = parser.parse_args(argv)
    state_mode = args.region.strip().lower().startswith("state:")
    if args.demands is None:
        args.demands = STATE_DEMANDS if state_mode else "1,2,4"
    if args.fleet is None:
        args.fleet = STATE_FLEET if state_mode else 20
    target_requests = STATE_TARGET_REQUESTS if state_mode else TARGET_REQUESTS
    target_seconds = STATE_TARGET_SECONDS if state_mode else TARGET_SECONDS
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)   # before numba is imported

    import numba
    import numpy as np

    from simulations.region import load_region
    from simulations.run import RunSpec, Simulation

    demands = sorted(float(x) for x in args.demands.split(","))
    if args.json is None and state_mode:
        args.json = Path(__file__).resolve().parent / "results" / "simulation_speed_state.json"
    if args.json is not None and not args.json.parent.is_dir():
        print(f"error: {args.json.parent}: output folder does not exist", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    region = load_region(args.region)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    region.travel.hierarchy()    # the contraction hierarchy is part of the network, not of the day
    hierarchy_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    Simulation(region, RunSpec(fleet=3, demand=0.05, seed=99)).run()     # compile / load numba kernels
    warmup_s = time.perf_counter() - t0

    runs = []
    print(f"{'demand':>6} {'fleet':>5} {'requests':>8} {'wall s':>8} {'cpu s':>7} {'req/s':>7} {'ms/req':>7} "
          f"{'served':>7} {'p95 wait':>8} {'peak MB':>8}")
    for demand in demands:
        fleet = max(1, round(args.fleet * demand)) if args.fleet_scaling == "proportional" else args.fleet
        walls_seen, cpus_seen, kpis = [], [], None
        for attempt in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            sim = Simulation(region, RunSpec(fleet=fleet, demand=demand, seed=args.seed))
            setup_s = time.perf_counter() - t0
            profiler = None
            if args.profile and demand == demands[-1] and attempt == 0:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            run_kpis = sim.run()
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(str(args.profile))
            if kpis is not None and run_kpis != kpis:
                print("error: the same day gave different KPIs when repeated", file=sys.stderr)
                return 1
            kpis = run_kpis
            walls_seen.append(sim.wall_s)
            cpus_seen.append(sim.cpu_s)
        wall, cpu = min(walls_seen), min(cpus_seen)
        row = {
            "demand": demand, "fleet": fleet, "requests": kpis["requests"], "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "repeats": len(walls_seen),
            "setup_s": round(setup_s, 3), "requests_per_s": round(kpis["requests"] / wall, 1),
            "ms_per_request": round(1000 * wall / max(kpis["requests"], 1), 3),
            "served_share": kpis["served_share"], "served_share_net": kpis["served_share_net"],
            "wait_p95_s": kpis["wait_from_requested_p95_s"], "mean_load_on_board": kpis["mean_load_on_board"],
            "loop_calls": sim.loop.calls_run,
            "events": len(sim.events), "profiled": bool(args.profile and demand == demands[-1]),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        runs.append(row)
        print(f"{demand:>6g} {fleet:>5} {row['requests']:>8} {wall:>8.2f} {cpu:>7.2f} {row['requests_per_s']:>7.1f} "
              f"{row['ms_per_request']:>7.2f} {kpis['served_share'] or 0:>7.1%} "
              f"{(kpis['wait_from_requested_p95_s'] or 0) / 60:>6.1f} m {row['peak_rss_mb']:>8.0f}")

    requests = np.array([r["requests"] for r in runs], dtype=float)
    walls = np.array([r["wall_s"] for r in runs], dtype=float)
    cpus = np.array([r["cpu_s"] for r in runs], dtype=float)
    exponent = estimate = cpu_exponent = cpu_estimate = None
    if len(runs) >= 2:
        exponent, intercept = np.polyfit(np.log(requests), np.log(walls), 1)
        estimate = float(np.exp(intercept + exponent * np.log(target_requests)))
        cpu_exponent, cpu_intercept = np.polyfit(np.log(requests), np.log(cpus), 1)
        cpu_estimate = float(np.exp(cpu_intercept + cpu_exponent * np.log(target_requests)))
    # the county mode compares with demand 1; the state mode (demand 1 is its largest day) with its smallest day
    base = runs[0] if state_mode else next((r for r in runs if r["demand"] == 1.0), runs[0])
    ratio = runs[-1]["ms_per_request"] / base["ms_per_request"]
    summary = {
        "growth_exponent": None if exponent is None else round(float(exponent), 3),
        "time_per_request_ratio": round(ratio, 3),
        "ratio_of": f"ms/request at demand {runs[-1]['demand']:g} ÷ at demand {base['demand']:g}",
        f"estimated_s_for_{target_requests}_requests": None if estimate is None else round(estimate, 2),
        f"target_s_for_{target_requests}_requests": target_seconds,
        "meets_target": None if estimate is None else estimate <= target_seconds,
        # the same fit on processor time: what the run costs when other processes share the cores
        "cpu_growth_exponent": None if cpu_exponent is None else round(float(cpu_exponent), 3),
        f"estimated_cpu_s_for_{target_requests}_requests": None if cpu_estimate is None else round(cpu_estimate, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if state_mode:
        top = runs[-1]
        summary.update({
            "target_peak_mb": STATE_TARGET_PEAK_MB,
            "largest_day": {"requests": top["requests"], "vehicles": top["fleet"], "wall_s": top["wall_s"],
                            "cpu_s": top["cpu_s"], "requests_per_s": top["requests_per_s"]},
            "largest_day_meets_time_target_wall": top["wall_s"] <= target_seconds,
            "largest_day_meets_time_target_cpu": top["cpu_s"] <= target_seconds,
            "meets_memory_target": summary["peak_rss_mb"] <= STATE_TARGET_PEAK_MB,
        })
        print(f"largest day: {top['requests']:,} requests, {top['fleet']} vehicles: {top['wall_s']:.1f} s wall, "
              f"{top['cpu_s']:.1f} s cpu (target ≤ {target_seconds:g} s); peak memory {summary['peak_rss_mb']:.0f} MB "
              f"(target ≤ {STATE_TARGET_PEAK_MB:.0f} MB)")
    print(f"growth exponent (log wall time vs log requests): {summary['growth_exponent']}; time per request at "
          f"demand {runs[-1]['demand']:g} vs {base['demand']:g}: ×{ratio:.2f}; a {target_requests:,}-request day "
          f"takes ≈ {estimate:.1f} s (target ≤ {target_seconds:g} s)" if estimate is not None else "")
    if cpu_estimate is not None:
        print(f"processor time: growth exponent {summary['cpu_growth_exponent']}; a {target_requests:,}-request day "
              f"takes ≈ {cpu_estimate:.1f} s of one core")
    doc = {
        "benchmark": "simulation_speed_state" if state_mode else "simulation_speed", "region": args.region,
        "network": region.name, "synthetic": region.synthetic, "municipalities": len(region.municipalities),
        "fleet_scaling": args.fleet_scaling, "fleet_at_demand_1": args.fleet, "seed": args.seed,
        "numba_threads": numba.config.NUMBA_NUM_THREADS, "python": platform.python_version(),
        "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "network_build_s": round(build_s, 2), "hierarchy_s": round(hierarchy_s, 2), "warmup_s": round(warmup_s, 2),
        "network_nodes": int(region.network.node_count) if hasattr(region.network, "node_count")
        else len(region.network.node_lon), "population": int(region.population.sum()),
        "runs": runs, **summary,
    }
    if args.json is not None:
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, args.json)
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
