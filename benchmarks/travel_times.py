"""Travel-time benchmark: our numba kernels vs scipy.sparse.csgraph and networkx, same run.

    python benchmarks/travel_times.py [--json OUT] [--networks demo,north-bayreuth]

For each network it times one-to-all searches from random sources and a 1,000 x 1,000
travel-time matrix with all three implementations, checks that they agree exactly, prints a table
and (with ``--json``) writes medians in seconds and the ratios ours / scipy and ours / networkx.
Targets (issue 2): matrix ratio_ours_over_scipy <= 1.0 and ratio_ours_over_networkx <= 0.05.
The matrix is also computed on the contraction hierarchy by the bucket algorithm (``ch_build_s``
is the hierarchy's build, timed apart); target (issue 20): ratio_ch_over_scipy <= 0.1.

The synthetic state-wide network (issue 20) runs in the same benchmark:

    python benchmarks/travel_times.py --networks state:SN --json benchmarks/results/travel_times_state.json

networkx is skipped on networks above ``--networkx-max-nodes`` (default 50,000 nodes: a
1,000-source matrix would take minutes there); its columns are then empty.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import networkx as nx
import numba
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing import kernels
from routing.kernels import UNREACHABLE
from routing.network import RoadNetwork
from routing.sources import build_network
from routing.travel_times import TravelTimes

REPO = Path(__file__).resolve().parents[1]
OSM_NETWORKS = {"north-bayreuth": "osm/north-bayreuth.osm.gz", "lauf": "osm/lauf-200115.osm.pbf"}


def data_dir() -> Path:
    return Path(os.environ.get("RIDE_POOL_DATA_DIR", REPO.parent / "shared" / "data"))


def load(name: str) -> RoadNetwork:
    if name == "demo":
        return build_network("demo")
    if name in OSM_NETWORKS:
        return build_network(str(data_dir() / OSM_NETWORKS[name]))
    return build_network(name)


def median_time(func, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_network(name: str, net: RoadNetwork, *, matrix_size: int, one_to_all_sources: int,
                  repeats: int, networkx_repeats: int, seed: int, networkx_max_nodes: int = 50_000) -> dict:
    rng = np.random.default_rng(seed)
    travel = TravelTimes(net)
    matrix = csr_matrix((net.travel_time_s.astype(np.float64), net.head, net.indptr), shape=(net.node_count,) * 2)
    use_nx = net.node_count <= networkx_max_nodes
    graph = nx.DiGraph()
    if use_nx:
        graph.add_nodes_from(range(net.node_count))
        graph.add_weighted_edges_from(zip(net.tail().tolist(), net.head.tolist(), net.travel_time_s.tolist()))

    # --- one-to-all: mean seconds per search over a batch of sources, median over repeats
    batch = rng.choice(net.node_count, size=min(one_to_all_sources, net.node_count), replace=False)

    def ours_one():
        return [travel.one_to_all(int(s)) for s in batch]

    def scipy_one():
        return [dijkstra(matrix, indices=int(s)) for s in batch]

    def nx_one():
        return [nx.single_source_dijkstra_path_length(graph, int(s)) for s in batch]

    one = {}
    one["ours"], ours_rows = median_time(ours_one, repeats)
    one["scipy"], scipy_rows = median_time(scipy_one, repeats)
    one["networkx"], nx_rows = median_time(nx_one, networkx_repeats) if use_nx else (None, [{}] * len(batch))
    for k in one:
        one[k] = None if one[k] is None else one[k] / len(batch)
    for a, b, c in zip(ours_rows, scipy_rows, nx_rows):
        ref = np.where(np.isinf(b), UNREACHABLE, b).astype(np.int64)
        if not np.array_equal(a, ref):
            raise AssertionError(f"{name}: one-to-all differs from scipy")
        if any(a[v] != d for v, d in c.items()):
            raise AssertionError(f"{name}: one-to-all differs from networkx")

    # --- many-to-many matrix
    size = matrix_size
    # a network smaller than the matrix repeats nodes, so the matrix keeps its size
    replace = size > net.node_count
    sources = rng.choice(net.node_count, size=size, replace=replace).astype(np.int64)
    targets = rng.choice(net.node_count, size=size, replace=replace).astype(np.int64)

    def ours_matrix():
        return travel.matrix(sources, targets)

    def scipy_matrix():
        return dijkstra(matrix, indices=sources)[:, targets]

    def nx_matrix():
        out = np.full((size, size), np.inf)
        for i, s in enumerate(sources.tolist()):
            lengths = nx.single_source_dijkstra_path_length(graph, s)
            out[i] = [lengths.get(t, np.inf) for t in targets.tolist()]
        return out

    mat = {}
    mat["ours"], ours_m = median_time(ours_matrix, repeats)
    mat["scipy"], scipy_m = median_time(scipy_matrix, repeats)
    mat["networkx"], nx_m = median_time(nx_matrix, networkx_repeats) if use_nx else (None, None)
    for label, other in (("scipy", scipy_m), ("networkx", nx_m)):
        if other is None:
            continue
        ref = np.where(np.isinf(other), UNREACHABLE, other).astype(np.int64)
        if not np.array_equal(ours_m.astype(np.int64), ref):
            raise AssertionError(f"{name}: matrix differs from {label}")

    # --- the same matrix on the contraction hierarchy (bucket algorithm); the build is timed apart
    started = time.perf_counter()
    hierarchy = travel.hierarchy()
    hierarchy.matrix(sources[:2], targets[:2])          # compile or load the kernels
    hierarchy_s = time.perf_counter() - started
    ch_s, ch_m = median_time(lambda: hierarchy.matrix(sources, targets), repeats)
    if not np.array_equal(ch_m, ours_m.astype(np.int64)):
        raise AssertionError(f"{name}: the CH matrix differs from Dijkstra's")

    return {
        "nodes": net.node_count,
        "edges": net.edge_count,
        "synthetic": net.synthetic,
        "matrix_size": size,
        "one_to_all_sources": len(batch),
        "one_to_all_s": one,
        f"matrix_{size}_s": mat,
        "ratio_ours_over_scipy": mat["ours"] / mat["scipy"],
        f"matrix_{size}_ch_s": ch_s,
        "ratio_ch_over_scipy": ch_s / mat["scipy"],
        "ch_build_s": hierarchy_s,
        "ratio_ours_over_networkx": mat["ours"] / mat["networkx"] if use_nx else None,
        "one_to_all_ratio_ours_over_scipy": one["ours"] / one["scipy"],
        "one_to_all_ratio_ours_over_networkx": one["ours"] / one["networkx"] if use_nx else None,
        "results_identical": True,
    }


def print_table(results: dict) -> None:
    header = (f"{'network':<16}{'nodes':>8}{'edges':>8}  {'what':<22}"
              f"{'ours':>10}{'scipy':>10}{'networkx':>10}{'ours/scipy':>12}{'ours/nx':>10}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        size = r["matrix_size"]
        rows = [("one-to-all [ms]", r["one_to_all_s"], 1000.0),
                (f"matrix {size}x{size} [s]", r[f"matrix_{size}_s"], 1.0)]
        ch_times = {**r[f"matrix_{size}_s"], "ours": r[f"matrix_{size}_ch_s"]}
        rows.append(("  by CH buckets [s]", ch_times, 1.0))
        for i, (what, t, scale) in enumerate(rows):
            lead = f"{name:<16}{r['nodes']:>8}{r['edges']:>8}" if i == 0 else " " * 32
            nx_s = t["networkx"]
            nx_cols = (f"{nx_s * scale:>10.3f}", f"{t['ours'] / nx_s:>10.4f}") if nx_s else (f"{'-':>10}",) * 2
            print(
                f"{lead}  {what:<22}{t['ours'] * scale:>10.3f}{t['scipy'] * scale:>10.3f}{nx_cols[0]}"
                f"{t['ours'] / t['scipy']:>12.3f}{nx_cols[1]}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="demo,north-bayreuth",
                        help="comma-separated: demo, north-bayreuth, lauf, state:SN, or OSM file paths")
    parser.add_argument("--matrix-size", type=int, default=1000)
    parser.add_argument("--one-to-all-sources", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5, help="repeats for ours and scipy (median)")
    parser.add_argument("--networkx-repeats", type=int, default=1, help="networkx is slow: fewer repeats")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--networkx-max-nodes", type=int, default=50_000,
                        help="skip networkx on larger networks (default 50,000 nodes)")
    parser.add_argument("--json", dest="json_out", type=Path, help="write results as JSON here")
    args = parser.parse_args(argv)
    if args.matrix_size < 1 or args.repeats < 1 or args.networkx_repeats < 1 or args.one_to_all_sources < 1:
        print("error: sizes and repeats must be at least 1", file=sys.stderr)
        return 2
    if args.json_out and not args.json_out.parent.exists():
        print(f"error: {args.json_out.parent}: output folder does not exist", file=sys.stderr)
        return 2

    start = time.perf_counter()
    kernels.warm_up()
    warm_s = time.perf_counter() - start
    results = {}
    for name in [n.strip() for n in args.networks.split(",") if n.strip()]:
        net = load(name)
        results[name] = bench_network(
            name, net, matrix_size=args.matrix_size, one_to_all_sources=args.one_to_all_sources,
            repeats=args.repeats, networkx_repeats=args.networkx_repeats, seed=args.seed,
            networkx_max_nodes=args.networkx_max_nodes,
        )
    print_table(results)
    out = {
        "benchmark": "travel_times",
        "units": "seconds (median)",
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(),
                    "python": platform.python_version(), "numba": numba.__version__},
        "kernel_warm_up_s": warm_s,
        "networks": results,
    }
    if args.json_out:
        tmp = args.json_out.with_suffix(args.json_out.suffix + ".tmp")
        tmp.write_text(json.dumps(out, indent=2))
        tmp.replace(args.json_out)
        print(f"written {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
