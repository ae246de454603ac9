"""Dial-a-ride dispatch core: problem data, insertion search, optimisers and an independent checker."""

from routing.darp.checker import CheckResult, check_plan
from routing.darp.problem import MUST_SERVE, NO_LIMIT, OPEN_END, DarpInputError, DarpProblem, Plan

__all__ = [
    "MUST_SERVE",
    "NO_LIMIT",
    "OPEN_END",
    "CheckResult",
    "DarpInputError",
    "DarpProblem",
    "Plan",
    "check_plan",
]
