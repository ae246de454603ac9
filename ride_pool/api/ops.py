"""Operations API (operator role): fleet, shifts, stops, service area, phone bookings, live KPIs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ride_pool.api import security, throttle
from ride_pool.api.auth import forget_caller
from ride_pool.api.control_room import OpsBookingOut, ops_booking_out
from ride_pool.api.deps import get_service, operator_only
from ride_pool.api.drivers import shift_out
from ride_pool.api.passwords import require_good_password
from ride_pool.api.riders import book_response, make_quote, stop_out
from ride_pool.api.schemas import (
    MAX_ID,
    BookingIn,
    BookingOut,
    Email,
    PhoneQuoteIn,
    QuoteOut,
    ServiceAreaIn,
    ShiftIn,
    ShiftOut,
    StopIn,
    StopOut,
    Strict,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)
from ride_pool.api.service import Service
from ride_pool.api.shifts import break_of, plan_shift
from ride_pool.api.views import booking_out
from ride_pool.db.errors import StopImportError
from ride_pool.db.repository import Repository
from ride_pool.db.stops import parse_stops_text
from ride_pool.dispatch.dispatcher import KEEP
from ride_pool.dispatch.errors import DispatchInputError
from ride_pool.dispatch.fleet import EARLY_START_S
from ride_pool.dispatch.kpis import compute_kpis
from ride_pool.message_catalogue import CATALOGUE
from ride_pool.messages import Message, msg, render
from ride_pool.text import Name, StopName, Town

router = APIRouter(prefix="/api/v1/ops", tags=["operations"], dependencies=[Depends(operator_only)])


def vehicle_out(v) -> VehicleOut:
    return VehicleOut(id=v.id, label=v.label, seats=v.seats, wheelchair_places=v.wheelchair_places,
                      depot_lat=v.depot_lat, depot_lon=v.depot_lon, active=v.active,
                      features=getattr(v, "features", None))


def driver_account(repo: Repository, email: str | None, missing: Message) -> int | None:
    """The user id of the driver account ``email`` (None for no email); 422 ``missing`` + email if
    there is no such account or it is not a driver's."""
    if not email:
        return None
    driver = repo.get_user_by_email(email)
    if driver is None or driver.role.value != "driver":
        raise HTTPException(422, detail={"code": "unknown_driver", "message": msg("field_message", field=missing,
                                                                                   message=email)})
    return driver.id


@router.get("/vehicles", response_model=list[VehicleOut])
def vehicles(service: Service = Depends(get_service)):
    return [vehicle_out(v) for v in Repository(service.engine).list_vehicles()]


@router.post("/vehicles", status_code=201, response_model=VehicleOut)
def create_vehicle(body: VehicleIn, service: Service = Depends(get_service)):
    service.dispatcher.place(body.depot_lat, body.depot_lon)   # the depot must lie in the area
    try:
        return vehicle_out(Repository(service.engine).create_vehicle(
            body.label, body.seats, wheelchair_places=body.wheelchair_places, depot_lat=body.depot_lat,
            depot_lon=body.depot_lon))
    except ValueError as exc:
        raise HTTPException(422, detail={"code": "invalid_request",
                                         "message": getattr(exc, "message", str(exc))}) from None


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut)
def update_vehicle(body: VehiclePatch, vehicle_id: int = Path(ge=1, le=MAX_ID),
                   service: Service = Depends(get_service)):
    changes = body.model_dump(exclude_none=True)
    if "depot_lat" in changes or "depot_lon" in changes:
        current = Repository(service.engine).get_vehicle(vehicle_id)
        if current is not None:
            service.dispatcher.place(changes.get("depot_lat", current.depot_lat),
                                     changes.get("depot_lon", current.depot_lon))
    try:
        return vehicle_out(Repository(service.engine).update_vehicle(vehicle_id, **changes))
    except ValueError as exc:
        raise HTTPException(422, detail={"code": "invalid_request",
                                         "message": getattr(exc, "message", str(exc))}) from None


@router.get("/shifts", response_model=list[ShiftOut])
def shifts(include_ended: bool = False, service: Service = Depends(get_service)):
    d = service.dispatcher
    out = []
    for row in Repository(service.engine).list_shifts(include_ended=include_ended):
        live = d.shifts.get(row.id)
        if live is not None:
            out.append(shift_out(service, live))
    return out


