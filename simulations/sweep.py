"""Parameter sweeps: many simulated days over a grid of fleet sizes, demand levels and seeds.

Runs go through Dask distributed — a local cluster of ``processes=True`` workers, one per core
and one thread each, by default; or an existing cluster (``scheduler`` address). Each worker
builds a region's road network once and keeps it (:func:`simulations.region.get_region`). Each
run depends only on its :class:`~simulations.run.RunSpec`, so the results equal those of a serial
run (``serial=True``), whatever the number of workers or the order they finish in.
"""

from __future__ import annotations

import logging
import os
from typing import Callable, Iterable

from simulations.errors import SimulationInputError
from simulations.run import RunSpec, run_simulation


def grid(base: RunSpec, fleets: Iterable[int], demands: Iterable[float], seeds: Iterable[int]) -> list[RunSpec]:
    """One spec per (demand, fleet, seed), in that order."""
    return [base.replace(fleet=int(f), demand=float(m), seed=int(s)) for m in demands for f in fleets for s in seeds]


def _worker_environment() -> dict:
    # one numba thread per worker process: the workers already use every core
    return {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def run_sweep(specs: list[RunSpec], *, scheduler: str | None = None, serial: bool = False,
              workers: int | None = None, on_result: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Run every spec; results in the order of ``specs``. ``on_result(index, row)`` reports progress."""
    results: list[dict | None] = [None] * len(specs)
    if serial:
        for i, spec in enumerate(specs):
            results[i] = run_simulation(spec)
            if on_result:
                on_result(i, results[i])
        return results  # type: ignore[return-value]

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SimulationInputError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); start one with "
                                       "'dask scheduler' or leave --scheduler out for a local cluster") from None
    else:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR, env=_worker_environment())
        client = Client(cluster)
    try:
        futures = [client.submit(run_simulation, spec, key=f"simulate-{i}-{spec.fleet}-{spec.demand}-{spec.seed}",
                                 pure=False) for i, spec in enumerate(specs)]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            if on_result:
                on_result(i, results[i])
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results  # type: ignore[return-value]
