"""Issue 17 items 1 and 2: the notification outbox and its channels, against real local servers
(aiosmtpd, an HTTP SMS gateway, a Web Push endpoint that decrypts) - no mocks of the sending code."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from api_support import Fleet, local
from notify_support import *  # noqa: F401,F403 - fixtures channels, notify_api
from ride_pool.db.engine import read_session
from ride_pool.db.models import OutboxAttemptRow, OutboxRow
from ride_pool.dispatch.domain import Booking, BookingStatus, EventKind, Place
from ride_pool.dispatch.notices import pickup_watch

pytestmark = pytest.mark.database     # CI runs these again on PostgreSQL


def outbox_rows(api) -> list[OutboxRow]:
    with read_session(api.service.engine) as s:
        return list(s.scalars(select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.message_id)))


def attempts(api, message_id: str) -> list[OutboxAttemptRow]:
    with read_session(api.service.engine) as s:
        return list(s.scalars(select(OutboxAttemptRow).where(OutboxAttemptRow.message_id == message_id)
                              .order_by(OutboxAttemptRow.id)))


def book(api, fleet, headers, hour=11, **extra) -> dict:
    offer = api.offer(headers, fleet.stops[0], fleet.stops[1], pickup_after=local(0, hour).isoformat(), **extra)
    r = api.book(headers, offer["offer_id"], key=f"k-{hour}-{len(extra)}")
    assert r.status_code == 201, r.text
    return r.json()


def test_a_booking_writes_its_message_with_it_and_the_sender_mails_it(notify_api):
    api = notify_api
    fleet = Fleet(api)
    rider = api.register("anna@example.org")
    booking = book(api, fleet, rider)
    # written in the booking's transaction: there before any sender ran
    rows = outbox_rows(api)
    assert [(r.kind, r.booking_id, r.status) for r in rows] == [("booking_confirmed", booking["booking_id"],
                                                                 "pending")]
    assert api.service.sender.run_once() == 1
    mail = api.mailbox.wait_for("anna@example.org")[0]
    assert mail.subject == "Fahrt bestätigt"            # the profile's language: German by default
    assert "Coswig, Bahnhof" in mail.text and "Klipphausen, Zentrum" in mail.text and "Fahrpreis" in mail.text
    row = outbox_rows(api)[0]
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, api.clock())
    assert [(a.channel, a.outcome) for a in attempts(api, row.message_id)] == [("email", "sent")]
    # nothing is sent twice by later rounds
    assert api.service.sender.run_once() == 0
    assert len(api.mailbox.to("anna@example.org")) == 1


def test_sms_through_the_gateway_with_retries_and_back_off(notify_api):
    api = notify_api
    fleet = Fleet(api)
    rider = api.register("bert@example.org")
    r = api.put("/api/v1/me/profile", headers=rider, json={"channels": ["sms"], "phone": "+49 151 2345678",
                                                          "language": "en"})
    assert r.status_code == 200, r.text
    api.sms.statuses = [503, 500]        # the gateway fails twice
    book(api, fleet, rider)
    sender = api.service.sender
    assert sender.run_once() == 0
    row = outbox_rows(api)[0]
    assert (row.status, row.attempts, row.due_at) == ("pending", 1, api.clock() + 30)
    api.clock.advance(29)
    assert sender.run_once() == 0 and len(api.sms.requests) == 1       # not due yet
    api.clock.advance(1)
    assert sender.run_once() == 0
    row = outbox_rows(api)[0]
    assert (row.status, row.attempts, row.due_at) == ("pending", 2, api.clock() + 60)   # 30 s * 2
    api.clock.advance(60)
    assert sender.run_once() == 1
    delivered = api.sms.delivered()
    assert len(delivered) == 1
    sms = delivered[0]
    assert sms["json"]["to"] == "+49 151 2345678" and sms["json"]["from"] == "Rufbus"
    assert sms["json"]["text"].startswith("Your ride is booked")
    assert sms["json"]["reference"] == row.message_id == sms["headers"]["idempotency-key"]
    assert sms["headers"]["authorization"] == "Bearer gateway-token"
    outcomes = [(a.channel, a.outcome) for a in attempts(api, row.message_id)]
    assert outcomes == [("sms", "failed"), ("sms", "failed"), ("sms", "sent")]
    assert api.mailbox.to("bert@example.org") == []      # e-mail was not chosen


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_the_deployments_vapid_key(notify_api):
    api = notify_api
    fleet = Fleet(api)
    rider = api.register("carla@example.org")
    key = api.get("/api/v1/push/public-key").json()["public_key"]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65          # an uncompressed P-256 point
    assert api.get("/api/v1/push/public-key").json()["public_key"] == key     # kept per deployment
    r = api.post("/api/v1/me/push-subscriptions", headers=rider, json=api.push.subscription())
    assert r.status_code == 201, r.text
    assert api.get("/api/v1/me/profile", headers=rider).json()["channels"] == ["email", "push"]
    booking = book(api, fleet, rider)
    assert api.service.sender.run_once() == 1
    push = api.push.wait_for(1)[0]
    assert push["payload"]["booking_id"] == booking["booking_id"]
    assert push["payload"]["title"] == "Fahrt bestätigt" and push["payload"]["kind"] == "booking_confirmed"
    assert push["headers"]["content-encoding"] == "aes128gcm"
    vapid = push["headers"]["authorization"]
    assert vapid.startswith("vapid t=") and f"k={key}" in vapid
    # the JWT is signed with the deployment's key: verify it with the public key served
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    token = vapid.split("t=")[1].split(",")[0]
    head, claims, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), base64.urlsafe_b64decode(key + "=="))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(base64.urlsafe_b64decode(claims + "=="))["sub"] == "mailto:ops@example.org"
    assert len(api.mailbox.wait_for("carla@example.org")) == 1       # and the e-mail


def test_phone_bookings_text_the_caller_only_with_recorded_consent(notify_api):
    api = notify_api
    fleet = Fleet(api)
    op = fleet.operator
    for consent, phone in ((True, "0171 1111111"), (False, "0171 2222222")):
        body = {"origin": fleet.stops[0], "destination": fleet.stops[1], "caller_name": "Frau Schulze",
                "caller_phone": phone, "sms_consent": consent,
                "pickup_after": local(0, 11 if consent else 13).isoformat()}
        r = api.post("/api/v1/ops/quotes", headers=op, json=body)
        assert r.status_code == 200, r.text
        r = api.post("/api/v1/ops/bookings", headers=op, json={"offer_id": r.json()["offers"][0]["offer_id"]})
        assert r.status_code == 201 and r.json()["sms_consent"] is consent
    api.service.sender.run_once()
    assert [r["json"]["to"] for r in api.sms.delivered()] == ["0171 1111111"]
    statuses = sorted(r.status for r in outbox_rows(api))
    assert statuses == ["sent", "skipped"]
    listed = api.get("/api/v1/ops/outbox", headers=op).json()
    assert listed["counts"] == {"sent": 1, "skipped": 1}
    assert {m["status"]: [t["outcome"] for t in m["tries"]] for m in listed["messages"]} == \
        {"sent": ["sent"], "skipped": []}


def test_cancelled_by_the_operator_is_told_cancelled_by_the_rider_is_not(notify_api):
    api = notify_api
    fleet = Fleet(api)
    rider = api.register("dora@example.org")
    first, second = book(api, fleet, rider, hour=11), book(api, fleet, rider, hour=14)
    api.service.sender.run_once()
    assert api.post(f"/api/v1/ops/bookings/{first['booking_id']}/cancel", headers=fleet.operator).status_code == 200
    assert api.post(f"/api/v1/bookings/{second['booking_id']}/cancel", headers=rider).status_code == 200
    api.service.sender.run_once()
    subjects = [m.subject for m in api.mailbox.wait_for("dora@example.org", 3)]
    assert subjects == ["Fahrt bestätigt", "Fahrt bestätigt", "Fahrt abgesagt"]
    assert [r.booking_id for r in outbox_rows(api) if r.kind == "booking_cancelled"] == [first["booking_id"]]


def test_quiet_hours_hold_a_message_until_they_end_but_not_pickup_soon(notify_api):
    api = notify_api
    fleet = Fleet(api)
    rider = api.register("emil@example.org")
    r = api.put("/api/v1/me/profile", headers=rider, json={"quiet_from": "09:00", "quiet_until": "10:30"})
    assert r.status_code == 200, r.text
    booking = book(api, fleet, rider, hour=10)        # the clock is 09:00: quiet
    sender = api.service.sender
    assert sender.run_once() == 0
    row = outbox_rows(api)[0]
    assert (row.status, row.due_at, row.attempts) == ("pending", int(local(0, 10, 30).timestamp()), 0)
    # the live plan: about 10 minutes before the planned pickup, "pickup soon" goes out in quiet hours
    eta = api.service.dispatcher.eta(booking["booking_id"])["pickup"]
    api.clock.set(eta - 9 * 60)
    assert api.clock() < int(local(0, 10, 30).timestamp())
    assert sender.run_once() == 1
    mails = api.mailbox.wait_for("emil@example.org")
    assert [m.subject for m in mails] == ["Abholung in etwa 9 Minuten"]
    assert sender.run_once() == 0                     # told once
    # at 10:30 the quiet hours end; the vehicle has not moved (no driver reports), so the live
    # plan now puts the pickup after the promised window: "running late" goes out too, once
    api.clock.set(local(0, 10, 30))
    assert booking["pickup_latest"] < api.service.times.iso(api.service.dispatcher.eta(
        booking["booking_id"])["pickup"]).isoformat()
    assert sender.run_once() == 2
    subjects = sorted(m.subject for m in api.mailbox.wait_for("emil@example.org", 3)[1:])
    assert subjects == ["Fahrt bestätigt", "Ihr Rufbus verspätet sich"]
    assert sender.run_once() == 0


def test_running_late_and_pickup_soon_come_from_the_live_eta_once_per_booking():
    place = Place(node=1, lat=51.0, lon=13.0, name="Markt")
    b = Booking("b1", 7, place, place, 1, 0, pickup_earliest=1000, pickup_latest=2200, dropoff_latest=4000,
                max_ride_s=900, direct_s=600, direct_m=5000, requested_time=1000, status=BookingStatus.CONFIRMED,
                vehicle_id=3, created_at=0)
    told: set = set()
    eta = {"pickup": 2500, "shift_id": 9}
    # 2500 is beyond the window (2200): late; 2500 - 1900 = 600 s: pickup soon
    events = pickup_watch([b], lambda _: eta, 1900, told)
    assert [(e.kind, e.data.get("late_s"), e.data.get("minutes")) for e in events] == [
        (EventKind.PICKUP_DELAYED, 300, None), (EventKind.PICKUP_APPROACHING, None, 10)]
    assert pickup_watch([b], lambda _: eta, 1950, told) == []
    on_time = pickup_watch([b], lambda _: {"pickup": 2200}, 1000, set())
    assert on_time == []      # within the window and more than 10 minutes away: nothing


def test_the_optimiser_moving_a_booking_tells_the_rider(notify_api):
    """A background re-optimisation that moves a booking to another vehicle commits a
    ``booking_changed`` event; the rider gets "Fahrt geändert"."""
    from ride_pool.dispatch.domain import Event, NoticeKind
    from ride_pool.dispatch.notices import Notices
    event = Event(100, EventKind.BOOKING_CHANGED, "background_optimiser", booking_id="b1", rider_id=4,
                  data={"old": {"vehicle_id": 1}, "new": {"vehicle_id": 2, "pickup_earliest": 1000,
                                                         "pickup_latest": 2200}})
    message = Notices.message(NoticeKind.BOOKING_CHANGED, event, None)
    assert message.kind is NoticeKind.BOOKING_CHANGED and message.rider_id == 4
    assert message.data["new"]["vehicle_id"] == 2
    from ride_pool.api.notice_texts import render
    subject, text = render("booking_changed", message.data, "de")
    assert subject == "Fahrt geändert" and "Fahrzeug 2" in text


def test_profile_checks_its_input(notify_api):
    api = notify_api
    rider = api.register("fritz@example.org")
    for body, code in (({"channels": ["fax"]}, "notify_channel_unknown"), ({"channels": ["sms"]}, "sms_needs_phone"),
                       ({"quiet_from": "25:00", "quiet_until": "07:00"}, "quiet_hours_invalid"),
                       ({"quiet_from": "22:00"}, "quiet_hours_invalid"),
                       ({"needs": ["jetpack"]}, "need_unknown")):
        r = api.put("/api/v1/me/profile", headers=rider, json=body)
        assert r.status_code == 422 and r.json()["detail"]["code"] == code, (body, r.text)


@pytest.mark.parametrize("language,subject", [("de", "Fahrt abgesagt"), ("en", "Ride cancelled")])
def test_texts_in_both_languages(language, subject):
    from ride_pool.api.notice_texts import render
    got, text = render("booking_cancelled", {"pickup_earliest": 1_780_000_000, "origin": "Markt"}, language)
    assert got == subject and "Markt" in text


def test_deleting_the_account_erases_profile_push_and_series(notify_api):
    from ride_pool.db.models import PushSubscriptionRow, RiderProfile, RideSeries
    api = notify_api
    fleet = Fleet(api)
    rider = api.register("otto@example.org", password="otto-password")
    r = api.put("/api/v1/me/profile", headers=rider, json={"channels": ["sms"], "phone": "0171 999"})
    assert r.status_code == 200, r.text
    assert api.post("/api/v1/me/push-subscriptions", headers=rider, json=api.push.subscription()).status_code == 201
    r = api.post("/api/v1/series", headers=rider, json={"origin": fleet.stops[0], "destination": fleet.stops[1],
                                                       "weekdays": ["sat"], "pickup_time": "10:00",
                                                       "until": "2026-04-30"})
    assert r.status_code == 201, r.text
    assert api.post("/api/v1/me/delete", headers=rider, json={"password": "otto-password"}).status_code == 200
    with read_session(api.service.engine) as s:
        assert s.scalars(select(RiderProfile)).all() == []
        assert s.scalars(select(PushSubscriptionRow)).all() == []
        assert [x.status for x in s.scalars(select(RideSeries))] == ["ended"]
