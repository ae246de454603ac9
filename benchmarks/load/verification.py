"""After the load: idempotency re-sends against the running server, then the stored data checked
against what the clients were told (and the stored plans, see :mod:`.plans`)."""

from __future__ import annotations

import random
import time
from datetime import datetime

import httpx

from .clients import Booked
from .plans import independent_plan_check, load_network, restored_plan_check


def check_idempotency(base: str, riders: list[dict], booked: list[Booked], sample: int, rng: random.Random) -> dict:
    """Re-send booking requests with their Idempotency-Key: the same booking must come back."""
    mismatches = []
    picked = rng.sample(booked, min(sample, len(booked)))
    with httpx.Client(base_url=base, timeout=30) as c:
        for b in picked:
            r = c.post("/api/v1/bookings", json={"offer_id": b.offer_id},
                       headers={**riders[b.client], "Idempotency-Key": b.key})
            if r.status_code != 201 or r.json().get("booking_id") != b.booking_id:
                mismatches.append({"booking_id": b.booking_id, "status": r.status_code, "body": r.text[:200]})
    return {"resent": len(picked), "mismatches": mismatches}


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def answered_booking_problems(stored: dict, booked: list[Booked]) -> list[str]:
    """Every booking answered 201 is in ``stored`` (booking id -> stored booking) once, confirmed,
    with the offer, key and window the client was given."""
    from ride_pool.dispatch.domain import BookingStatus

    problems = []
    answered = {b.booking_id: b for b in booked}
    if len(answered) != len(booked):
        problems.append(f"{len(booked) - len(answered)} booking ids were answered twice")
    missing = [b for b in answered if b not in stored]
    if missing:
        problems.append(f"{len(missing)} answered bookings are not in the database, e.g. {missing[:3]}")
    wrong = []
    for bid, b in answered.items():
        row = stored.get(bid)
        if row is None:
            continue
        if row.status is not BookingStatus.CONFIRMED or row.offer_id != b.offer_id or row.idempotency_key != b.key \
                or (row.pickup_earliest, row.pickup_latest, row.dropoff_latest) != (
                    _epoch(b.pickup_earliest), _epoch(b.pickup_latest), _epoch(b.dropoff_latest)):
            wrong.append(bid)
    if wrong:
        problems.append(f"{len(wrong)} answered bookings differ in the database (status/window/offer/key), "
                        f"e.g. {wrong[:3]}")
    return problems


def verify_database(url: str, booked: list[Booked], network=None, now: int | None = None) -> dict:
    """Check the stored state: answered bookings confirmed with their window, nothing twice, every
    open shift's plan feasible (dispatcher restore + independent rebuild, both ``check_plan``)."""
    from sqlalchemy import func, select

    from ride_pool.db.engine import make_engine, read_session
    from ride_pool.db.models import BookingRow, ServiceArea
    from ride_pool.db.rows import booking_from_row
    from ride_pool.db.store import SqlStore
    from ride_pool.dispatch.rules import ServiceRules

    now = int(time.time()) if now is None else now
    network = network or load_network()
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            rows = {r.booking_id: booking_from_row(r) for r in s.scalars(select(BookingRow))}
            dup_offers = s.execute(select(BookingRow.offer_id, func.count()).where(BookingRow.offer_id.is_not(None))
                                   .group_by(BookingRow.offer_id).having(func.count() > 1)).all()
            dup_keys = s.execute(select(BookingRow.idempotency_scope, BookingRow.idempotency_key, func.count())
                                 .where(BookingRow.idempotency_key.is_not(None))
                                 .group_by(BookingRow.idempotency_scope, BookingRow.idempotency_key)
                                 .having(func.count() > 1)).all()
            area = s.scalar(select(ServiceArea).where(ServiceArea.name == "default"))
            rules = ServiceRules.from_dict(area.rules if area else None)
        state = SqlStore(engine).load(now)
    finally:
        engine.dispose()

    problems = answered_booking_problems(rows, booked)
    answered = {b.booking_id for b in booked}
    unanswered = [bid for bid, r in rows.items() if bid not in answered and r.channel == "app"]
    if dup_offers:
        problems.append(f"{len(dup_offers)} offers booked more than once")
    if dup_keys:
        problems.append(f"{len(dup_keys)} idempotency keys used by more than one booking")
    restored = restored_plan_check(state, rules, network, now, problems)
    independent = independent_plan_check(state, rules, network, now, problems)
    return {"ok": not problems, "problems": problems[:20], "answered_201": len(booked),
            "stored_bookings": len(rows), "stored_active": len({b.booking_id for b in state.bookings}),
            "stored_but_not_answered": len(unanswered), "duplicate_offers": len(dup_offers),
            "duplicate_idempotency_keys": len(dup_keys), "restored_plan": restored,
            "independent_plan": independent}
