"""The audit log (table ``audit_log``): who changed what and when, for the operators.

:func:`record` writes one entry, :func:`list_entries` reads them newest first. What goes into an
entry's ``details`` passes :func:`redact` first: passwords, secrets and tokens never reach the
table, and long values are cut (an entry describes a change, it does not copy uploads).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import AuditRow, User

#: parts of a key whose value is never written to the audit log
SECRET_KEY_PARTS = ("password", "secret", "token", "hash")
#: what stands in for a redacted or erased value
REDACTED = "***"
#: keys that hold a person's data; erased from the entries about an account when it is deleted
PERSONAL_KEYS = frozenset({"email", "name", "caller_name", "caller_phone", "phone", "rider_email", "driver_email"})
#: request bodies larger than this are described by their size only
MAX_BODY_BYTES = 64 * 1024
_MAX_TEXT = 200
_MAX_ITEMS = 20
_MAX_DEPTH = 4


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def redact(value: Any, depth: int = 0) -> Any:
    """``value`` (parsed JSON) fit for the audit log: secrets replaced by ``***``, texts cut to
    200 characters, lists longer than 20 items (a polygon) and deep nesting summarised."""
    if isinstance(value, dict):
        if depth >= _MAX_DEPTH:
            return f"<object with {len(value)} keys>"
        return {str(k): (REDACTED if is_secret_key(str(k)) else redact(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > _MAX_ITEMS or depth >= _MAX_DEPTH:
            return f"<list of {len(value)} items>"
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "…"
    return value


def summarise_body(raw: bytes, content_type: str, total_bytes: int) -> Any:
    """What an entry keeps of a request body: the JSON with secrets redacted (:func:`redact`);
    for other content (a stop file upload) or a large body only its type and size."""
    if not total_bytes:
        return None
    if content_type.split(";")[0].strip() == "application/json" and total_bytes <= MAX_BODY_BYTES:
        try:
            return redact(json.loads(raw))
        except ValueError:
            pass
    return {"content_type": content_type.split(";")[0].strip() or None, "bytes": total_bytes}


def erase_personal(value: Any) -> Any:
    """``value`` with every :data:`PERSONAL_KEYS` entry (at any depth) replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (REDACTED if k in PERSONAL_KEYS and v not in (None, "") else erase_personal(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [erase_personal(v) for v in value]
    return value


@dataclass(frozen=True)
class AuditEntry:
    id: int
    time: int
    actor_id: int | None
    actor_role: str
    actor_email: str | None
    action: str
    target_kind: str
    target_id: str | None
    details: dict


def record(engine: Engine, *, time: int, actor_id: int | None, actor_role: str, action: str, target_kind: str,
           target_id: str | int | None = None, details: dict | None = None) -> None:
    """Write one audit entry (its own transaction)."""
    with write_session(engine) as session:
        add_entry(session, time=time, actor_id=actor_id, actor_role=actor_role, action=action,
                  target_kind=target_kind, target_id=target_id, details=details)


def add_entry(session: Session, *, time: int, actor_id: int | None, actor_role: str, action: str,
              target_kind: str, target_id: str | int | None = None, details: dict | None = None) -> None:
    """:func:`record` inside a transaction the caller holds."""
    session.add(AuditRow(time=int(time), actor_id=actor_id, actor_role=actor_role[:16], action=action[:60],
                         target_kind=target_kind[:30], target_id=None if target_id is None else str(target_id)[:64],
                         details=redact(details or {})))


def list_entries(engine: Engine, *, since: int | None = None, until: int | None = None,
                 actor_id: int | None = None, target_kind: str | None = None, target_id: str | None = None,
                 before_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Entries newest first; ``before_id`` pages on (pass the last entry's id)."""
    query = (select(AuditRow, User.email).outerjoin(User, User.id == AuditRow.actor_id)
             .order_by(AuditRow.id.desc()).limit(limit))
    if since is not None:
        query = query.where(AuditRow.time >= since)
    if until is not None:
        query = query.where(AuditRow.time < until)
    if actor_id is not None:
        query = query.where(AuditRow.actor_id == actor_id)
    if target_kind is not None:
        query = query.where(AuditRow.target_kind == target_kind)
    if target_id is not None:
        query = query.where(AuditRow.target_id == target_id)
    if before_id is not None:
        query = query.where(AuditRow.id < before_id)
    with read_session(engine) as session:
        return [AuditEntry(row.id, row.time, row.actor_id, row.actor_role, email, row.action, row.target_kind,
                           row.target_id, row.details or {})
                for row, email in session.execute(query)]


def erase_account_details(session: Session, user_id: int) -> None:
    """Erase the personal data (e-mail, name, ...) of the entries about account ``user_id`` (its
    creation by an operator, changes of it); who did what and when stays."""
    rows = session.scalars(select(AuditRow).where(AuditRow.target_kind == "account",
                                                  AuditRow.target_id == str(user_id)))
    for row in rows:
        erased = erase_personal(row.details or {})
        if erased != row.details:
            row.details = erased
