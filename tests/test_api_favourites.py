"""Issue 16 item 7: a rider's favourite places kept with the account (``/api/v1/favourites``):
saved under a name, replaced by saving the name again, deleted; only the rider's own; in the data
export and erased with the account."""

from __future__ import annotations

from sqlalchemy import func, select

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import Fleet, assert_problem
from ride_pool.db.engine import read_session
from ride_pool.db.models import FavouritePlace

PASSWORD = "Dorfstrasse-zwoelf"
DOCTOR = {"name": "Arzt", "label": "Arztpraxis Coswig (synthetisch)", "lat": 51.1262, "lon": 13.5845}
HOME = {"name": "Zuhause", "label": "Dorfstraße 12, Krögis", "lat": 51.1335, "lon": 13.5790}


def test_a_rider_keeps_favourite_places(api):
    Fleet(api)
    erika = api.register("erika@example.org", PASSWORD)
    assert api.get("/api/v1/favourites", headers=erika).json() == []
    r = api.post("/api/v1/favourites", headers=erika, json=DOCTOR)
    assert r.status_code == 201, r.text
    doctor = r.json()
    assert {k: doctor[k] for k in DOCTOR} == DOCTOR and doctor["stop_id"] is None
    api.post("/api/v1/favourites", headers=erika, json=HOME)
    names = [f["name"] for f in api.get("/api/v1/favourites", headers=erika).json()]
    assert names == ["Arzt", "Zuhause"]
    # the same name again: the place changes, the favourite stays one
    moved = api.post("/api/v1/favourites", headers=erika, json={**DOCTOR, "label": "Arztpraxis Meißen",
                                                                "lat": 51.163, "lon": 13.474}).json()
    assert moved["id"] == doctor["id"] and moved["label"] == "Arztpraxis Meißen"
    assert len(api.get("/api/v1/favourites", headers=erika).json()) == 2
    # another rider neither sees nor deletes them
    fritz = api.register("fritz@example.org", PASSWORD)
    assert api.get("/api/v1/favourites", headers=fritz).json() == []
    assert_problem(api.client.delete(f"/api/v1/favourites/{doctor['id']}", headers=fritz), 404, "not_found")
    assert api.client.delete(f"/api/v1/favourites/{doctor['id']}", headers=erika).status_code == 204
    assert [f["name"] for f in api.get("/api/v1/favourites", headers=erika).json()] == ["Zuhause"]
    # riders only; a point outside the service area is refused like a quote's
    assert_problem(api.get("/api/v1/favourites", headers=api.operator), 403, "forbidden")
    assert_problem(api.get("/api/v1/favourites"), 401)
    assert_problem(api.post("/api/v1/favourites", headers=erika, json={**HOME, "lat": 48.1, "lon": 11.5}), 422,
                   "outside_service_area")
    assert_problem(api.post("/api/v1/favourites", headers=erika, json={**HOME, "name": "=HYPERLINK(1)\x00"}), 422)


def test_favourites_are_exported_and_erased_with_the_account(api):
    Fleet(api)
    erika = api.register("erika@example.org", PASSWORD)
    api.post("/api/v1/favourites", headers=erika, json=DOCTOR)
    export = api.get("/api/v1/me/export", headers=erika).json()
    assert [f["label"] for f in export["favourites"]] == [DOCTOR["label"]]
    assert api.post("/api/v1/me/delete", headers=erika, json={"password": PASSWORD}).status_code == 200
    with read_session(api.service.engine) as s:
        assert s.scalar(select(func.count()).select_from(FavouritePlace)) == 0


def test_at_most_twenty_favourites(api):
    Fleet(api)
    erika = api.register("erika@example.org", PASSWORD)
    for n in range(20):
        assert api.post("/api/v1/favourites", headers=erika, json={**HOME, "name": f"Ort {n}"}).status_code == 201
    r = api.post("/api/v1/favourites", headers=erika, json={**HOME, "name": "Ort 21"})
    assert_problem(r, 409, "too_many_favourites")
    assert api.post("/api/v1/favourites", headers=erika, json={**HOME, "name": "Ort 3"}).status_code == 201
