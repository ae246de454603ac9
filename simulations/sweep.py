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


class SweepRunner:
    """Runs batches of specs on one Dask cluster (or serially) kept open between batches, so a
    search that runs a few days at a time (bisection) starts the workers once. Use as a context
    manager; :meth:`run` returns results in the order of the specs."""

    def __init__(self, *, scheduler: str | None = None, serial: bool = False, workers: int | None = None,
                 on_result: Callable[[int, dict], None] | None = None):
        self.scheduler, self.serial, self.workers, self.on_result = scheduler, serial, workers, on_result
        self.client = self.cluster = None
        self.done = 0

    def __enter__(self) -> "SweepRunner":
        if self.serial:
            return self
        from dask.distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise SimulationInputError(
                    f"cannot reach the Dask scheduler at {self.scheduler!r} ({exc}); start one with 'dask scheduler' "
                    "or leave --scheduler out for a local cluster") from None
        else:
            n = self.workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                        silence_logs=logging.ERROR, env=_worker_environment())
            self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def run(self, specs: list[RunSpec]) -> list[dict]:
        results: list[dict | None] = [None] * len(specs)
        offset = self.done
        if self.client is None:
            for i, spec in enumerate(specs):
                results[i] = run_simulation(spec)
                self.done += 1
                if self.on_result:
                    self.on_result(offset + i, results[i])
            return results  # type: ignore[return-value]
        from dask.distributed import as_completed

        futures = [self.client.submit(run_simulation, spec, key=f"simulate-{offset + i}-{spec.fleet}-{spec.demand}-"
                                      f"{spec.seed}", pure=False) for i, spec in enumerate(specs)]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            self.done += 1
            if self.on_result:
                self.on_result(offset + i, results[i])
            future.release()
        return results  # type: ignore[return-value]


def run_sweep(specs: list[RunSpec], *, scheduler: str | None = None, serial: bool = False,
              workers: int | None = None, on_result: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Run every spec; results in the order of ``specs``. ``on_result(index, row)`` reports progress."""
    with SweepRunner(scheduler=scheduler, serial=serial, workers=workers, on_result=on_result) as runner:
        return runner.run(specs)
