"""What every dial-a-ride optimiser returns (our solver, the plain OR-Tools baseline, peers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.darp.problem import Plan


@dataclass
class SolveResult:
    """Outcome of one optimiser run.

    ``cost`` is :meth:`Plan.cost` of ``plan`` (integer travel-cost units of the problem, vehicle
    fixed costs and rejection penalties not included); ``seconds`` the wall time of the whole call
    (model building included); ``seconds_to_first_feasible`` when the first feasible plan was
    known, measured from the start of the call (None when none was found); ``solver`` names the
    optimiser; ``status`` is a short word saying how the search ended (for the OR-Tools baseline
    its routing status without the ``ROUTING_`` prefix, lowercased: ``success``, ``fail_timeout``,
    ...). ``extra`` holds solver-specific facts (objective value, iterations, ...).
    """

    plan: Plan
    cost: int
    seconds: float
    seconds_to_first_feasible: float | None
    solver: str
    status: str
    extra: dict = field(default_factory=dict)

