"""The weekly shift plan as stored: one row per vehicle, weekday and shift (``shift_templates``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import ShiftTemplate

#: the columns an operator may change
FIELDS = ("vehicle_id", "weekday", "start", "end", "break_start_earliest", "break_start_latest", "break_minutes",
          "driver_id")


def template_dict(row: ShiftTemplate) -> dict:
    return {"id": row.id, **{name: getattr(row, name) for name in FIELDS}}


def list_templates(engine: Engine) -> list[dict]:
    with read_session(engine) as session:
        rows = session.scalars(select(ShiftTemplate).order_by(ShiftTemplate.weekday, ShiftTemplate.start,
                                                              ShiftTemplate.vehicle_id, ShiftTemplate.id))
        return [template_dict(r) for r in rows]


def get_template(engine: Engine, template_id: int) -> dict | None:
    with read_session(engine) as session:
        row = session.get(ShiftTemplate, template_id)
        return None if row is None else template_dict(row)


def create_templates(engine: Engine, rows: list[dict]) -> list[dict]:
    """Store ``rows`` (dicts of :data:`FIELDS`) in one transaction; returns them with their ids."""
    with write_session(engine) as session:
        made = [ShiftTemplate(**{k: r.get(k) for k in FIELDS}) for r in rows]
        for m in made:
            if m.break_minutes is None:
                m.break_minutes = 0
        session.add_all(made)
        session.flush()
        return [template_dict(m) for m in made]


def update_template(engine: Engine, template_id: int, changes: dict) -> dict | None:
    with write_session(engine) as session:
        row = session.get(ShiftTemplate, template_id)
        if row is None:
            return None
        for k, v in changes.items():
            if k in FIELDS:
                setattr(row, k, v)
        session.flush()
        return template_dict(row)


def delete_template(engine: Engine, template_id: int) -> bool:
    with write_session(engine) as session:
        row = session.get(ShiftTemplate, template_id)
        if row is None:
            return False
        session.delete(row)
        return True
