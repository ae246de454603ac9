"""Catalogue entries of the operator control room (issue 15): moving, re-timing, breakdowns,
shift changes, the weekly shift plan and German stop files. Merged into
:data:`ride_pool.message_catalogue.CATALOGUE` (same form: key -> (German, English))."""

from __future__ import annotations

OPS_ROOM: dict[str, tuple[str, str]] = {
    # moving and re-timing bookings
    "booking_already_boarded": ("Die Buchung {booking_id} ist schon eingestiegen; sie lässt sich nicht mehr "
                                "verschieben.", "booking {booking_id} has already boarded; it cannot be moved"),
    "booking_not_open": ("Die Buchung {booking_id} ist {status}; sie lässt sich nicht mehr ändern.",
                         "booking {booking_id} is {status}; it can no longer change"),
    "promise_cannot_be_kept": ("Die Buchung {booking_id} passt nicht auf {label} (Schicht {shift_id}), ohne ihr "
                               "zugesagtes Zeitfenster zu brechen: {why}",
                               "booking {booking_id} does not fit {label} (shift {shift_id}) without breaking its "
                               "promised window: {why}"),
    "why_too_small": ("das Fahrzeug hat {seats} Sitz- und {wheelchairs} Rollstuhlplätze",
                      "the vehicle has {seats} seats and {wheelchairs} wheelchair places"),
    "why_outside_shift": ("die Schicht dauert nur von {start} bis {end} Uhr", "the shift only runs from {start} to "
                          "{end}"),
    "why_route_full": ("zwischen {earliest} und {latest} Uhr ist auf dieser Fahrt kein Platz mehr",
                       "there is no room on this route between {earliest} and {latest}"),
    "retime_one_time": ("Bitte geben Sie genau eine neue Zeit an: Abholzeit (pickup_after) oder Ankunftszeit "
                        "(arrive_by).", "give exactly one new time: pickup_after or arrive_by"),
    "retime_in_the_past": ("Die neue Abholzeit liegt in der Vergangenheit.", "the new pickup time is in the past"),
    "retime_outside_hours": ("Die neue Zeit liegt außerhalb der Betriebszeiten.",
                             "the new time is outside the operating hours"),
    "retime_does_not_fit": ("Für die Buchung {booking_id} ist zwischen {earliest} und {latest} Uhr in keinem "
                            "Fahrzeug Platz; die bisherige Zusage bleibt bestehen.",
                            "no vehicle has room for booking {booking_id} between {earliest} and {latest}; the "
                            "old promise stands"),
    "breakdown_place": ("Pannenort {label}", "breakdown of {label}"),
    # shifts that follow reality
    "shift_started_start_fixed": ("Die Schicht {shift_id} läuft schon; ihr Beginn lässt sich nicht mehr ändern, "
                                  "nur ihr Ende.", "shift {shift_id} is running; only its end can change"),
    "stops_do_not_fit": ("Mit Ende {end} Uhr passen diese Buchungen der Schicht {shift_id} nicht mehr: "
                         "{bookings}. Verschieben Sie sie zuerst auf ein anderes Fahrzeug.",
                         "with the end at {end}, these bookings of shift {shift_id} no longer fit: {bookings}; "
                         "move them to another vehicle first"),
    "invalid_template": ("Die Schichtvorlage passt nicht.", "the shift template does not fit"),
    "template_invalid": ("Schichtvorlage: {message}", "shift template: {message}"),
    "template_weekday": ("Wochentag muss 0 (Montag) bis 6 (Sonntag) sein", "weekday must be 0 (Monday) to 6 "
                         "(Sunday)"),
    "template_time": ("{what}: Uhrzeit im Format HH:MM erwartet, nicht {got}", "{what}: expected a time HH:MM, "
                      "not {got}"),
    "template_order": ("Ende ({end}) muss nach Beginn ({start}) liegen", "end ({end}) must be after start "
                       "({start})"),
    "template_unknown": ("Die Schichtvorlage {template_id} gibt es nicht.", "shift template {template_id} does not "
                         "exist"),
    "template_weeks": ("Wochen: 1 bis 8", "weeks: 1 to 8"),
    # operating hours
    "rule_hours_overlap": ("operating_hours.{day}: Die Zeiträume überschneiden sich.",
                           "operating_hours.{day}: the intervals overlap"),
    "rule_holidays_form": ("Feiertage müssen eine Liste von Tagen (JJJJ-MM-TT) sein, z. B. ['2026-12-25'].",
                           "holidays must be a list of dates (YYYY-MM-DD), e.g. ['2026-12-25']"),
    "rule_holiday_date": ("Feiertage: {got} ist kein gültiges Datum; bitte TT.MM.JJJJ, z. B. 25.12.2026.",
                          "holidays: {got} is not a valid date; use DD.MM.YYYY, e.g. 25.12.2026"),
    # German stop files
    "stop_file_line": ("Zeile {line}: {message}", "line {line}: {message}"),
    "stop_file_no_header": ("Die Kopfzeile braucht die Spalten Haltestelle (oder Name), Breite (oder Lat) und "
                            "Länge (oder Lon); gefunden: {found}",
                            "the header needs the columns Haltestelle (or name), Breite (or lat) and Länge (or "
                            "lon); found: {found}"),
    "stop_file_bad_number": ("{column} ist keine Zahl: {value}", "{column} is not a number: {value}"),
    "stop_file_range": ("{column} {value} liegt außerhalb von ±{limit} Grad", "{column} {value} is outside "
                        "±{limit} degrees"),
    "stop_file_missing_name": ("Name der Haltestelle fehlt", "the stop's name is missing"),
    "stop_file_columns": ("{found} Spalten statt {expected}", "{found} columns instead of {expected}"),
    "stop_file_duplicate": ("Kennung {code} kommt schon in Zeile {first} vor", "id {code} already occurs in line "
                            "{first}"),
    "stop_file_encoding": ("Die Datei ist weder UTF-8 noch Windows-1252 kodiert.", "the file is neither UTF-8 nor "
                           "Windows-1252 encoded"),
    "stop_file_has_errors": ("Die Datei hat {count} fehlerhafte Zeilen; es wurde nichts gespeichert.",
                             "the file has {count} faulty lines; nothing was saved"),
}