@router.post("/shifts", status_code=201, response_model=ShiftOut)
def create_shift(body: ShiftIn, service: Service = Depends(get_service)):
    """Plan a vehicle shift; it takes bookings at once. The depot is the vehicle's depot."""
    repo = Repository(service.engine)
    vehicle = repo.get_vehicle(body.vehicle_id)
    if vehicle is None:
        raise HTTPException(422, detail={"code": "unknown_vehicle",
                                         "message": msg("unknown_vehicle", vehicle_id=body.vehicle_id)})
    if not vehicle.active:
        raise HTTPException(409, detail={"code": "vehicle_inactive", "message":
                                         msg("vehicle_inactive", label=vehicle.label)})
    start, end = service.times.epoch(body.start, "start"), service.times.epoch(body.end, "end")
    service.dispatcher.check_shift_times(vehicle.id, vehicle.label, start, end)
    driver_id = driver_account(repo, body.driver_email, msg("no_driver_account"))
    depot = service.dispatcher.place(vehicle.depot_lat, vehicle.depot_lon, name=f"Depot {vehicle.label}")
    return shift_out(service, plan_shift(service, vehicle, start, end, depot, driver_id=driver_id,
                                         **break_of(service, body)))


@router.post("/shifts/{shift_id}/end", response_model=ShiftOut)
def end_shift(shift_id: int = Path(ge=1, le=MAX_ID), service: Service = Depends(get_service)):
    return shift_out(service, service.dispatcher.end_shift(shift_id, cause="operator"))


@router.post("/stops", status_code=201, response_model=StopOut)
def create_stop(body: StopIn, service: Service = Depends(get_service)):
    place = service.dispatcher.place(body.lat, body.lon, name=body.name)
    return stop_out(Repository(service.engine).create_stop(body.name, body.lat, body.lon, code=body.code,
                                                           town=body.town, node=place.node))


class ImportResult(BaseModel):
    imported: int
    outside_area: int = Field(description="stops skipped because they lie outside the service area")
    #: ``?preview=true``: nothing was written; the stops as read (with their line), the ones
    #: outside the area, and every faulty line with what to fix (German unless asked otherwise)
    preview: bool = False
    stops: list[dict] = Field(default_factory=list)
    errors: list[dict] = Field(default_factory=list)


@router.post("/stops/import", response_model=ImportResult, response_model_exclude_unset=True)
async def import_stops(request: Request, preview: bool = Query(default=False), service: Service = Depends(get_service)):
    """Import a GTFS ``stops.txt`` or a stop CSV sent as the request body (``text/csv``) or as the
    file field ``file`` of a form: ``,`` or ``;`` separated, UTF-8 (with or without BOM) or
    Windows-1252, English or German headers (``Haltestelle;Ort;Breite;Länge;DHID``), decimal
    commas. The whole file is checked before anything is written; stops outside the service area
    are skipped and counted. ``?preview=true`` writes nothing and lists the stops and every faulty
    line (200 even when there are some)."""
    from ride_pool.stop_files import StopFileError, decode_stop_bytes

    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise HTTPException(422, detail={"code": "invalid_request", "message": msg("stop_file_field")})
        raw = await upload.read()
    else:
        raw = await request.body()
    if not raw:
        raise HTTPException(422, detail={"code": "invalid_stop_file", "message": msg("stop_file_empty")})
    try:
        text = decode_stop_bytes(raw)
    except StopFileError as exc:
        raise HTTPException(422, detail={"code": "invalid_stop_file", "message": exc.message}) from None
    if "\x00" in text:
        raise HTTPException(422, detail={"code": "invalid_stop_file", "message": msg("stop_file_nul")})

    def work():
        try:
            parsed = parse_stops_text(text)
        except StopImportError as exc:
            if preview:
                errors = [{"line": line, "message": render(problem)} for line, problem in exc.problems] or [
                    {"line": None, "message": render(exc.message)}]
                return ImportResult(imported=0, outside_area=0, preview=True, errors=errors, stops=[])
            raise HTTPException(422, detail={"code": "invalid_stop_file", "message": exc.message}) from None
        d = service.dispatcher
        # points far from any road are sorted out for all stops at once (one by one, each refusal
        # costs milliseconds: a county's station list would take half a minute)
        near = service.maps.near_road([s["lat"] for s in parsed], [s["lon"] for s in parsed])
        kept, outside = [], 0
        for stop, ok in zip(parsed, near):
            try:
                if not ok:
                    raise DispatchInputError(msg("far_from_road"))
                stop["node"] = d.place(stop["lat"], stop["lon"]).node
                kept.append(stop)
                stop["inside"] = True
            except DispatchInputError:
                outside += 1
                stop["inside"] = False
        if preview:
            return ImportResult(imported=0, outside_area=outside, preview=True, errors=[],
                                stops=[{k: s.get(k) for k in ("code", "name", "town", "lat", "lon", "inside")}
                                       for s in parsed])
        for stop in kept:
            stop.pop("inside", None)
        Repository(service.engine).import_stops(kept)
        return ImportResult(imported=len(kept), outside_area=outside)

    import asyncio
    return await asyncio.to_thread(work)


