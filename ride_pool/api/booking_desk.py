"""Operations API, the bookings desk (issue 15): search every booking (open, finished, cancelled)
and refused request by rider name, phone, booking id, stop and day, filter by status, and export
the result as CSV (German spreadsheet form; cells that a spreadsheet would run as a formula are
escaped).

``GET /api/v1/ops/bookings/search`` and ``GET /api/v1/ops/bookings/export.csv`` (same parameters)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from ride_pool.api.deps import get_service, operator_only
from ride_pool.api.service import Service
from ride_pool.db.booking_desk import STATUSES, search
from ride_pool.message_catalogue import CATALOGUE
from ride_pool.messages import msg, render

router = APIRouter(prefix="/api/v1/ops/bookings", tags=["operations"], dependencies=[Depends(operator_only)])


class DeskRowOut(BaseModel):
    booking_id: str | None
    status: str
    status_text: str
    pickup_earliest: str
    pickup_latest: str | None
    rider_id: int | None
    rider_name: str | None
    rider_email: str | None
    caller_name: str | None
    caller_phone: str | None
    origin: str
    destination: str
    passengers: int
    vehicle: str | None
    channel: str
    channel_text: str
    cause: str | None
    cause_text: str | None


def _in_words(prefix: str, value: str) -> str:
    """``value`` (a status, channel or cause code) in the request's language from the catalogue
    entry ``prefix + value``; the code itself where the catalogue has none."""
    key = prefix + value
    return render(msg(key)) if key in CATALOGUE else value


def _rows(service: Service, q: str, status: str | None, day: str | None, limit: int) -> list[DeskRowOut]:
    if status and status not in STATUSES:
        raise HTTPException(422, detail={"code": "invalid_request", "message": msg(
            "field_message", field="status", message=", ".join(STATUSES))})
    span = None
    if day:
        try:
            d = date.fromisoformat(day)
        except ValueError:
            raise HTTPException(422, detail={"code": "invalid_request", "message": msg(
                "field_message", field="date", message="YYYY-MM-DD")}) from None
        tz = service.times.tz
        start = datetime.combine(d, time(0), tz)
        span = (int(start.timestamp()), int(datetime.combine(d + timedelta(days=1), time(0), tz).timestamp()))
    iso = service.times.iso
    flush = getattr(service.store, "flush", None)
    if flush is not None:       # refusals are written behind: the desk shows them at once
        flush()
    out = []
    for r in search(service.engine, q=q, status=status or None, day=span, limit=limit):
        out.append(DeskRowOut(
            booking_id=r.booking_id, status=r.status, status_text=_in_words("status_", r.status),
            pickup_earliest=iso(r.time).isoformat(),
            pickup_latest=iso(r.pickup_latest).isoformat() if r.pickup_latest else None, rider_id=r.rider_id,
            rider_name=r.rider_name, rider_email=r.rider_email, caller_name=r.caller_name,
            caller_phone=r.caller_phone, origin=r.origin, destination=r.destination, passengers=r.passengers,
            vehicle=r.vehicle, channel=r.channel, cause=r.cause, channel_text=_in_words("channel_", r.channel),
            cause_text=_in_words("cause_", r.cause) if r.cause else None))
    return out


@router.get("/search", response_model=list[DeskRowOut])
def desk(q: str = Query(default="", max_length=100, description="rider or caller name, e-mail, phone, booking id, "
                        "stop"),
         status: str | None = Query(default=None, description=" | ".join(STATUSES)),
         date: str | None = Query(default=None, description="the pickup day, YYYY-MM-DD (local)"),
         limit: int = Query(default=200, ge=1, le=2000), service: Service = Depends(get_service)):
    """Bookings and refused requests, newest pickup first, with the cause of each cancellation,
    no-show and refusal (``cause``, and ``cause_text`` in words)."""
    return _rows(service, q, status, date, limit)


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text: one beginning with ``= + - @`` or a tab or carriage
    return (a formula, e.g. ``=HYPERLINK(...)``) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


#: the export's columns: (field, German header, English header)
COLUMNS = (("booking_id", "Buchung", "booking"), ("status_text", "Status", "status"),
           ("pickup_earliest", "Abholung ab", "pickup from"), ("pickup_latest", "Abholung bis", "pickup until"),
           ("rider_name", "Fahrgast", "rider"), ("caller_name", "Anrufer", "caller"),
           ("caller_phone", "Telefon", "phone"), ("origin", "Von", "from"), ("destination", "Nach", "to"),
           ("passengers", "Personen", "passengers"), ("vehicle", "Fahrzeug", "vehicle"),
           ("channel_text", "Kanal", "channel"), ("cause_text", "Ursache", "cause"))


@router.get("/export.csv")
def export(q: str = Query(default="", max_length=100), status: str | None = Query(default=None),
           date: str | None = Query(default=None), limit: int = Query(default=2000, ge=1, le=20000),
           service: Service = Depends(get_service)):
    """The desk's rows as CSV for a German spreadsheet: ``;``-separated, UTF-8 with BOM; cells
    that would run as a formula are escaped with a leading apostrophe."""
    from ride_pool.messages import current_language

    english = current_language.get() == "en"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([c[2] if english else c[1] for c in COLUMNS])
    for row in _rows(service, q, status, date, limit):
        data = row.model_dump()
        w.writerow([spreadsheet_safe(data[c[0]]) for c in COLUMNS])
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="buchungen.csv"'})
