"""The audit log at the API's edge: :class:`AuditMiddleware` records every change an operator makes,
``GET /api/v1/ops/audit`` lists the entries.

One mechanism covers every endpoint, also those added later: any request with a changing method
(POST, PUT, PATCH, DELETE) under ``/api/v1/`` that an operator makes - the operations API, and
the rider and driver endpoints an operator may call (a cancellation, a report for a driver) - is
recorded with the acting account and role, the time (the service's clock), the action
(``"POST /api/v1/ops/shifts"``: method and route template), the target (its kind from the path,
its id from the path or, for a creation, from the answer), a summary of the request body with
passwords and secrets replaced by ``***`` (:func:`ride_pool.db.audit.redact`), and the status.

Only successful changes (2xx) are recorded: a refused request changed nothing, and recording
every refusal would let anybody with an operator token fill the log. Quotes change nothing and
are not recorded. The entry is written before the answer leaves (the middleware holds the answer
back for that one database write), so a client that saw its change succeed finds it in the log.
A rider's own account deletion is recorded by its endpoint (``ride_pool.api.privacy``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ride_pool.api.deps import get_service, operator_only
from ride_pool.api.schemas import MAX_ID
from ride_pool.api.service import Service
from ride_pool.db import audit
from ride_pool.db.repository import Repository
from ride_pool.messages import msg

log = logging.getLogger(__name__)

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the first path segment after ``/api/v1/`` (``ops/``, ``driver/``) -> what kind of thing changes
TARGET_KINDS = {"vehicles": "vehicle", "shifts": "shift", "shift": "shift", "stops": "stop",
                "service-area": "rules", "users": "account", "bookings": "booking", "location": "shift",
                "me": "account", "auth": "account"}
#: routes that change nothing (a quote only answers) and are not recorded
NOT_CHANGES = ("/quotes",)
#: answer bodies larger than this are not read for the id of what was created
_MAX_ANSWER_BYTES = 64 * 1024


def target_of(template: str, path_params: dict, answer: dict | None) -> tuple[str, str | None]:
    """(target kind, target id) of a request to route ``template``: the kind from the path, the id
    from its first path parameter or, for a creation, from the answer (``id``, ``booking_id``)."""
    parts = [p for p in template.removeprefix("/api/v1/").split("/") if p]
    if parts and parts[0] in ("ops", "driver"):
        parts = parts[1:]
    kind = TARGET_KINDS.get(parts[0], parts[0]) if parts else "service"
    if "report" in path_params or (parts and parts[0] == "bookings" and "booking_id" in path_params):
        kind = "booking"
    for value in path_params.values():
        return kind, str(value)
    if isinstance(answer, dict):
        for key in ("id", "booking_id"):
            if answer.get(key) is not None:
                return kind, str(answer[key])
    return kind, None


class AuditMiddleware:
    """ASGI middleware that writes the audit entry of each successful operator change (see the
    module docstring). The caller is what ``deps.current_caller`` put into the request state."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in CHANGING_METHODS \
                or not scope["path"].startswith("/api/v1/") or scope["path"].endswith(NOT_CHANGES):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        chunks: list[bytes] = []
        size = 0

        async def receive_and_keep():
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                size += len(body)
                if size <= audit.MAX_BODY_BYTES:
                    chunks.append(body)
            return message

        held: list[dict] = []        # the answer, held back until its entry is written
        answer: list[bytes] = []

        async def send_after_recording(message):
            if not held and message["type"] == "http.response.start":
                caller = state.get("caller")
                if not (200 <= message["status"] < 300 and caller is not None and caller.role == "operator"):
                    held.append({"pass": True})
                    await send(message)
                    return
                held.append(message)
                return
            if held and held[0].get("pass"):
                await send(message)
                return
            if message["type"] == "http.response.body":
                answer.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._record(scope, state["caller"], held[0]["status"], b"".join(chunks), size,
                                       b"".join(answer))
                    await send(held[0])
                    await send({"type": "http.response.body", "body": b"".join(answer)})
                return
            await send(message)

        await self.app(scope, receive_and_keep, send_after_recording)

    async def _record(self, scope, caller, status: int, body: bytes, size: int, answer: bytes) -> None:
        service = scope["app"].state.service
        route = scope.get("route")
        template = getattr(route, "path", scope["path"])
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        parsed_answer = None
        if len(answer) <= _MAX_ANSWER_BYTES:
            try:
                parsed_answer = json.loads(answer) if answer else None
            except ValueError:
                parsed_answer = None
        path_params = scope.get("path_params") or {}
        kind, target_id = target_of(template, path_params, parsed_answer)
        details = {"path": scope["path"], "status": status,
                   "body": audit.summarise_body(body, content_type, size)}
        if isinstance(parsed_answer, dict) and template.endswith("/import"):
            details["result"] = parsed_answer
        try:
            await run_in_threadpool(audit.record, service.engine, time=service.clock(), actor_id=caller.user_id,
                                    actor_role=caller.role, action=f"{scope['method']} {template}",
                                    target_kind=kind, target_id=target_id, details=details)
        except Exception:   # the change is made; a lost entry must not turn it into an error
            log.exception("could not write the audit entry of %s %s", scope["method"], scope["path"])


# ------------------------------------------------------------------ listing
router = APIRouter(prefix="/api/v1/ops", tags=["operations"], dependencies=[Depends(operator_only)])


class AuditEntryOut(BaseModel):
    id: int
    time: datetime
    actor_id: int | None
    actor_role: str
    actor_email: str | None
    action: str
    target_kind: str
    target_id: str | None
    details: dict


def _time(service: Service, value: str | None, name: str) -> int | None:
    if not value:
        return None
    try:
        return service.times.epoch(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        raise HTTPException(422, detail={"code": "invalid_request", "message": msg("not_iso_time", name=name)}) \
            from None


@router.get("/audit", response_model=list[AuditEntryOut])
def audit_log(since: str | None = Query(default=None, description="ISO 8601; entries at or after it"),
              until: str | None = Query(default=None, description="ISO 8601; entries before it"),
              actor: str | None = Query(default=None, max_length=320, description="the acting account: id or e-mail"),
              target_kind: str | None = Query(default=None, max_length=30,
                                              description="booking, shift, rules, stop, vehicle, account"),
              target_id: str | None = Query(default=None, max_length=64),
              before_id: int | None = Query(default=None, ge=1, description="page on: the last id of the page before"),
              limit: int = Query(default=100, ge=1, le=500),
              service: Service = Depends(get_service)) -> list[AuditEntryOut]:
    """Operator changes (and account deletions), newest first."""
    if before_id is not None and before_id > MAX_ID:     # every id lies before it: no bound (the database
        before_id = None                                  # refuses numbers past its integer range)
    actor_id = None
    if actor:
        if actor.strip().isdigit():
            actor_id = int(actor)
            if actor_id > MAX_ID:
                return []
        else:
            user = Repository(service.engine).get_user_by_email(actor)
            if user is None:
                return []
            actor_id = user.id
    entries = audit.list_entries(service.engine, since=_time(service, since, "since"),
                                 until=_time(service, until, "until"), actor_id=actor_id, target_kind=target_kind,
                                 target_id=target_id, before_id=before_id, limit=limit)
    iso = service.times.iso
    return [AuditEntryOut(id=e.id, time=iso(e.time), actor_id=e.actor_id, actor_role=e.actor_role,
                          actor_email=e.actor_email, action=e.action, target_kind=e.target_kind,
                          target_id=e.target_id, details=e.details) for e in entries]
