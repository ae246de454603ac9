"""Readers for the published benchmark instances: Cordeau DARP (the 2006 a/b sets and the Cordeau & Laporte
2003 set pr01-pr20, told apart by their row count) and Li & Lim (2001) PDPTW.

Both become a :class:`~routing.darp.problem.DarpProblem` in integer time units: every time of the
file is multiplied by ``time_scale`` (default 1000, so one unit is 1/1000 of the file's minute) and
travel times are ``ceil(distance * time_scale)``. The rounding always goes the safe way (travel
and service up, earliest times up, latest times and limits down), so a plan that is feasible
under the integer times is feasible under the exact ones as well; the exact float matrix is kept
in :attr:`BenchmarkInstance.exact_travel_time` so the checker can judge plans and cost them in
double precision, as the literature does.

Locations are the file's node ids: location ``k`` of the matrix is node ``k`` of the file. Request
``r`` is the ``r``-th pickup/drop-off pair; :attr:`BenchmarkInstance.node_ids` maps it back to
the file's node ids, and :meth:`BenchmarkInstance.routes_as_node_ids` turns a whole plan into the
file's node ids (depots left out), so anyone can re-check a solution against the original file.

Malformed files raise :class:`~routing.darp.problem.DarpInputError` naming the file and the line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from routing.darp.checker import CheckResult, check_plan
from routing.darp.problem import MUST_SERVE, NO_LIMIT, DarpInputError, DarpProblem, Plan, euclidean_matrix

__all__ = [
    "BenchmarkInstance",
    "BksEntry",
    "read_bks",
    "read_cordeau",
    "read_instance",
    "read_lilim",
]

#: Relative slack under which a scaled value counts as an integer (guards against 0.1 * 1000 = 100.00000000000001).
_INTEGRAL_EPS = 1e-6


@dataclass(frozen=True, eq=False)
class BenchmarkInstance:
    """One benchmark instance as a :class:`DarpProblem` plus what is needed to report on it.

    ``node_ids[r] = (pickup node id, drop-off node id)`` of request ``r`` in the file;
    ``depot_ids`` the start and end depot node ids; ``vehicle_limit`` the number of vehicles the
    instance allows; ``vehicle_fixed_cost`` a per-vehicle cost large enough to make the number of
    vehicles the first objective (0 for the DARP, where only distance counts).
    """

    name: str
    kind: str  # "darp" or "pdptw"
    path: Path
    problem: DarpProblem
    #: exact Euclidean travel times/distances, multiplied by ``time_scale`` (float64)
    exact_travel_time: np.ndarray
    node_ids: np.ndarray  # shape (R, 2), int64
    depot_ids: tuple[int, ...]
    vehicle_limit: int
    time_scale: int
    vehicle_fixed_cost: int = 0
    header: dict = field(default_factory=dict)

    def check(self, plan: Plan) -> CheckResult:
        """Feasibility and exact cost (in scaled units) of ``plan`` under the exact travel times."""
        return check_plan(self.problem, plan, travel_time=self.exact_travel_time,
                          travel_cost=self.exact_travel_time)

    def exact_cost(self, plan: Plan) -> float:
        """Total exact Euclidean length of ``plan`` in the instance's own units (not scaled)."""
        return self.check(plan).cost / self.time_scale

    def routes_as_node_ids(self, plan: Plan) -> list[list[int]]:
        """Every used vehicle's stops as the file's node ids, in visiting order, depots left out."""
        return [[int(self.node_ids[s // 2, s % 2]) for s in route] for route in plan.routes if route]

    def plan_from_node_ids(self, routes: list[list[int]]) -> Plan:
        """The inverse of :meth:`routes_as_node_ids` (routes go to vehicles 0, 1, ...)."""
        code = {}
        for r, (p, d) in enumerate(self.node_ids.tolist()):
            code[p], code[d] = 2 * r, 2 * r + 1
        if len(routes) > self.problem.vehicle_count:
            raise DarpInputError(f"{self.name}: {len(routes)} routes but only {self.problem.vehicle_count} vehicles")
        plan = Plan.empty(self.problem)
        for v, route in enumerate(routes):
            try:
                plan.routes[v] = [code[int(node)] for node in route]
            except KeyError as exc:
                raise DarpInputError(f"{self.name}: node {exc.args[0]} is no pickup or drop-off node") from None
        return plan


@dataclass(frozen=True)
class BksEntry:
    """A best-known solution: ``cost`` (distance), ``vehicles`` (used, or the fleet size for the DARP)."""

    instance: str
    cost: float
    vehicles: int
    optimal: bool | None = None
    source: str = ""


# ---------------------------------------------------------------------------------------- helpers
class _Lines:
    """The non-blank lines of a file, split into fields, with their 1-based line numbers."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            text = self.path.read_text(encoding="utf-8", errors="strict")
        except FileNotFoundError:
            raise DarpInputError(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise DarpInputError(f"{self.path}: is a folder, expected an instance file") from None
        except UnicodeDecodeError:
            raise DarpInputError(f"{self.path}: not a text file (cannot decode as UTF-8)") from None
        except OSError as exc:
            raise DarpInputError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        self.rows: list[tuple[int, list[str]]] = [
            (i + 1, line.split()) for i, line in enumerate(text.splitlines()) if line.strip()
        ]
        if not self.rows:
            raise DarpInputError(f"{self.path}: the file is empty")

    def error(self, lineno: int | None, message: str) -> DarpInputError:
        where = f"{self.path}:{lineno}" if lineno is not None else f"{self.path}"
        return DarpInputError(f"{where}: {message}")

    def numbers(
        self, lineno: int, fields: list[str], names: tuple[str, ...], *, allow_extra: bool = False
    ) -> list[float]:
        if len(fields) < len(names) or (len(fields) > len(names) and not allow_extra):
            raise self.error(lineno, f"expected {len(names)} fields ({' '.join(names)}), found {len(fields)}")
        values = []
        for name, text in zip(names, fields):
            try:
                value = float(text)
            except ValueError:
                raise self.error(lineno, f"field {name} = {text!r} is not a number") from None
            if not math.isfinite(value):
                raise self.error(lineno, f"field {name} = {text!r} is not a finite number")
            values.append(value)
        return values

    def integer(self, lineno: int, name: str, value: float) -> int:
        if value != int(value):
            raise self.error(lineno, f"field {name} = {value} must be a whole number")
        return int(value)


def _scale(values, scale: int, rounding: str) -> np.ndarray:
    """``values * scale`` as int64, rounded up (``"up"``) or down (``"down"``) unless integral."""
    v = np.asarray(values, dtype=np.float64) * scale
    near = np.round(v)
    integral = np.abs(v - near) <= _INTEGRAL_EPS * np.maximum(1.0, np.abs(v))
    rounded = np.ceil(v) if rounding == "up" else np.floor(v)
    return np.where(integral, near, rounded).astype(np.int64)


def _instance_name(path: Path) -> str:
    name = path.name
    return name[: -len(path.suffix)] if path.suffix else name


# ---------------------------------------------------------------------------------------- Cordeau
_CORDEAU_HEADER = ("m", "n", "T", "Q", "L")
_CORDEAU_NODE = ("id", "x", "y", "d", "q", "e", "l")


def read_cordeau(path: str | Path, time_scale: int = 1000) -> BenchmarkInstance:
    """Read a Cordeau DARP instance in either published format, told apart by its row count.

    * Cordeau (2006), ``aM-N.txt``: header ``m n T Q L``, node rows ``id x y d q e l`` for ids
      ``0 … 2n+1``; vehicles start at node 0 and end at node ``2n+1``.
    * Cordeau & Laporte (2003), ``pr01 … pr20``: header ``m 2n T Q L`` (the second field counts
      pickup *and* drop-off nodes), node rows for ids ``0 … 2n`` only; node 0 is the depot where
      routes start and end.

    Request ``i`` is the pair (node ``i``, node ``n+i``); route duration limit ``T``; ride limit
    ``L``; capacity ``Q`` seats, no wheelchair places; every request must be served. Cost = total
    Euclidean distance.
    """
    _check_scale(time_scale)
    lines = _Lines(Path(path))
    (hline, hfields), body = lines.rows[0], lines.rows[1:]
    m_, n_, T, Q_, L = lines.numbers(hline, hfields, _CORDEAU_HEADER)
    m, second, Q = (lines.integer(hline, k, v) for k, v in (("m", m_), ("n", n_), ("Q", Q_)))
    if m < 1:
        raise lines.error(hline, f"header: the number of vehicles m = {m} must be at least 1")
    if second < 1:
        raise lines.error(hline, f"header: the number of requests n = {second} must be at least 1")
    if Q < 1:
        raise lines.error(hline, f"header: the vehicle capacity Q = {Q} must be at least 1")
    if T < 0 or L < 0:
        raise lines.error(hline, "header: the route duration T and ride limit L must not be negative")
    if len(body) == 2 * second + 2:            # 2006: n requests, depots 0 and 2n+1
        n, file_format, end_depot = second, "cordeau2006", 2 * second + 1
    elif second % 2 == 0 and len(body) == second + 1:   # 2003: 2n nodes besides the depot 0
        n, file_format, end_depot = second // 2, "cordeau2003", 0
    else:
        last = body[-1][0] if body else hline
        hint = (f" (or, in the 2003 format where it counts pickup and drop-off nodes, {second + 1} rows, "
                f"ids 0..{second})" if second % 2 == 0 else "")
        raise lines.error(last, f"the header announces n = {second} requests, so {2 * second + 2} node rows are "
                                f"needed (ids 0..{2 * second + 1}){hint}; found {len(body)}")
    rows = np.empty((len(body), 7))
    for k, (lineno, fields) in enumerate(body):
        rows[k] = lines.numbers(lineno, fields, _CORDEAU_NODE)
        if rows[k, 0] != k:
            raise lines.error(lineno, f"node ids must run 0..{len(body) - 1} in order; expected {k}, found {fields[0]}")
        if rows[k, 3] < 0:
            raise lines.error(lineno, f"node {k}: negative service duration {fields[3]}")
        if rows[k, 5] > rows[k, 6]:
            raise lines.error(lineno, f"node {k}: empty time window [{fields[5]}, {fields[6]}]")
    lineno_of = [ln for ln, _ in body]
    q = rows[:, 4]
    for i in range(1, n + 1):
        if q[i] <= 0 or q[i] != int(q[i]):
            raise lines.error(lineno_of[i], f"node {i} is a pickup: its load change q must be a positive whole number, "
                                            f"found {q[i]:g}")
        if q[n + i] != -q[i]:
            raise lines.error(lineno_of[n + i], f"node {n + i} is the drop-off of node {i}: its load change must be "
                                                f"{-q[i]:g}, found {q[n + i]:g}")
        if q[i] > Q:
            raise lines.error(lineno_of[i], f"node {i}: {q[i]:g} passengers exceed the vehicle capacity Q = {Q}")
    for k in sorted({0, end_depot}):
        if q[k] != 0:
            raise lines.error(lineno_of[k], f"node {k} is a depot: its load change must be 0, found {q[k]:g}")

    exact, scaled = euclidean_matrix(rows[:, 1], rows[:, 2], time_scale)
    pick = np.arange(1, n + 1)
    drop = pick + n
    start_depot = 0
    e, latest, d = rows[:, 5], rows[:, 6], rows[:, 3]
    start_time = int(_scale(e[start_depot], time_scale, "up"))
    end_latest = int(_scale(latest[end_depot], time_scale, "down"))
    if start_time > end_latest:
        raise lines.error(lineno_of[0], "the depot window is empty")
    try:
        problem = DarpProblem(
            travel_time=scaled,
            pickup_location=pick,
            dropoff_location=drop,
            seats=q[pick].astype(np.int32),
            wheelchairs=np.zeros(n, dtype=np.int32),
            pickup_earliest=_scale(e[pick], time_scale, "up"),
            pickup_latest=_scale(latest[pick], time_scale, "down"),
            dropoff_earliest=_scale(e[drop], time_scale, "up"),
            dropoff_latest=_scale(latest[drop], time_scale, "down"),
            max_ride_time=np.full(n, _scale(L, time_scale, "down")),
            pickup_service=_scale(d[pick], time_scale, "up"),
            dropoff_service=_scale(d[drop], time_scale, "up"),
            onboard_vehicle=np.full(n, -1, dtype=np.int32),
            pickup_begin=np.zeros(n, dtype=np.int64),
            rejection_penalty=np.full(n, MUST_SERVE),
            start_location=np.full(m, start_depot, dtype=np.int32),
            end_location=np.full(m, end_depot, dtype=np.int32),
            start_time=np.full(m, start_time),
            end_latest=np.full(m, end_latest),
            seat_capacity=np.full(m, Q, dtype=np.int32),
            wheelchair_capacity=np.zeros(m, dtype=np.int32),
            max_duration=np.full(m, _scale(T, time_scale, "down")),
            travel_cost=scaled,
            time_scale=time_scale,
            name=_instance_name(lines.path),
        )
    except DarpInputError as exc:
        raise lines.error(None, str(exc)) from None
    return BenchmarkInstance(
        name=problem.name, kind="darp", path=lines.path, problem=problem,
        exact_travel_time=_readonly(exact * time_scale),
        node_ids=_readonly(np.stack([pick, drop], axis=1).astype(np.int64)),
        depot_ids=(start_depot, end_depot), vehicle_limit=m, time_scale=time_scale,
        header={"vehicles": m, "requests": n, "max_route_duration": _num(T), "capacity": Q, "max_ride_time": _num(L),
                "format": file_format},
    )


# ---------------------------------------------------------------------------------------- Li & Lim
_LILIM_HEADER = ("K", "Q", "S")
_LILIM_NODE = ("id", "x", "y", "demand", "e", "l", "s", "p", "d")


def read_lilim(path: str | Path, time_scale: int = 1000) -> BenchmarkInstance:
    """Read a Li & Lim (2001) PDPTW instance (header ``K Q S``, rows ``id x y demand e l s p d``).

    Node 0 is the depot (its window is the horizon); pairs come from the ``p``/``d`` columns, in
    the order of their pickup nodes. ``K`` vehicles of capacity ``Q`` (seats = demand), no ride or
    route-duration limit, every request must be served. The speed field ``S`` is ignored (travel
    time equals distance). ``vehicle_fixed_cost`` exceeds any plan's total distance, so minimising
    ``fixed cost * vehicles + distance`` minimises vehicles first.
    """
    _check_scale(time_scale)
    lines = _Lines(Path(path))
    (hline, hfields), body = lines.rows[0], lines.rows[1:]
    K_, Q_, _S = lines.numbers(hline, hfields, _LILIM_HEADER)
    K, Q = lines.integer(hline, "K", K_), lines.integer(hline, "Q", Q_)
    if K < 1:
        raise lines.error(hline, f"header: the number of vehicles K = {K} must be at least 1")
    if Q < 1:
        raise lines.error(hline, f"header: the vehicle capacity Q = {Q} must be at least 1")
    if len(body) < 3:
        raise lines.error(body[-1][0] if body else hline, "need the depot row and at least one pickup/delivery pair")
    N = len(body)
    rows = np.empty((N, 9))
    lineno_of = []
    for k, (lineno, fields) in enumerate(body):
        rows[k] = lines.numbers(lineno, fields, _LILIM_NODE)
        lineno_of.append(lineno)
        if rows[k, 0] != k:
            raise lines.error(lineno, f"node ids must run 0..{N - 1} in order; expected {k}, found {fields[0]}")
        for col in (3, 7, 8):  # demand, p and d are whole numbers
            lines.integer(lineno, _LILIM_NODE[col], rows[k, col])
        if rows[k, 6] < 0:
            raise lines.error(lineno, f"node {k}: negative service duration {fields[6]}")
        if rows[k, 4] > rows[k, 5]:
            raise lines.error(lineno, f"node {k}: empty time window [{fields[4]}, {fields[5]}]")
    demand, p_col, d_col = rows[:, 3].astype(np.int64), rows[:, 7].astype(np.int64), rows[:, 8].astype(np.int64)
    if demand[0] != 0 or p_col[0] != 0 or d_col[0] != 0:
        raise lines.error(lineno_of[0], "node 0 is the depot: its demand, p and d must be 0")
    pickups = []
    for k in range(1, N):
        ln = lineno_of[k]
        if d_col[k] != 0 and p_col[k] != 0:
            raise lines.error(ln, f"node {k}: p and d are both set; a node is either a pickup (d) or a delivery (p)")
        if d_col[k] != 0:
            j = int(d_col[k])
            if not 1 <= j < N:
                raise lines.error(ln, f"node {k}: its delivery node {j} does not exist (ids 1..{N - 1})")
            if p_col[j] != k:
                raise lines.error(lineno_of[j], f"node {j} is the delivery of node {k} (line {ln}) "
                                                f"but names {p_col[j]} as its pickup")
            if demand[k] <= 0 or demand[j] != -demand[k]:
                raise lines.error(ln, f"pickup {k} has demand {demand[k]}, its delivery {j} {demand[j]}: "
                                      "need +q and -q with q > 0")
            if demand[k] > Q:
                raise lines.error(ln, f"node {k}: demand {demand[k]} exceeds the vehicle capacity Q = {Q}")
            pickups.append(k)
        elif p_col[k] != 0:
            j = int(p_col[k])
            if not 1 <= j < N or d_col[j] != k:
                raise lines.error(ln, f"node {k} names {j} as its pickup, "
                                      f"but node {j} does not name {k} as its delivery")
        else:
            raise lines.error(ln, f"node {k} is neither a pickup (d = 0) nor a delivery (p = 0)")
    pick = np.array(pickups, dtype=np.int64)
    drop = d_col[pick]
    R = len(pick)
    x, y, e, latest, s = rows[:, 1], rows[:, 2], rows[:, 4], rows[:, 5], rows[:, 6]
    exact, scaled = euclidean_matrix(x, y, time_scale)
    start_time = int(_scale(e[0], time_scale, "up"))
    end_latest = int(_scale(latest[0], time_scale, "down"))
    try:
        problem = DarpProblem(
            travel_time=scaled,
            pickup_location=pick,
            dropoff_location=drop,
            seats=demand[pick].astype(np.int32),
            wheelchairs=np.zeros(R, dtype=np.int32),
            pickup_earliest=_scale(e[pick], time_scale, "up"),
            pickup_latest=_scale(latest[pick], time_scale, "down"),
            dropoff_earliest=_scale(e[drop], time_scale, "up"),
            dropoff_latest=_scale(latest[drop], time_scale, "down"),
            max_ride_time=np.full(R, NO_LIMIT),
            pickup_service=_scale(s[pick], time_scale, "up"),
            dropoff_service=_scale(s[drop], time_scale, "up"),
            onboard_vehicle=np.full(R, -1, dtype=np.int32),
            pickup_begin=np.zeros(R, dtype=np.int64),
            rejection_penalty=np.full(R, MUST_SERVE),
            start_location=np.zeros(K, dtype=np.int32),
            end_location=np.zeros(K, dtype=np.int32),
            start_time=np.full(K, start_time),
            end_latest=np.full(K, end_latest),
            seat_capacity=np.full(K, Q, dtype=np.int32),
            wheelchair_capacity=np.zeros(K, dtype=np.int32),
            max_duration=np.full(K, NO_LIMIT),
            travel_cost=scaled,
            time_scale=time_scale,
            name=_instance_name(lines.path),
        )
    except DarpInputError as exc:
        raise lines.error(None, str(exc)) from None
    return BenchmarkInstance(
        name=problem.name, kind="pdptw", path=lines.path, problem=problem,
        exact_travel_time=_readonly(exact * time_scale),
        node_ids=_readonly(np.stack([pick, drop], axis=1).astype(np.int64)),
        depot_ids=(0, 0), vehicle_limit=K, time_scale=time_scale,
        vehicle_fixed_cost=vehicle_fixed_cost_for(problem),
        header={"vehicles": K, "capacity": Q, "speed": _num(_S), "requests": R},
    )


def vehicle_fixed_cost_for(problem: DarpProblem) -> int:
    """A per-vehicle cost larger than the travel cost of any plan (so vehicles count first).

    Any plan has at most ``2R + V`` legs, none longer than the largest matrix entry.
    """
    legs = 2 * problem.request_count + problem.vehicle_count
    return int(legs * int(problem.travel_cost.max()) + 1)


def read_instance(path: str | Path, kind: str, time_scale: int = 1000) -> BenchmarkInstance:
    """:func:`read_cordeau` for ``kind="darp"``, :func:`read_lilim` for ``kind="pdptw"``."""
    if kind == "darp":
        return read_cordeau(path, time_scale)
    if kind == "pdptw":
        return read_lilim(path, time_scale)
    raise ValueError(f"unknown instance kind {kind!r}: use 'darp' or 'pdptw'")


# ---------------------------------------------------------------------------------------- BKS
def read_bks(path: str | Path) -> dict[str, BksEntry]:
    """Read a ``bks.csv`` of either family, keyed by instance name.

    Cordeau: ``instance, vehicles, requests, capacity, max_ride_time, best_known_cost, optimal, source``;
    Li & Lim: ``instance, vehicles, distance, source``.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = set(reader.fieldnames or ())
            if {"instance", "vehicles", "best_known_cost"} <= columns:
                cost_col = "best_known_cost"
            elif {"instance", "vehicles", "distance"} <= columns:
                cost_col = "distance"
            else:
                raise DarpInputError(f"{path}:1: not a bks.csv: need columns instance, vehicles and "
                                     f"best_known_cost or distance; found {sorted(columns)}")
            entries: dict[str, BksEntry] = {}
            for row in reader:
                lineno = reader.line_num
                try:
                    name = row["instance"].strip()
                    cost = float(row[cost_col])
                    vehicles = int(row["vehicles"])
                except (TypeError, ValueError, AttributeError):
                    raise DarpInputError(f"{path}:{lineno}: cannot read instance, vehicles and {cost_col}") from None
                if not name:
                    raise DarpInputError(f"{path}:{lineno}: empty instance name")
                optimal = None
                if "optimal" in row and row["optimal"] is not None:
                    optimal = row["optimal"].strip().lower() in ("yes", "true", "1")
                entries[name] = BksEntry(name, cost, vehicles, optimal, (row.get("source") or "").strip())
    except FileNotFoundError:
        raise DarpInputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DarpInputError(f"{path}: not a text file") from None
    return entries


def _check_scale(time_scale: int) -> None:
    if int(time_scale) != time_scale or time_scale < 1:
        raise DarpInputError(f"time_scale must be a positive whole number, got {time_scale!r}")


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a
