"""What a rider reads: subject and text of each notification kind, in German and English.

SMS texts are the short form (one SMS, at most 160 characters where the names allow);
e-mail and push get the subject and the same text.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TEXTS = {
    "de": {
        "booking_confirmed": ("Fahrt bestätigt",
                              "Ihre Fahrt ist gebucht: {day} Abholung zwischen {from_} und {until} in {origin}, "
                              "Ziel {destination}.{fare}"),
        "booking_changed": ("Fahrt geändert",
                            "Ihre Fahrt am {day} hat sich geändert: Abholung jetzt zwischen {from_} und {until} "
                            "in {origin}{vehicle}."),
        "pickup_soon": ("Abholung in etwa {minutes} Minuten",
                        "Ihr Rufbus ist in etwa {minutes} Minuten in {origin} (gegen {eta})."),
        "running_late": ("Ihr Rufbus verspätet sich",
                         "Entschuldigung: Ihr Rufbus kommt später als zugesagt, voraussichtlich um {eta} in "
                         "{origin}."),
        "booking_cancelled": ("Fahrt abgesagt",
                              "Ihre Fahrt am {day} um {from_} ab {origin} wurde vom Betrieb abgesagt. "
                              "Bitte rufen Sie uns an oder buchen Sie neu."),
        "series_refused": ("Fahrt Ihrer Serie nicht gebucht",
                           "Ihre regelmäßige Fahrt am {day} um {time} ab {origin} konnte nicht gebucht werden "
                           "({reason}). Bitte rufen Sie uns an."),
        "connection_at_risk": ("Anschluss gefährdet",
                               "Ihr Rufbus erreicht {station} voraussichtlich erst um {eta}, Ihr Anschluss "
                               "{train} fährt um {departs}. Wir suchen eine Lösung; bitte rufen Sie uns an."),
        "fare": " Fahrpreis: {amount} €.",
        "vehicle": ", Fahrzeug {vehicle_id}",
    },
    "en": {
        "booking_confirmed": ("Ride confirmed",
                              "Your ride is booked: {day} pickup between {from_} and {until} at {origin}, "
                              "to {destination}.{fare}"),
        "booking_changed": ("Ride changed",
                            "Your ride on {day} has changed: pickup now between {from_} and {until} at "
                            "{origin}{vehicle}."),
        "pickup_soon": ("Pickup in about {minutes} minutes",
                        "Your bus will be at {origin} in about {minutes} minutes (around {eta})."),
        "running_late": ("Your bus is running late",
                         "Sorry: your bus is later than promised, expected at {eta} at {origin}."),
        "booking_cancelled": ("Ride cancelled",
                              "Your ride on {day} at {from_} from {origin} was cancelled by the operator. "
                              "Please call us or book again."),
        "series_refused": ("Ride of your series not booked",
                           "Your regular ride on {day} at {time} from {origin} could not be booked ({reason}). "
                           "Please call us."),
        "connection_at_risk": ("Connection at risk",
                               "Your bus is expected at {station} only at {eta}; your connection {train} leaves "
                               "at {departs}. We are looking for a solution; please call us."),
        "fare": " Fare: {amount} EUR.",
        "vehicle": ", vehicle {vehicle_id}",
    },
}


def render(kind: str, data: dict, language: str = "de", timezone: str = "Europe/Berlin") -> tuple[str, str]:
    """(subject, text) of a notification of ``kind`` with the message's ``data``."""
    texts = TEXTS.get(language, TEXTS["de"])
    tz = ZoneInfo(timezone)

    def hhmm(t) -> str:
        return "?" if t is None else datetime.fromtimestamp(int(t), tz).strftime("%H:%M")

    def day(t) -> str:
        return "?" if t is None else datetime.fromtimestamp(int(t), tz).strftime("%d.%m.")

    pickup = data.get("pickup_earliest")
    new = data.get("new") or {}
    if kind == "booking_changed" and new:
        pickup = new.get("pickup_earliest", pickup)
    values = {
        "day": day(pickup if pickup is not None else data.get("time")),
        "from_": hhmm(pickup),
        "until": hhmm(new.get("pickup_latest", data.get("pickup_latest")) if kind == "booking_changed"
                      else data.get("pickup_latest")),
        "origin": data.get("origin") or "?",
        "destination": data.get("destination") or "?",
        "eta": hhmm(data.get("eta")),
        "minutes": data.get("minutes", 10),
        "time": data.get("pickup_time") or hhmm(data.get("time")),
        "reason": data.get("reason") or data.get("cause") or "?",
        "fare": "",
        "vehicle": "",
        # a connection at risk (issue 18): the event's data is the connection with the expected drop-off
        "station": data.get("stop_name") or data.get("destination") or "?",
        "train": " ".join(str(x) for x in (data.get("route_name"), data.get("headsign")) if x) or "",
        "departs": hhmm(data.get("scheduled")),
    }
    if kind == "connection_at_risk":
        values["eta"] = hhmm(data.get("expected_dropoff"))
    if data.get("fare_cents") is not None:
        values["fare"] = texts["fare"].format(amount=f"{data['fare_cents'] / 100:.2f}".replace(
            ".", "," if language == "de" else "."))
    vehicle = new.get("vehicle_id") if new else None
    if vehicle is not None:
        values["vehicle"] = texts["vehicle"].format(vehicle_id=vehicle)
    subject, text = texts[kind]
    return subject.format(**values), text.format(**values)