class AreaOut(BaseModel):
    polygon: dict | list | None
    rules: dict


@router.get("/service-area", response_model=AreaOut)
def get_area(service: Service = Depends(get_service)):
    d = service.dispatcher
    return AreaOut(polygon=d.service_area_polygon(), rules=d.rules.to_dict())


@router.put("/service-area", response_model=AreaOut)
def set_area(body: ServiceAreaIn, service: Service = Depends(get_service)):
    """Set the service-area polygon (GeoJSON Polygon or [[lon, lat], ...]; null = whole network)
    and/or the service rules (only the given rules change; see ``GET`` for the names)."""
    d = service.dispatcher
    rules = d.rules.with_changes(body.rules) if body.rules is not None else None
    polygon = body.polygon if "polygon" in body.model_fields_set else KEEP
    d.set_area(rules=rules, polygon=polygon)
    return AreaOut(polygon=d.service_area_polygon(), rules=d.rules.to_dict())


@router.post("/quotes", response_model=QuoteOut)
def phone_quote(body: PhoneQuoteIn, request: Request, service: Service = Depends(get_service)):
    """A quote for a caller on the phone (rider limits like the no-show rule do not apply; the
    limit of quotes per client address does)."""
    throttle.count_address(service, request, "quotes_address")
    rider_id = None
    if body.rider_email:
        rider = Repository(service.engine).get_user_by_email(body.rider_email)
        if rider is None:
            raise HTTPException(422, detail={"code": "unknown_rider", "message":
                                             msg("unknown_rider", email=body.rider_email)})
        rider_id = rider.id
    return make_quote(service, body, rider_id, "phone")


@router.post("/bookings", status_code=201, response_model=BookingOut)
async def phone_booking(body: BookingIn, idempotency_key: str | None = Header(default=None, max_length=200),
                        service: Service = Depends(get_service)) -> Response:
    """Book an offer from ``POST /ops/quotes`` for the caller (``Idempotency-Key`` header honoured)."""
    # the rider and idempotency scope come from the offer itself (book_offer)
    return await service.in_dispatch_thread(book_response, service, body.offer_id, None, "phone", idempotency_key)


@router.get("/bookings", response_model=list[OpsBookingOut])
def active_bookings(service: Service = Depends(get_service)):
    """All open bookings (confirmed or on board), by pickup time, with their shift and pin."""
    return [ops_booking_out(service, b) for b in service.dispatcher.active_bookings()]


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
def cancel_booking(booking_id: str, service: Service = Depends(get_service)):
    return booking_out(service, service.dispatcher.cancel(booking_id, cause="operator"))


@router.get("/kpis")
def kpis(since: str | None = Query(default=None, description="ISO 8601; default: today 00:00 local"),
         service: Service = Depends(get_service)):
    """Live KPIs from the event log: requests, confirmed, rejected by cause, wait (mean, p95),
    detour ratio, direct passenger-km per vehicle-km, vehicle-km."""
    from datetime import datetime

    tz = service.times.tz
    if since:
        try:
            t0 = service.times.epoch(datetime.fromisoformat(since), "since")
        except (ValueError, OverflowError):     # OverflowError: e.g. 0001-01-01 local is before year 1 UTC
            raise HTTPException(422, detail={
                "code": "invalid_request",
                "message": msg("not_iso_time", name="since")}) from None
    else:
        now = datetime.fromtimestamp(service.clock(), tz)
        t0 = int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
    events = [event for _, event in service.store.event_rows(since_time=t0)]
    result = compute_kpis(events)
    result["since"] = service.times.iso(t0).isoformat()
    # the causes in words, in the request's language: {code: text}
    causes = set()
    for name in ("rejections_by_cause", "refusals_by_cause", "cancellations_by_cause"):
        causes.update(result.get(name) or {})
    result["cause_names"] = {c: render(msg("cause_" + c)) if "cause_" + c in CATALOGUE else c for c in sorted(causes)}
    return result


