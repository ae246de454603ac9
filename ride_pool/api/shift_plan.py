"""Operations API, the weekly shift plan (issue 15): templates such as Mon–Fri 05:00–13:00 and
12:30–20:30 with a 30-minute break, the shifts they ask for in the next weeks (a preview that
says which exist already or clash), and generating them.

``/api/v1/ops/shift-templates`` (GET, POST), ``/api/v1/ops/shift-templates/{id}`` (PATCH,
DELETE), ``/api/v1/ops/shift-templates/plan?weeks=N`` (GET), ``.../generate`` (POST)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from ride_pool.api.deps import get_service, operator_only
from ride_pool.api.ops import driver_account
from ride_pool.api.schemas import MAX_ID, Email, Strict
from ride_pool.api.service import Service
from ride_pool.api.shifts import plan_shift
from ride_pool.db import shift_templates as rows
from ride_pool.db.repository import Repository
from ride_pool.dispatch.errors import DispatchError
from ride_pool.dispatch.shift_plan import TemplateError, check_template, plan
from ride_pool.messages import msg

router = APIRouter(prefix="/api/v1/ops/shift-templates", tags=["operations"], dependencies=[Depends(operator_only)])

HHMM = Field(pattern=r"^\d\d:\d\d$", description="local time HH:MM")


class TemplateIn(Strict):
    vehicle_id: int = Field(ge=1, le=MAX_ID)
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 Monday .. 6 Sunday")
    start: str = HHMM
    end: str = HHMM
    break_start_earliest: str | None = Field(default=None, pattern=r"^\d\d:\d\d$")
    break_start_latest: str | None = Field(default=None, pattern=r"^\d\d:\d\d$")
    break_minutes: int = Field(default=0, ge=0, le=240)
    driver_email: Email | None = None


class TemplatePatch(Strict):
    vehicle_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    weekday: int | None = Field(default=None, ge=0, le=6)
    start: str | None = Field(default=None, pattern=r"^\d\d:\d\d$")
    end: str | None = Field(default=None, pattern=r"^\d\d:\d\d$")
    break_start_earliest: str | None = Field(default=None, pattern=r"^\d\d:\d\d$")
    break_start_latest: str | None = Field(default=None, pattern=r"^\d\d:\d\d$")
    break_minutes: int | None = Field(default=None, ge=0, le=240)
    driver_email: Email | None = None


class TemplateOut(BaseModel):
    id: int
    vehicle_id: int
    weekday: int
    start: str
    end: str
    break_start_earliest: str | None
    break_start_latest: str | None
    break_minutes: int
    driver_id: int | None


class PlannedOut(BaseModel):
    template_id: int
    vehicle_id: int
    label: str
    date: str
    start: str
    end: str
    break_start_earliest: str | None
    break_start_latest: str | None
    break_minutes: int
    driver_id: int | None
    #: "new", "exists", "clash", "past" (preview) or "created" (generate)
    status: str
    shift_id: int | None


def _invalid(exc: TemplateError):
    return HTTPException(422, detail={"code": "invalid_template",
                                      "message": msg("template_invalid", message=exc.message)})


def _vehicle(service: Service, vehicle_id: int):
    v = Repository(service.engine).get_vehicle(vehicle_id)
    if v is None:
        raise HTTPException(422, detail={"code": "unknown_vehicle", "message": msg("unknown_vehicle",
                                                                                  vehicle_id=vehicle_id)})
    return v


@router.get("", response_model=list[TemplateOut])
def templates(service: Service = Depends(get_service)):
    return rows.list_templates(service.engine)


@router.post("", status_code=201, response_model=list[TemplateOut])
def create_templates(body: TemplateIn, service: Service = Depends(get_service)):
    """One template per weekday of ``weekdays`` (e.g. [0, 1, 2, 3, 4] for Monday to Friday)."""
    _vehicle(service, body.vehicle_id)
    driver_id = driver_account(Repository(service.engine), body.driver_email, msg("no_driver_account"))
    made = []
    for day in sorted(set(body.weekdays)):
        t = {"vehicle_id": body.vehicle_id, "weekday": day, "start": body.start, "end": body.end,
             "break_start_earliest": body.break_start_earliest if body.break_minutes else None,
             "break_start_latest": body.break_start_latest if body.break_minutes else None,
             "break_minutes": body.break_minutes, "driver_id": driver_id}
        try:
            check_template(t)
        except TemplateError as exc:
            raise _invalid(exc) from None
        made.append(t)
    return rows.create_templates(service.engine, made)


@router.patch("/{template_id}", response_model=TemplateOut)
def update_template(body: TemplatePatch, template_id: int = Path(ge=1, le=MAX_ID),
                    service: Service = Depends(get_service)):
    """Change a template (the shifts already generated stay as they are; generate again for the
    weeks to come)."""
    current = rows.get_template(service.engine, template_id)
    if current is None:
        raise HTTPException(404, detail={"code": "not_found", "message": msg("template_unknown",
                                                                            template_id=template_id)})
    changes = {k: v for k, v in body.model_dump().items() if k in body.model_fields_set and k != "driver_email"}
    if "vehicle_id" in changes:
        _vehicle(service, changes["vehicle_id"])
    if "driver_email" in body.model_fields_set:
        changes["driver_id"] = driver_account(Repository(service.engine), body.driver_email,
                                              msg("no_driver_account"))
    new = {**current, **changes}
    if not new.get("break_minutes"):
        new.update(break_minutes=0, break_start_earliest=None, break_start_latest=None)
    try:
        check_template(new)
    except TemplateError as exc:
        raise _invalid(exc) from None
    return rows.update_template(service.engine, template_id, {k: new[k] for k in rows.FIELDS})


@router.delete("/{template_id}", status_code=204)
def delete_template(template_id: int = Path(ge=1, le=MAX_ID), service: Service = Depends(get_service)):
    if not rows.delete_template(service.engine, template_id):
        raise HTTPException(404, detail={"code": "not_found", "message": msg("template_unknown",
                                                                            template_id=template_id)})


def _planned(service: Service, weeks: int):
    d = service.dispatcher
    try:
        return plan(rows.list_templates(service.engine), list(d.shifts.values()), service.clock(), d.rules.timezone,
                    weeks)
    except TemplateError as exc:
        raise _invalid(exc) from None


def _out(service: Service, p, labels: dict) -> PlannedOut:
    iso = service.times.iso
    return PlannedOut(template_id=p.template_id, vehicle_id=p.vehicle_id, label=labels.get(p.vehicle_id, ""),
                      date=p.day.isoformat(), start=iso(p.start).isoformat(), end=iso(p.end).isoformat(),
                      break_start_earliest=iso(p.break_earliest).isoformat() if p.break_s else None,
                      break_start_latest=iso(p.break_latest).isoformat() if p.break_s else None,
                      break_minutes=p.break_s // 60, driver_id=p.driver_id, status=p.status, shift_id=p.shift_id)


def _labels(service: Service) -> dict:
    return {v.id: v.label for v in Repository(service.engine).list_vehicles()}


@router.get("/plan", response_model=list[PlannedOut])
def preview(weeks: int = Query(default=2, ge=1, le=8), service: Service = Depends(get_service)):
    """The shifts the templates ask for from today for ``weeks`` weeks, each with its status:
    ``new``, ``exists`` (planned already), ``clash`` (another shift of the vehicle overlaps) or
    ``past``."""
    labels = _labels(service)
    return [_out(service, p, labels) for p in _planned(service, weeks)]


class GenerateIn(Strict):
    weeks: int = Field(default=2, ge=1, le=8)


@router.post("/generate", response_model=list[PlannedOut])
def generate(body: GenerateIn, service: Service = Depends(get_service)):
    """Plan every ``new`` shift of the preview (the others are left as they are and listed with
    their status); each takes bookings at once."""
    repo = Repository(service.engine)
    labels = _labels(service)
    out = []
    for p in _planned(service, body.weeks):
        if p.status == "new":
            vehicle = repo.get_vehicle(p.vehicle_id)
            if vehicle is None or not vehicle.active:
                p.status = "clash"
            else:
                depot = service.dispatcher.place(vehicle.depot_lat, vehicle.depot_lon, name=f"Depot {vehicle.label}")
                try:
                    shift = plan_shift(service, vehicle, p.start, p.end, depot, driver_id=p.driver_id,
                                       break_earliest=p.break_earliest, break_latest=p.break_latest,
                                       break_s=p.break_s)
                    p.status, p.shift_id = "created", shift.shift_id
                except DispatchError:
                    p.status = "clash"
        out.append(_out(service, p, labels))
    return out