class LiveVehicle(BaseModel):
    shift_id: int
    vehicle_id: int
    label: str
    lat: float | None
    lon: float | None
    anchor_lat: float
    anchor_lon: float
    started: bool
    next_stops: list[dict]
    #: not_started, driving, waiting, on_break (issue 15)
    state: str = "waiting"


@router.get("/live", response_model=list[LiveVehicle])
def live(service: Service = Depends(get_service)):
    """Vehicles on shift now, where they are and their next stops."""
    d = service.dispatcher
    net = service.network
    now = service.clock()
    out = []
    for s in d.all_shifts():
        if s.ended or not (s.start - EARLY_START_S <= now < s.end):
            continue
        steps = d.planned_schedule(s.shift_id, limit=5)
        out.append(LiveVehicle(
            shift_id=s.shift_id, vehicle_id=s.vehicle_id, label=s.label, lat=s.lat, lon=s.lon,
            anchor_lat=float(net.node_lat[s.anchor_node]), anchor_lon=float(net.node_lon[s.anchor_node]),
            started=s.started, state=d.vehicle_state(s.shift_id),
            next_stops=[{"booking_id": p.booking_id, "kind": p.kind.value, "name": p.place.name,
                                            "lat": p.place.lat, "lon": p.place.lon,
                                            "time": service.times.iso(p.begin).isoformat()} for p in steps]))
    return out


class AccountIn(Strict):
    email: Email
    #: the rules (length, not blank, not common) are checked by ride_pool.api.passwords
    password: str = Field(max_length=200)
    name: Name = Field(max_length=200)
    role: str = Field(pattern="^(rider|driver|operator)$")


@router.post("/users", status_code=201)
async def create_account(body: AccountIn, service: Service = Depends(get_service)):
    """Create a driver, operator or rider account (confirmed: the operator vouches for the address)."""
    require_good_password(body.password)
    password_hash = await service.in_password_thread(security.hash_password, body.password)
    user = await run_in_threadpool(Repository(service.engine).create_user, body.email, password_hash, body.name,
                                   body.role, now=service.clock(), confirmed=True)
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
            "confirmed": bool(user.confirmed)}


@router.get("/users")
def accounts(role: str | None = Query(default=None, pattern="^(rider|driver|operator)$"),
             service: Service = Depends(get_service)):
    return [{"id": u.id, "email": u.email, "name": u.name, "role": u.role.value, "no_show_count": u.no_show_count,
             "confirmed": bool(u.confirmed)}
            for u in Repository(service.engine).list_users(role)]


@router.post("/users/{user_id}/confirm")
def confirm_account(user_id: int = Path(ge=1, le=MAX_ID), service: Service = Depends(get_service)):
    """Confirm a self-registered account (e.g. the rider called and the address is known to be
    theirs); 404 for an unknown id."""
    user = Repository(service.engine).confirm_user(user_id)
    forget_caller(service, user.id)
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
            "confirmed": bool(user.confirmed)}


# --- edits of stops and shifts (operations dashboard) ------------------------------------------

from ride_pool.api.schemas import ApiTime  # noqa: E402


class StopPatch(Strict):
    name: StopName | None = Field(default=None, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    town: Town | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=100, description="the source's stop id; \"\" removes it")


@router.patch("/stops/{stop_id}", response_model=StopOut)
def update_stop(body: StopPatch, stop_id: int = Path(ge=1, le=MAX_ID), service: Service = Depends(get_service)):
    """Change a stop's name, town, code or position (bookings keep the place they were made with)."""
    from ride_pool.db.repository import update_stop as update_stop_row

    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise HTTPException(422, detail={"code": "invalid_request",
                                         "message": msg("nothing_to_change", fields="name, town, code, lat, lon")})
    if "code" in changes:
        changes["code"] = changes["code"].strip() or None
    repo = Repository(service.engine)
    current = repo.get_stop(stop_id)
    if current is None:
        raise HTTPException(404, detail={"code": "not_found", "message": msg("stop_unknown", stop_id=stop_id)})
    if "lat" in changes or "lon" in changes:
        place = service.dispatcher.place(changes.get("lat", current.lat), changes.get("lon", current.lon),
                                         name=changes.get("name", current.name))  # 422 outside the area
        changes["node"] = place.node
    try:
        return stop_out(update_stop_row(service.engine, stop_id, **changes))
    except ValueError as exc:
        raise HTTPException(422, detail={"code": "invalid_request",
                                         "message": getattr(exc, "message", str(exc))}) from None


class ShiftPatch(Strict):
    start: ApiTime | None = Field(default=None, description="ISO 8601; without offset: local time")
    end: ApiTime | None = Field(default=None, description="ISO 8601; without offset: local time")
    driver_email: Email | None = Field(default=None, description="the driver's account; null: no driver")
    break_start_earliest: ApiTime | None = Field(default=None, description="the planned break begins at the "
                                                 "earliest then")
    break_start_latest: ApiTime | None = Field(default=None, description="... and at the latest then")
    break_minutes: int | None = Field(default=None, ge=0, le=240, description="its length; 0: no break")
    break_stop_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="where; null: the depot")


@router.patch("/shifts/{shift_id}", response_model=ShiftOut)
def update_shift(body: ShiftPatch, request: Request, shift_id: int = Path(ge=1, le=MAX_ID),
                 service: Service = Depends(get_service)):
    """Assign a shift's driver (``driver_email``, null for none), move its ``start``/``end`` or
    plan its break (``break_start_earliest``, ``break_start_latest``, ``break_minutes``; 0: none).
    A running shift, or one with booked stops, can only be extended or shortened (``start``,
    ``end``; shortening while every booked stop still fits, else 409 ``stops_do_not_fit``); other
    shifts change freely. New times or a new break replace the shift by a new one (the answer carries its
    id)."""
    d = service.dispatcher
    fields = body.model_fields_set
    if not fields:
        raise HTTPException(422, detail={"code": "invalid_request",
                                         "message": msg("nothing_to_change", fields="start, end, driver_email, break")})
    running = d.shifts.get(shift_id)
    if running is not None and not running.ended and fields <= {"start", "end"} and (
            running.started or any(s.kind.value != "break" for s in running.route)):
        # a running shift, or one with booked stops: its hours change in place (shift_resize)
        return shift_out(service, d.resize_shift(shift_id, service.times.epoch(body.start, "start"),
                                                 service.times.epoch(body.end, "end"),
                                                 operator_id=getattr(request.state, "caller", None) and
                                                 request.state.caller.user_id))
    live = d.changeable_shift(shift_id)
    driver_id = live.driver_id
    if "driver_email" in fields:
        driver_id = driver_account(Repository(service.engine), body.driver_email,
                                   msg("field_message", field="driver_email", message=msg("no_driver_account")))
    start = service.times.epoch(body.start, "start") if body.start is not None else live.start
    end = service.times.epoch(body.end, "end") if body.end is not None else live.end
    planned_break = break_of(service, body, live)
    same_break = (planned_break["break_earliest"], planned_break["break_latest"], planned_break["break_s"],
                  planned_break["break_place"]) == (live.break_earliest, live.break_latest, live.break_s,
                                                    live.break_place)
    if (start, end) == (live.start, live.end) and same_break:
        return shift_out(service, d.assign_driver(shift_id, driver_id))
    d.check_new_times(shift_id, start, end)
    d.check_break(start, end, **{"earliest": planned_break["break_earliest"], "latest": planned_break["break_latest"],
                                 "break_s": planned_break["break_s"]})
    vehicle = Repository(service.engine).get_vehicle(live.vehicle_id)
    d.end_shift(shift_id, cause="operator")
    return shift_out(service, plan_shift(service, vehicle, start, end, live.depot, driver_id=driver_id,
                                         **planned_break))


# --- disabling accounts (issue 13) -------------------------------------------------------------

from ride_pool.api.deps import Caller  # noqa: E402
from ride_pool.db import accounts as account_rows  # noqa: E402


def _account_state_out(user) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
            "disabled": bool(user.disabled)}


@router.post("/users/{user_id}/disable")
def disable_account(user_id: int = Path(ge=1, le=MAX_ID), caller: Caller = Depends(operator_only),
                    service: Service = Depends(get_service)):
    """Disable an account: its tokens are refused at once and it cannot log in until enabled."""
    if user_id == caller.user_id:
        raise HTTPException(409, detail={"code": "own_account", "message": msg("own_account")})
    user = account_rows.set_disabled(service.engine, user_id, True)
    service.callers.forget(user_id)
    return _account_state_out(user)


@router.post("/users/{user_id}/enable")
def enable_account(user_id: int = Path(ge=1, le=MAX_ID), service: Service = Depends(get_service)):
    """Enable a disabled account again (it logs in anew: its old tokens stay ended)."""
    user = account_rows.set_disabled(service.engine, user_id, False)
    service.callers.forget(user_id)
    return _account_state_out(user)
