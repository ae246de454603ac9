"""The server's message catalogue: key -> (German template, English template).

Keys are the error and refusal codes the API answers with (``detail.code``) and, where one code
covers many situations (``conflict``, ``invalid_request``, ``not_found``), the key of the exact
situation. Templates name their parameters (``{shift_id}``); see :mod:`ride_pool.messages`.
German is the default language. ``tests/test_messages.py`` walks the source for codes and keys and
fails on a missing entry or on English words left in a German text.
"""

from __future__ import annotations

#: request fields riders meet, in words (other fields are named as the API spells them)
FIELDS = {
    "origin": ("Start", "origin"),
    "destination": ("Ziel", "destination"),
    "pickup_after": ("Abholzeit (pickup_after)", "pickup_after"),
    "arrive_by": ("Ankunftszeit (arrive_by)", "arrive_by"),
}

CATALOGUE: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ generic codes of the API
    "bad_request": ("Die Anfrage ist fehlerhaft.", "the request is malformed"),
    "not_authenticated": ("Bitte melden Sie sich an.", "log in first"),
    "forbidden": ("Dafür fehlt Ihrem Konto die Berechtigung.", "your account may not do this"),
    "not_found": ("Das wurde nicht gefunden.", "not found"),
    "method_not_allowed": ("Diese Methode ist hier nicht erlaubt.", "this method is not allowed here"),
    "not_acceptable": ("Diese Antwortform kann der Server nicht liefern.", "the server cannot answer in this form"),
    "conflict": ("Das geht gerade nicht.", "this does not fit the current state"),
    "too_large": ("Die Anfrage ist zu groß.", "the request is too large"),
    "unsupported_media_type": ("Diese Datenform nimmt der Server nicht an.", "the server does not accept this "
                               "media type"),
    "invalid_request": ("Bitte prüfen Sie Ihre Eingaben.", "check the values of the request"),
    "too_many_requests": ("Zu viele Anfragen; bitte warten Sie etwas.", "too many requests; wait a little"),
    "error": ("Das hat nicht geklappt.", "the request failed"),
    "no_route": ("Diese Adresse gibt es nicht: {method} {path}; die Schnittstelle ist unter /docs beschrieben.",
                 "there is no {method} {path}; see /docs for the API"),
    "wrong_method": ("{path} nimmt {method} nicht an; die Schnittstelle ist unter /docs beschrieben.",
                     "{path} does not accept {method}; see /docs for the API"),
    "value_not_storable": ("Ein Wert der Anfrage lässt sich nicht speichern (eine zu große Zahl oder ein Text "
                           "mit Steuerzeichen); bitte prüfen Sie die Werte und senden Sie die Anfrage erneut.",
                           "a value in the request cannot be stored (a number too large or a text with control "
                           "characters); check the values and send the request again"),
    "internal_error": ("Auf dem Server ist ein Fehler aufgetreten (er ist protokolliert). Bitte versuchen Sie es "
                       "erneut und sagen Sie der Disposition Bescheid, wenn es wieder passiert.",
                       "the server failed to handle this request (the error is logged); try again, and tell the "
                       "operator if it keeps failing"),
    "database_not_writable": ("Die Datenbank nimmt keine Änderungen an (Speicher voll, nur lesbar oder nicht "
                              "erreichbar). Bitte versuchen Sie es später erneut.",
                              "the database does not accept writes (disk full, read-only or unreachable); try "
                              "again later"),
    "field_message": ("{field}: {message}", "{field}: {message}"),
    "invalid_json": ("Der Inhalt der Anfrage ist kein gültiges JSON: {detail}",
                     "the request body is not valid JSON: {detail}"),
    # request validation (pydantic's error types)
    "v_missing": ("Angabe fehlt", "Field required"),
    "v_extra_forbidden": ("unbekanntes Feld", "Extra inputs are not permitted"),
    "v_int": ("ganze Zahl erwartet", "Input should be a valid integer"),
    "v_float": ("Zahl erwartet", "Input should be a valid number"),
    "v_bool": ("ja oder nein (true/false) erwartet", "Input should be a valid boolean"),
    "v_string": ("Text erwartet", "Input should be a valid string"),
    "v_too_short": ("zu kurz (mindestens {min_length})", "too short (at least {min_length})"),
    "v_too_long": ("zu lang (höchstens {max_length})", "too long (at most {max_length})"),
    "v_greater_equal": ("muss mindestens {ge} sein", "Input should be greater than or equal to {ge}"),
    "v_less_equal": ("darf höchstens {le} sein", "Input should be less than or equal to {le}"),
    "v_greater": ("muss größer als {gt} sein", "Input should be greater than {gt}"),
    "v_less": ("muss kleiner als {lt} sein", "Input should be less than {lt}"),
    "v_pattern": ("hat nicht die erwartete Form", "String should match pattern '{pattern}'"),
    "v_datetime": ("Zeitpunkt erwartet (ISO 8601, z. B. 2026-03-03T09:00:00+01:00)",
                   "Input should be a valid datetime"),
    "v_email": ("keine gültige E-Mail-Adresse", "value is not a valid email address"),
    "v_enum": ("unzulässiger Wert (erlaubt: {expected})", "Input should be {expected}"),
    "v_other": ("unzulässiger Wert ({detail})", "{detail}"),
    # ------------------------------------------------------------------ bookings and offers
    "status_confirmed": ("bestätigt", "confirmed"),
    "status_onboard": ("unterwegs (eingestiegen)", "onboard"),
    "status_completed": ("abgeschlossen", "completed"),
    "status_cancelled": ("storniert", "cancelled"),
    "status_no_show": ("nicht erschienen", "no_show"),
    "status_refused": ("abgelehnt", "refused"),
    "channel_app": ("App", "app"),
    "channel_phone": ("Telefon", "phone"),
    "channel_simulation": ("Simulation", "simulation"),
    "booking_unknown": ("Die Buchung {booking_id} ist nicht bekannt.", "booking {booking_id} is not known"),
    "idempotency_key_reused": ("Der Idempotency-Key {key} wurde schon für eine andere Buchungsanfrage verwendet "
                               "(Buchung {booking_id}); senden Sie für eine neue Buchung einen neuen Schlüssel.",
                               "the Idempotency-Key {key} was already used for another booking request (booking "
                               "{booking_id}); send a new key for a new booking"),
    "offer_unknown": ("Das Angebot {offer_id} ist nicht (mehr) bekannt; bitte fragen Sie neu an.",
                      "offer {offer_id} is not known; ask for a new quote"),
    "offer_not_known": ("Das Angebot {offer_id} ist nicht bekannt.", "offer {offer_id} is not known"),
    "offer_already_booked": ("Das Angebot {offer_id} wurde schon gebucht (Buchung {booking_id}).",
                             "offer {offer_id} has already been booked as booking {booking_id}"),
    "offer_expired": ("Das Angebot ist abgelaufen; bitte fragen Sie neu an.",
                      "the offer has expired; ask for a new quote"),
    "offer_no_longer_available": ("Eine andere Buchung hat den Platz bekommen, den dieses Angebot brauchte; bitte "
                                  "fragen Sie neu an.",
                                  "another booking took the place this offer needed; ask for a new quote"),
    "booking_not_cancellable": ("Die Buchung {booking_id} ist {status} und kann nicht mehr storniert werden.",
                                "booking {booking_id} is {status} and can no longer be cancelled"),
    "booking_not_planned": ("Die Buchung {booking_id} ist auf keinem Fahrzeug eingeplant.",
                            "booking {booking_id} is not planned on any vehicle"),
    "booking_on_other_vehicle": ("Die Buchung {booking_id} ist auf einem anderen Fahrzeug eingeplant, nicht in "
                                 "Schicht {shift_id}.",
                                 "booking {booking_id} is planned on another vehicle, not on shift {shift_id}"),
    "restore_needs_fresh": ("Die Wiederherstellung braucht einen frischen Disponenten.",
                            "restore() needs a fresh dispatcher"),
    "booking_not_yours": ("Sie haben keine Buchung {booking_id}.", "you have no booking {booking_id}"),
    # ------------------------------------------------------------------ refusals of quotes (RejectCause)
    "outside_service_area": ("Dieser Ort liegt außerhalb des Bediengebiets.", "the place lies outside the "
                             "service area"),
    "same_place": ("Start und Ziel sind derselbe Ort; bitte wählen Sie ein anderes Ziel.",
                   "origin and destination are the same place; choose a different destination"),
    "destination_unreachable": ("Das Ziel ist vom Start aus innerhalb des Bediengebiets nicht auf der Straße zu "
                                "erreichen.",
                                "the destination cannot be reached by road from the origin within the service area"),
    "outside_operating_hours": ("Die Fahrt liegt außerhalb der Betriebszeiten ({hours}).",
                                "the trip lies outside the operating hours ({hours})"),
    "min_lead_time": ("Fahrten müssen mindestens {lead} im Voraus gebucht werden; bitte wählen Sie eine spätere "
                      "Zeit.", "pickups must be booked at least {lead} ahead; choose a later time"),
    "booking_horizon": ("Fahrten können höchstens {horizon} im Voraus gebucht werden; bitte wählen Sie einen "
                        "früheren Tag.", "pickups can be booked at most {horizon} ahead; choose an earlier day"),
    "in_the_past": ("Die gewünschte Zeit ist schon vorbei; bitte wählen Sie eine spätere Zeit.",
                    "the requested time has already passed; choose a later time"),
    "arrival_in_the_past": ("Die Ankunftszeit ist schon vorbei; bitte wählen Sie eine spätere Zeit.",
                            "the arrival time has already passed; choose a later time"),
    "arrival_too_soon": ("Für eine Ankunft bis {at} Uhr müsste die Abholung vor jetzt liegen; Fahrten müssen "
                         "mindestens {lead} im Voraus gebucht werden, bitte wählen Sie eine spätere Ankunft.",
                         "arriving by {at} would need a pickup before now; pickups must be booked at least {lead} "
                         "ahead, so choose a later arrival"),
    "early_morning_cutoff": ("Fahrten vor {before} Uhr müssen bis {book_by} Uhr am Vorabend gebucht werden; bitte "
                             "wählen Sie eine spätere Zeit oder rufen Sie die Disposition an.",
                             "trips before {before} must be booked by {book_by} the evening before; choose a later "
                             "time or call the operator"),
    "max_active_bookings": ("Sie haben schon {active} offene Buchungen, mehr sind nicht möglich; stornieren Sie "
                            "eine oder warten Sie, bis eine Fahrt vorbei ist.",
                            "you already have {active} open bookings, the most allowed; cancel one or wait until a "
                            "ride is done"),
    "max_seats_per_rider": ("Ein Konto kann für höchstens {most} Personen gleichzeitig buchen, und Ihre offenen "
                            "Buchungen sind schon für {held}; buchen Sie für weniger Personen oder fragen Sie die "
                            "Disposition nach einer Gruppenfahrt.",
                            "one account can book for at most {most} people at a time and your open bookings are "
                            "for {held}; book for fewer people, or ask the operator for a larger group"),
    "account_unconfirmed_limit": ("Solange Ihr Konto nicht bestätigt ist, können Sie {bookings} für höchstens "
                                  "{people} gleichzeitig haben; bestätigen Sie Ihre E-Mail-Adresse mit dem Code, "
                                  "den wir Ihnen geschickt haben (oder bitten Sie die Disposition, Ihr Konto zu "
                                  "bestätigen).",
                                  "until your account is confirmed you can hold {bookings} for at most {people} at a "
                                  "time; confirm your e-mail address with the code we sent you (or ask the operator "
                                  "to confirm your account)"),
    "no_show_limit": ("Nach {limit} verpassten Abholungen können Fahrten nur noch telefonisch bei der Disposition "
                      "gebucht werden.",
                      "after {limit} missed pickups, rides can only be booked by phone with the operator"),
    "too_many_passengers": ("Zu viele Fahrgäste für eine Buchung.", "too many passengers for one booking"),
    "no_vehicle_fits": ("Kein Fahrzeug hat Platz für {passengers} Fahrgäste mit {wheelchairs} Rollstühlen; bitte "
                        "teilen Sie die Gruppe auf oder rufen Sie die Disposition an.",
                        "no vehicle has room for {passengers} passengers with {wheelchairs} wheelchairs; split the "
                        "group or call the operator"),
    "no_vehicle_available": ("Um diese Zeit kann kein Fahrzeug diese Fahrt übernehmen; bitte versuchen Sie eine "
                             "andere Zeit.", "no vehicle can make this trip around that time; try another time"),
    # why the offered time is what it is (quote.time_reason)
    "earliest_lead_time": ("Fahrten müssen mindestens {lead} im Voraus gebucht werden; früher geht es nicht.",
                           "pickups must be booked at least {lead} ahead; this is the earliest possible"),
    "earliest_operating_hours": ("Der Rufbus fährt erst wieder ab {at} (Betriebszeiten: {hours}).",
                                 "the service runs again from {at} (operating hours: {hours})"),
    "earliest_closing": ("Eine frühere Fahrt würde erst nach Betriebsschluss um {close} Uhr ankommen; der Rufbus "
                         "fährt wieder ab {at}.",
                         "an earlier trip would arrive after closing time at {close}; the service runs again from "
                         "{at}"),
    "earliest_early_cutoff": ("Fahrten vor {before} Uhr müssen bis {book_by} Uhr am Vorabend gebucht werden; die "
                              "früheste Fahrt ist daher ab {at}.",
                              "trips before {before} must be booked by {book_by} the evening before, so the earliest "
                              "trip is from {at}"),
    "fleet_busy": ("Zur gewünschten Zeit sind alle Fahrzeuge belegt; das ist die nächste freie Fahrt.",
                   "all vehicles are busy at the time asked for; this is the next free trip"),
    # ------------------------------------------------------------------ request checks (admission)
    "passengers_range": ("Die Zahl der Fahrgäste muss eine ganze Zahl von 1 bis {most} sein.",
                         "passengers must be a whole number between 1 and {most}"),
    "wheelchairs_range": ("Die Zahl der Rollstühle muss eine ganze Zahl von 0 bis {most} sein.",
                          "wheelchairs must be a whole number between 0 and {most}"),
    "wheelchairs_exceed_passengers": ("Es kann nicht mehr Rollstühle als Fahrgäste geben (wer im Rollstuhl "
                                      "fährt, ist auch Fahrgast).",
                                      "wheelchairs cannot exceed passengers (a wheelchair user is a passenger too)"),
    "pickup_after_and_arrive_by": ("Bitte geben Sie entweder eine Abholzeit (pickup_after) oder eine "
                                   "Ankunftszeit (arrive_by) an, nicht beides.",
                                   "give either pickup_after or arrive_by, not both"),
    "time_not_epoch": ("{field} muss ein Zeitpunkt in Epochensekunden sein.",
                       "{field} must be a time in epoch seconds"),
    "not_a_place": ("{field} muss ein Ort sein (Dispatcher.place oder place_at_node).",
                    "{field} must be a place (use Dispatcher.place or place_at_node)"),
    "place_node_unknown": ("{field}: Knoten {node} gehört nicht zum Straßennetz (0..{last}).",
                           "{field}: node {node} is not in the road network (0..{last})"),
    "channel_unknown": ("Der Kanal muss 'app', 'phone' oder 'simulation' sein, nicht {channel}.",
                        "channel must be 'app', 'phone' or 'simulation', got {channel}"),
    "caller_text": ("{field} muss ein Text mit 1 bis {longest} Zeichen oder leer sein.",
                    "{field} must be a text of 1 to {longest} characters or None"),
    # ------------------------------------------------------------------ places and the service area
    "coordinates_not_numbers": ("Breite und Länge (lat, lon) müssen Zahlen sein (WGS84-Grad).",
                                "lat and lon must be numbers (WGS84 degrees)"),
    "coordinates_invalid": ("Ungültige Koordinate lat={lat}, lon={lon}: Die Breite muss in [-90, 90] und die Länge "
                            "in [-180, 180] liegen.",
                            "invalid coordinate lat={lat}, lon={lon}: latitude must be in [-90, 90] and longitude "
                            "in [-180, 180]"),
    "point_outside_area": ("Der Punkt lat={lat}, lon={lon} liegt außerhalb des Bediengebiets.",
                           "the point lat={lat}, lon={lon} lies outside the service area"),
    "point_far_from_road": ("Der Punkt lat={lat}, lon={lon} liegt außerhalb des Bediengebiets (zu weit von der "
                            "nächsten Straße).",
                            "the point lat={lat}, lon={lon} lies outside the service area ({detail})"),
    "position_not_snapped": ("Der gemeldete Standort liegt zu weit von jeder Straße.",
                             "the reported position is too far from any road ({detail})"),
    "node_unknown": ("Knoten {node} gehört nicht zum Straßennetz (0..{last}).",
                     "node {node} is not in the road network (0..{last})"),
    "place_outside": ("{field}: {message}", "{field}: {message}"),
    "unknown_stop": ("{field}: Die Haltestelle {stop_id} gibt es nicht; bitte wählen Sie eine aus der Liste "
                     "(GET /api/v1/stops).",
                     "{field}: there is no stop {stop_id}; pick one from GET /api/v1/stops"),
    "invalid_area": ("Das Bediengebiet ist ungültig.", "the service area is invalid"),
    "area_form": ("Das Bediengebiet muss ein GeoJSON-Polygon {{\"type\": \"Polygon\", \"coordinates\": "
                  "[[[lon, lat], ...], <Löcher: [[lon, lat], ...], ...>]}} oder eine Liste von [lon, lat]-Punkten "
                  "sein.",
                  "the service area must be a GeoJSON Polygon {{\"type\": \"Polygon\", \"coordinates\": "
                  "[[[lon, lat], ...], <holes: [[lon, lat], ...], ...>]}} or a list of [lon, lat] points"),
    "area_outer": ("Das Polygon des Bediengebiets", "the service area polygon"),
    "area_hole": ("Loch {number} des Bediengebiets", "hole {number} of the service area polygon"),
    "area_ring_numbers": ("{what} muss ein Ring aus mindestens 3 [lon, lat]-Punkten (Zahlen) sein.",
                          "{what} must be a ring of at least 3 [lon, lat] points (numbers)"),
    "area_ring": ("{what} muss ein Ring aus mindestens 3 [lon, lat]-Punkten sein.",
                  "{what} must be a ring of at least 3 [lon, lat] points"),
    "area_degrees": ("Die Punkte des Bediengebiets müssen [lon, lat] in WGS84-Grad sein.",
                     "service area points must be [lon, lat] in WGS84 degrees"),
    "area_where": (" bei Länge {lon}, Breite {lat}", " at lon {lon}, lat {lat}"),
    "area_self_intersection": ("Das Bediengebiet kreuzt sich selbst{where}: Zeichnen Sie die Grenze so, dass sie "
                               "sich nie kreuzt (teilen Sie das Gebiet dort, oder nehmen Sie Löcher für "
                               "ausgesparte Flächen).",
                               "the service area polygon crosses itself{where}: draw its border so that it never "
                               "crosses (split the area at that point, or use holes for areas left out)"),
    "area_hole_outside": ("Ein Loch des Bediengebiets liegt außerhalb seines Außenrings{where}: Entfernen Sie es "
                          "oder verschieben Sie es nach innen.",
                          "a hole of the service area polygon lies outside its outer ring{where}: remove it or move "
                          "it inside"),
    "area_nested_holes": ("Ein Loch des Bediengebiets liegt in einem anderen Loch{where}: Entfernen Sie eines "
                          "davon.",
                          "a hole of the service area polygon lies inside another hole{where}: remove one of them"),
    "area_disconnected": ("Die Löcher zerschneiden das Bediengebiet in Teile{where}: Das Gebiet muss "
                          "zusammenhängen.",
                          "the holes of the service area polygon cut the area in pieces{where}: make the area one "
                          "piece"),
    "area_too_few_points": ("Ein Ring des Bediengebiets hat weniger als 3 verschiedene Punkte{where}.",
                            "a ring of the service area polygon has fewer than 3 different points{where}"),
    "area_invalid": ("Das Bediengebiet ist kein gültiges Polygon ({reason}{where}).",
                     "the service area polygon is not a valid polygon ({reason}{where})"),
    "area_too_many_points": ("Das Bediengebiet hat {total} Punkte; höchstens {most} sind erlaubt: Vereinfachen "
                             "Sie die Grenze (wenige Meter Genauigkeit genügen).",
                             "the service area polygon has {total} points; at most {most} are allowed: simplify "
                             "its border (a few metres of detail are enough)"),
    # ------------------------------------------------------------------ shifts and driver reports
    "shift_exists": ("Die Schicht {shift_id} gibt es schon.", "shift {shift_id} exists already"),
    "vehicle_needs_places": ("Ein Fahrzeug braucht mindestens einen Sitz- oder Rollstuhlplatz.",
                             "a vehicle needs at least one seat or wheelchair place"),
    "shift_end_before_start": ("Eine Schicht muss nach ihrem Beginn enden.", "a shift must end after it starts"),
    "shift_ended": ("Die Schicht {shift_id} ist schon beendet.", "shift {shift_id} has ended already"),
    "driver_has_running_shift": ("Sie fahren schon Schicht {running} mit {label} ({start}–{end}); beenden Sie "
                                 "diese, bevor Sie Schicht {shift_id} beginnen.",
                                 "you are driving shift {running} of {label} ({start}-{end}) already; end it before "
                                 "you start shift {shift_id}"),
    "shift_has_planned_stops": ("Die Schicht {shift_id} hat noch {stops} geplante Halte; fahren Sie sie an oder "
                                "stornieren Sie sie, bevor Sie die Schicht beenden.",
                                "shift {shift_id} still has {stops} planned stops; serve or cancel them before "
                                "ending it"),
    "no_shift": ("Sie haben keine laufende Schicht; beginnen Sie eine (POST /api/v1/driver/shift/start).",
                 "you have no running shift; start one with POST /api/v1/driver/shift/start"),
    "shift_unknown": ("Die Schicht {shift_id} gibt es nicht.", "there is no shift {shift_id}"),
    "shift_not_known": ("Die Schicht {shift_id} ist dem Disponenten nicht bekannt.",
                        "shift {shift_id} is not known to the dispatcher"),
    "no_shift_for_vehicle": ("Für Fahrzeug {vehicle_id} beginnt innerhalb der nächsten Stunde keine Schicht; "
                             "bitte fragen Sie die Disposition.",
                             "vehicle {vehicle_id} has no shift starting within the hour; ask the operator"),
    "shift_over": ("Die Schicht {shift_id} ist vorbei.", "shift {shift_id} is over"),
    "too_early": ("Die Schicht {shift_id} beginnt um {start} Uhr; sie kann höchstens eine Stunde vorher begonnen "
                  "werden.", "shift {shift_id} starts at {start}; start it at most an hour before"),
    "taken": ("Die Schicht {shift_id} fährt schon jemand anderes.",
              "shift {shift_id} is already driven by another driver"),
    "assigned_to_another_driver": ("Die Schicht {shift_id} mit {label} ist für jemand anderen geplant; bitte "
                                   "fragen Sie die Disposition.",
                                   "shift {shift_id} of {label} is planned for another driver; ask the operator to "
                                   "change it"),
    "open_shift_unknown": ("Eine offene Schicht {shift_id} gibt es nicht (GET /api/v1/ops/shifts zeigt alle).",
                           "there is no open shift {shift_id}; see GET /api/v1/ops/shifts"),
    "shift_started": ("Die Schicht {shift_id} mit {label} läuft schon; eine laufende Schicht kann nicht geändert "
                      "werden (beenden Sie sie oder planen Sie eine neue).",
                      "shift {shift_id} of {label} has started; a running shift cannot be changed (end it, or plan "
                      "a new one)"),
    "shift_end_not_after_start": ("Ende: Eine Schicht muss nach ihrem Beginn enden (sie liefe von {start} bis "
                                  "{end}).",
                                  "end: a shift must end after it starts (it would run from {start} to {end})"),
    "shift_end_in_past": ("Ende: Die Schicht würde in der Vergangenheit enden.",
                          "end: the shift would end in the past"),
    "shift_clash": ("{label} hat dann schon Schicht {shift_id} von {start} bis {end} Uhr: Bitte wählen Sie andere "
                    "Zeiten.", "{label} has shift {shift_id} from {start} to {end} then: choose other times"),
    "shift_has_stops": ("Die Schicht {shift_id} hat {stops} geplante Halte; ihre Zeiten können nicht mehr "
                        "geändert werden (planen Sie stattdessen eine weitere Schicht).",
                        "shift {shift_id} has {stops} planned stops; its times cannot change (plan another shift "
                        "instead)"),
    "implausible_report": ("Diese Meldung ist zu diesem Zeitpunkt nicht möglich.",
                           "this report cannot be true at this time"),
    "report_in_future": ("Die Zeit der Meldung ({at}) liegt in der Zukunft (jetzt ist es {now}); bitte prüfen Sie "
                         "die Uhr des Telefons.",
                         "the report's time {at} lies in the future (it is {now}); check the phone's clock"),
    "report_before_shift": ("Die Zeit der Meldung ({at}) liegt vor dem frühesten Beginn von Schicht {shift_id} "
                            "({start}).",
                            "the report's time {at} lies before shift {shift_id} could start ({start})"),
    "report_too_soon": ("{what} um {at} Uhr ist nicht möglich: {why} (nicht vor {earliest} Uhr); bitte melden Sie "
                        "es, wenn es so weit ist.",
                        "{what} at {at} cannot be: {why} (not before {earliest}); report it when it happens"),
    "report_boarding": ("Einstieg", "boarding"),
    "report_dropoff": ("Ausstieg", "the drop-off"),
    "report_arriving": ("Ankunft an der Abholstelle", "arriving at the pickup"),
    "window_opens_at": ("Das Abholfenster beginnt um {at} Uhr", "the pickup window opens at {at}"),
    "boarded_at_direct": ("Eingestiegen um {at}, die direkte Fahrt dauert {minutes} Min.",
                          "the rider boarded at {at} and the direct drive takes {minutes} min"),
    "no_stop_to_drive_to": ("Die Schicht {shift_id} hat keinen geplanten Halt, zu dem sie fahren könnte.",
                            "shift {shift_id} has no planned stop to drive to"),
    "no_stop_to_arrive_at": ("Die Schicht {shift_id} hat keinen geplanten Halt, an dem sie ankommen könnte.",
                             "shift {shift_id} has no planned stop to arrive at"),
    "cannot_board": ("Die Buchung {booking_id} ist {status}; nur bestätigte Fahrgäste können einsteigen.",
                     "booking {booking_id} is {status}; only a confirmed rider can board"),
    "cannot_no_show": ("Die Buchung {booking_id} ist {status}; nur bestätigte Fahrgäste können als nicht "
                       "erschienen gemeldet werden.",
                       "booking {booking_id} is {status}; only a confirmed rider can be reported as not showing up"),
    "no_show_too_early": ("„Nicht erschienen“ ist erst ab {possible} Uhr möglich: {window}, und der Fahrgast hat "
                          "{wait} Min. Zeit zu kommen.",
                          "a no-show can be reported from {possible} on: {window}, and the rider gets {wait} min "
                          "to come"),
    "pickup_window_not_open": ("das Abholfenster beginnt erst um {at} Uhr",
                               "the pickup window has not started yet (it opens at {at})"),
    "pickup_window_opened": ("das Abholfenster hat um {at} Uhr begonnen", "the pickup window opened at {at}"),
    "reported_at_twice": ("Bitte nur reported_at senden (oder den älteren Namen time), nicht beide mit "
                          "verschiedenen Zeiten.",
                          "give reported_at (or its older name time), not both"),
    "report_arrived": ("Ankunft", "arrived"),
    "report_boarded": ("Eingestiegen", "boarded"),
    "report_no_show": ("Nicht erschienen", "the no-show"),
    "report_dropped_off": ("Ausgestiegen", "dropped off"),
    "report_arriving_dropoff": ("Ankunft am Ziel", "arriving at the drop-off"),
    "report_break_start": ("Pausenbeginn", "the start of the break"),
    "report_break_end": ("Pausenende", "the end of the break"),
    "step_arrival_at_pickup": ("Ankunft an der Abholstelle", "the arrival at the pickup"),
    "report_out_of_order": ("{what} um {at} Uhr liegt vor „{step}“ um {earlier} Uhr, das schon gemeldet ist; bitte "
                            "senden Sie Meldungen in der Reihenfolge, in der sie geschahen.",
                            "{what} at {at} lies before {step} at {earlier}, reported earlier; send the reports in "
                            "the order they happened"),
    "report_too_old": ("Die Meldung ({at}) ist älter als {age}; bitte sagen Sie der Disposition, was passiert ist.",
                       "the report's time {at} is more than {age} old; tell the operator what happened instead"),
    "already_reported": ("„{report}“ für die Buchung {booking_id} ist schon angekommen (die Buchung ist {status}); "
                         "es wurde nichts geändert.",
                         "{report} of booking {booking_id} was reported already (the booking is {status}); nothing "
                         "changed"),
    "booking_finished": ("Die Buchung {booking_id} ist {status}; „{report}“ passt nicht mehr zu ihr.",
                         "booking {booking_id} is {status}; {report} cannot be reported for it any more"),
    "shift_started_already": ("Die Schicht {shift_id} ist schon begonnen; es wurde nichts geändert.",
                              "shift {shift_id} was started already; nothing changed"),
    "shift_ended_already": ("Die Schicht {shift_id} ist schon beendet; es wurde nichts geändert.",
                            "shift {shift_id} was ended already; nothing changed"),
    "no_break_planned": ("Für die Schicht {shift_id} ist keine Pause geplant; bitte fragen Sie die Disposition.",
                         "shift {shift_id} has no planned break; ask the operator"),
    "break_started_already": ("Die Pause der Schicht {shift_id} hat schon begonnen; es wurde nichts geändert.",
                              "the break of shift {shift_id} was started already; nothing changed"),
    "break_ended_already": ("Die Pause der Schicht {shift_id} ist schon beendet; es wurde nichts geändert.",
                            "the break of shift {shift_id} was ended already; nothing changed"),
    "break_not_started": ("Die Pause der Schicht {shift_id} hat noch nicht begonnen; bitte zuerst „Pause beginnen“ "
                          "melden.",
                          "the break of shift {shift_id} has not started; start it first"),
    "invalid_break": ("Die Pause passt nicht in die Schicht; bitte prüfen Sie frühesten und spätesten Beginn und "
                      "Dauer.",
                      "the break does not fit the shift; check its earliest and latest start and its length"),
    "break_incomplete": ("Eine Pause braucht frühesten Beginn (break_start_earliest), spätesten Beginn "
                         "(break_start_latest) und eine Dauer (break_minutes) über 0.",
                         "a break needs break_start_earliest, break_start_latest and break_minutes > 0"),
    "break_latest_before_earliest": ("Der späteste Beginn der Pause ({latest} Uhr) liegt vor dem frühesten "
                                     "({earliest} Uhr).",
                                     "the break's latest start {latest} lies before its earliest {earliest}"),
    "break_outside_shift": ("Die Pause ({earliest}–{latest} Uhr, {length}) muss in der Schicht liegen ({start}–{end} "
                            "Uhr).",
                            "the break ({earliest}-{latest}, {length}) must lie within the shift ({start}-{end})"),
    "cannot_drop_off": ("Die Buchung {booking_id} ist {status}; nur Fahrgäste an Bord können aussteigen.",
                        "booking {booking_id} is {status}; only a rider on board can be dropped off"),
    "unknown_report": ("Unbekannte Meldung {report}; möglich sind: {known}.",
                       "unknown report {report}; one of {known}"),
    "not_on_route": ("Die Buchung {booking_id} ist nicht (mehr) auf Ihrer Route; bitte laden Sie die Route neu.",
                     "booking {booking_id} is not on your route (any more); reload the route"),
    # ------------------------------------------------------------------ service rules (operator)
    "invalid_rules": ("Die Regeln sind ungültig.", "the rules are invalid"),
    "rule_not_hhmm": ("{what} muss eine Ortszeit 'HH:MM' (00:00..24:00) sein, nicht {got}.",
                      "{what} must be a local time 'HH:MM' (00:00..24:00), got {got}"),
    "rule_not_whole": ("{name} muss eine ganze Zahl sein, nicht {got}.", "{name} must be a whole number, got {got}"),
    "rule_not_number": ("{name} muss eine Zahl sein, nicht {got}.", "{name} must be a number, got {got}"),
    "rule_timezone": ("Die Zeitzone {timezone} ist unbekannt; nehmen Sie einen IANA-Namen wie 'Europe/Berlin'.",
                      "timezone {timezone} is unknown; use an IANA name such as 'Europe/Berlin'"),
    "rule_hours_form": ("operating_hours muss Wochentagen [Beginn, Ende] zuordnen, z. B. "
                        "{{'mon': ['05:00', '23:00']}}.",
                        "operating_hours must map weekdays to [open, close], e.g. {{'mon': ['05:00', '23:00']}}"),
    "rule_hours_form_json": ("operating_hours muss Wochentagen [Beginn, Ende] zuordnen, z. B. "
                             "{{\"mon\": [\"05:00\", \"23:00\"]}}; ein fehlender Wochentag hat keinen Betrieb.",
                             "operating_hours must map weekdays to [open, close], e.g. "
                             "{{\"mon\": [\"05:00\", \"23:00\"]}}; a weekday left out has no service"),
    "rule_hours_weekday": ("operating_hours: {day} ist kein Wochentag; möglich sind {known}.",
                           "operating_hours: {day} is not a weekday; use one of {known}"),
    "rule_hours_span": ("operating_hours.{day} muss [Beginn, Ende] sein, z. B. ['05:00', '23:00'].",
                        "operating_hours.{day} must be [open, close], e.g. ['05:00', '23:00']"),
    "rule_hours_order": ("operating_hours.{day}: Beginn {open} muss vor Ende {close} liegen.",
                         "operating_hours.{day}: open {open} must be before close {close}"),
    "rule_negative": ("{name} darf nicht negativ sein.", "{name} must not be negative"),
    "rule_not_positive": ("{name} muss größer als 0 sein.", "{name} must be positive"),
    "rule_horizon_lead": ("horizon_s muss länger als min_lead_s sein.", "horizon_s must be longer than min_lead_s"),
    "rule_ride_factor": ("max_ride_factor muss mindestens 1.0 sein (eine Fahrt kann nicht kürzer als die direkte "
                         "sein).",
                         "max_ride_factor must be at least 1.0 (a ride cannot be shorter than the direct trip)"),
    "rule_ride_fraction": ("min_ride_fraction muss zwischen 0 und 1 liegen (ein Anteil der direkten Fahrzeit).",
                           "min_ride_fraction must be between 0 and 1 (a share of the direct driving time)"),
    "rule_early_before": ("early_trip_before muss eine Ortszeit 'HH:MM' oder 'null' sein.",
                          "early_trip_before must be a local time 'HH:MM' or null"),
    "rule_early_before_null": ("early_trip_before muss eine Ortszeit 'HH:MM' oder 'null' (keine Frühfahrt-Regel) "
                               "sein.",
                               "early_trip_before must be a local time 'HH:MM' or null (no early-trip rule)"),
    "rule_unknown": ("Unbekannte Regel(n) {unknown}; bekannt sind: {known}.",
                     "unknown service rule(s) {unknown}; known: {known}"),
    "rule_not_text": ("{name} muss ein Text sein, z. B. {example}.", "{name} must be a string, e.g. {example}"),
    "rule_number_example": ("{name} muss eine Zahl sein, z. B. {example}.", "{name} must be a number, e.g. {example}"),
    "rule_whole_example": ("{name} muss eine ganze Zahl bis {most} sein, z. B. {example}.",
                           "{name} must be a whole number up to {most}, e.g. {example}"),
    "rule_misfit": ("Die Regeln passen nicht zusammen: {detail}", "the rules do not fit together: {detail}"),
    # ------------------------------------------------------------------ accounts, log-in, tokens
    "password_blank": ("Das Passwort darf nicht leer sein oder nur aus Leerzeichen bestehen; wählen Sie ein "
                       "Passwort mit mindestens {min_length} Zeichen.",
                       "the password must not be empty or only blanks; choose a password of at least {min_length} "
                       "characters"),
    "password_too_short": ("Das Passwort hat {length} Zeichen; es braucht mindestens {min_length} (ein paar Wörter "
                           "hintereinander sind leicht zu merken).",
                           "the password has {length} characters; it needs at least {min_length} (a few words in a "
                           "row are easy to remember)"),
    "password_too_long": ("Das Passwort darf höchstens {max_length} Zeichen haben.",
                          "the password may have at most {max_length} characters"),
    "password_too_common": ("Dieses Passwort gehört zu den häufigsten und wird zuerst erraten; bitte wählen Sie ein "
                            "anderes.",
                            "this password is one of the most common ones and is guessed first; choose another"),
    "too_many_requests_of": ("Zu viele {what}: höchstens {count} in {span}; bitte versuchen Sie es in {wait} erneut.",
                             "too many {what}: at most {count} in {span}; try again in {wait}"),
    "limit_register": ("Registrierungen von Ihrer Adresse", "registrations from your address"),
    "limit_confirm_resend": ("neue Bestätigungscodes für diese Adresse", "new confirmation codes for this address"),
    "limit_quotes_address": ("Anfragen von Ihrer Adresse", "quotes from your address"),
    "limit_quotes_rider": ("Anfragen für Ihr Konto", "quotes for your account"),
    "limit_bookings_address": ("Buchungen von Ihrer Adresse", "bookings from your address"),
    "limit_places_address": ("Ortssuchen von Ihrer Adresse", "place searches from your address"),
    "limit_this_account": ("dieses Konto", "this account"),
    "limit_your_address": ("Ihre Adresse", "your address"),
    "too_many_logins": ("Zu viele fehlgeschlagene Anmeldungen für {what} ({count} in {span}); bitte versuchen Sie es "
                        "in {wait} erneut.",
                        "too many failed log-ins for {what} ({count} in {span}); try again in {wait}"),
    "confirmation_sent": ("Bitte sehen Sie in Ihr E-Mail-Postfach: Wir haben einen Bestätigungscode an diese "
                          "Adresse geschickt (hat sie schon ein Konto, bekam dessen Inhaber stattdessen einen "
                          "Hinweis); bestätigen Sie mit POST /api/v1/auth/confirm.",
                          "check your e-mail: we sent a confirmation code to this address (if it already has an "
                          "account, its owner got a note instead); confirm with POST /api/v1/auth/confirm"),
    "wrong_confirmation_code": ("Der Code stimmt nicht oder ist abgelaufen (oder wurde zu oft versucht); bitte "
                                "prüfen Sie ihn oder fordern Sie einen neuen Code an.",
                                "the code is wrong or has expired (or was tried too often); check it, or ask for a "
                                "new code with POST /api/v1/auth/confirm/resend"),
    "wrong_login": ("E-Mail oder Passwort ist falsch.", "e-mail or password is wrong"),
    "account_disabled_login": ("Dieses Konto ist gesperrt; bitte wenden Sie sich an die Disposition.",
                               "this account is disabled; ask the operator to enable it"),
    "account_gone": ("Dieses Konto gibt es nicht mehr.", "this account no longer exists"),
    "account_gone_login": ("Dieses Konto gibt es nicht mehr; bitte melden Sie sich erneut an.",
                           "this account no longer exists; log in again"),
    "wrong_password": ("Das bisherige Passwort stimmt nicht; geben Sie das Passwort ein, mit dem Sie sich anmelden.",
                       "the current password is wrong; enter the one you log in with"),
    "wrong_password_delete": ("Das Passwort stimmt nicht; geben Sie das Passwort dieses Kontos ein, um es zu "
                              "löschen.",
                              "the password is wrong; enter the password of this account to delete it"),
    "ride_in_progress": ("Sie sind gerade unterwegs; löschen Sie das Konto, wenn die Fahrt vorbei ist.",
                         "you are on board a ride; delete the account once it has ended"),
    "what_token": ("Anmeldeschlüssel", "token"),
    "what_ticket": ("Verbindungsschein", "ticket"),
    "invalid_ticket": ("Der Verbindungsschein ist ungültig; bitte holen Sie einen neuen.",
                       "the ticket is not valid; get a new one"),
    "ticket_invalid": ("{reason}; bitte holen Sie einen neuen Verbindungsschein (POST {path}/ticket).",
                       "{reason}; get a new ticket with POST {path}/ticket"),
    "ticket_other_stream": ("Dieser Verbindungsschein öffnet einen anderen Ereignisstrom, nicht {path}; holen Sie "
                            "einen mit POST {path}/ticket.",
                            "this ticket opens another event stream, not {path}; get one with POST {path}/ticket"),
    "ticket_no_login": ("Dieser Verbindungsschein nennt keine Anmeldung; holen Sie einen neuen mit POST "
                        "{path}/ticket.", "this ticket names no login; get a new one with POST {path}/ticket"),
    "ticket_used": ("Dieser Verbindungsschein wurde schon benutzt; holen Sie einen neuen mit POST {path}/ticket.",
                    "this ticket was used already; get a new one with POST {path}/ticket"),
    "token_signature": ("{what}: Die Signatur ist ungültig (nicht von diesem Dienst ausgestellt, oder der geheime "
                        "Schlüssel des Servers wurde geändert)",
                        "the {what}'s signature is not valid (not issued by this service, or the server's secret "
                        "key changed)"),
    "token_claim_missing": ("{what}: Die Angabe {claim} fehlt (von einer älteren Version oder einem anderen Dienst "
                            "ausgestellt)",
                            "the {what} lacks the {claim} claim (issued by an older version or another service)"),
    "token_other_issuer": ("{what}: von einer anderen Installation des Dienstes ausgestellt, nicht von dieser",
                           "the {what} was issued by another deployment of the service, not this one"),
    "token_other_audience": ("{what}: nicht für diesen Zweck oder diese Installation bestimmt",
                             "the {what} is not meant for this use or this deployment"),
    "token_algorithm": ("{what}: nicht mit {algorithm} signiert", "the {what} is not signed with {algorithm}"),
    "token_malformed": ("{what}: ungültig ({detail}); senden Sie 'Authorization: Bearer <token>' mit dem Schlüssel "
                        "aus der Anmeldung",
                        "not a valid bearer {what} ({detail}): send 'Authorization: Bearer <token>' with the token "
                        "from logging in"),
    "token_subject": ("{what}: nennt keine Benutzernummer", "the {what}'s subject is not a user id"),
    "token_claims": ("{what}: Angaben fehlerhaft", "the {what}'s claims are malformed"),
    "token_expired": ("{what}: abgelaufen", "the {what} has expired"),
    "token_logged_out": ("Diese Anmeldung wurde durch Abmelden beendet; bitte melden Sie sich erneut an.",
                         "this token was ended by logging out; log in again"),
    "account_deleted": ("Das Konto dieser Anmeldung gibt es nicht mehr; bitte melden Sie sich mit einem anderen "
                        "Konto an.", "the account of this token no longer exists; log in with another account"),
    "account_disabled": ("Dieses Konto ist gesperrt; bitten Sie die Disposition, es freizugeben, und melden Sie "
                         "sich dann erneut an.",
                         "this account is disabled; ask the operator to enable it, then log in again"),
    "token_revoked": ("Diese Anmeldung wurde beendet (das Passwort wurde geändert oder das Konto gesperrt); bitte "
                      "melden Sie sich erneut an.",
                      "this token was ended (the password was changed or the account was disabled since it was "
                      "issued); log in again"),
    "token_in_url": ("Ein Anmeldeschlüssel in der Adresse wird nicht angenommen (Adressen werden protokolliert): "
                     "Senden Sie ihn im Kopf 'Authorization: Bearer <token>'; Ereignisströme nehmen ein ?ticket= "
                     "von POST <Pfad des Stroms>/ticket.",
                     "a token in the URL is not accepted (URLs are logged): send it in the 'Authorization: Bearer "
                     "<token>' header; event streams take a ?ticket= from POST <stream path>/ticket"),
    "log_in_first": ("Bitte melden Sie sich zuerst an: Senden Sie 'Authorization: Bearer <token>' aus POST "
                     "/api/v1/auth/token.",
                     "log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token"),
    "log_in_again": ("{reason}; bitte melden Sie sich erneut an.", "{reason}; log in again"),
    "role_needed": ("Dafür braucht es die Rolle {roles}; Ihr Konto hat die Rolle {role}.",
                    "this needs the {roles} role; you are a {role}"),
    "too_large_body": ("Die Anfrage ist größer als {size} ({limit} Byte), mehr nimmt der Server hier nicht an; "
                       "bitte senden Sie weniger Daten (Haltestellendateien lassen sich teilen).",
                       "the request body is larger than {size} ({limit} bytes), the most this server accepts here; "
                       "send less data (stop files may be split)"),
    "nonexistent_local_time": ("{field}: {at} gibt es in {zone} nicht, weil die Uhren in dieser Nacht vorgestellt "
                               "werden; die nächste gültige Zeit ist {valid} Uhr ({valid_iso}), bitte wählen Sie "
                               "{valid} Uhr oder später oder senden Sie die Zeit mit ihrem UTC-Versatz.",
                               "{field}: {at} does not exist in {zone}: the clocks are put forward that night; the "
                               "next valid time is {valid} ({valid_iso}), so choose {valid} or later, or send the "
                               "time with its UTC offset"),
    # ------------------------------------------------------------------ names
    "invalid_name": ("Dieser Name geht nicht.", "this name cannot be used"),
    "the_name": ("Der Name", "the name"),
    "the_caller_name": ("Der Name des Anrufers", "the caller's name"),
    "name_problem": ("{what} {problem}", "{what} {problem}"),
    "name_empty": ("ist leer oder besteht nur aus Leerzeichen: Bitte geben Sie einen Namen an.",
                   "is empty or only blanks: give a name"),
    "name_too_long": ("hat {length} Zeichen; höchstens {most} sind erlaubt.",
                      "has {length} characters; at most {most} are allowed"),
    "name_invisible": ("enthält das unsichtbare Zeichen {code} ({char}), das die Darstellung des Textes ändert: "
                       "Bitte tippen Sie den Namen ohne dieses Zeichen neu.",
                       "contains the invisible character {code} ({char}), which changes how the text is shown: "
                       "type the name again without it"),
    "name_control": ("enthält das Steuerzeichen {code}: Zeilenumbrüche, Tabulatoren und andere Steuerzeichen sind "
                     "nicht erlaubt; schreiben Sie den Namen in eine Zeile.",
                     "contains the control character {code}: line breaks, tabs and other control characters are not "
                     "allowed; write the name on one line"),
    "name_formula": ("beginnt mit {start}, was Tabellenprogramme als Formel lesen: Bitte entfernen Sie es (ein "
                     "Haltestellenname beginnt mit einem Buchstaben oder einer Ziffer).",
                     "starts with {start}, which spreadsheets read as a formula: remove it (a stop name starts with "
                     "a letter or digit)"),
    "caller_name_empty": ("Der Name des Anrufers ist leer; lassen Sie caller_name weg, wenn er keinen nennt.",
                          "the caller's name is empty; leave caller_name out if the caller gives none"),
    "caller_name_too_long": ("Der Name des Anrufers darf höchstens 100 Zeichen haben, dieser hat {length}; bitte "
                             "kürzen Sie ihn.",
                             "the caller's name may have at most 100 characters, this one has {length}; shorten it"),
    # ------------------------------------------------------------------ operations (operator)
    "unknown_driver": ("Dieses Fahrerkonto gibt es nicht.", "there is no such driver account"),
    "no_driver_account": ("Ein Fahrerkonto gibt es nicht für", "there is no driver account"),
    "unknown_vehicle": ("Das Fahrzeug {vehicle_id} gibt es nicht.", "there is no vehicle {vehicle_id}"),
    "vehicle_inactive": ("Das Fahrzeug {label} ist stillgelegt; aktivieren Sie es zuerst.",
                         "vehicle {label} is inactive; activate it first"),
    "invalid_stop_file": ("Die Haltestellendatei lässt sich nicht einlesen.", "the stop file cannot be imported"),
    "stop_file_field": ("Senden Sie die Haltestellendatei als Formularfeld 'file'.",
                        "send the stop file as form field 'file'"),
    "stop_file_empty": ("Die Haltestellendatei ist leer.", "the stop file is empty"),
    "stop_file_utf8": ("Die Haltestellendatei muss UTF-8-Text (CSV) sein.", "the stop file must be UTF-8 text (CSV)"),
    "stop_file_nul": ("Die Haltestellendatei enthält NUL-Zeichen: Senden Sie die CSV-Textdatei selbst.",
                      "the stop file contains NUL characters: send the CSV text file itself"),
    "far_from_road": ("zu weit von jeder Straße", "far from any road"),
    "unknown_rider": ("Ein Fahrgastkonto {email} gibt es nicht; lassen Sie das Feld leer.",
                      "there is no rider account {email}; leave it empty"),
    "not_iso_time": ("{name} muss ein Zeitpunkt nach ISO 8601 sein, z. B. 2026-03-03T00:00:00+01:00.",
                     "{name} must be an ISO 8601 time, e.g. 2026-03-03T00:00:00+01:00"),
    "nothing_to_change": ("Nichts zu ändern: Senden Sie mindestens eines von {fields}.",
                          "nothing to change: send {fields}"),
    "stop_unknown": ("Die Haltestelle {stop_id} gibt es nicht.", "there is no stop {stop_id}"),
    "own_account": ("Sie können Ihr eigenes Konto nicht sperren; bitten Sie eine andere Person der Disposition "
                    "darum.", "you cannot disable your own account; ask another operator to do it"),
    "duplicate_email": ("Ein Konto mit der E-Mail-Adresse {email} gibt es schon: Melden Sie sich an oder nehmen Sie "
                        "eine andere Adresse.",
                        "a user with the e-mail address {email} exists already: log in, or use another address"),
    "duplicate_vehicle_label": ("Ein Fahrzeug mit der Bezeichnung {label} gibt es schon: Bitte wählen Sie eine "
                                "andere.", "a vehicle labelled {label} exists already: choose another label"),
    "duplicate_stop_code": ("Eine Haltestelle mit dem Kürzel {code} gibt es schon: Wählen Sie ein anderes oder "
                            "lassen Sie es leer.",
                            "a stop with the code {code} exists already: choose another code or leave it empty"),
    "user_unknown": ("Das Konto {user_id} gibt es nicht.", "there is no user {user_id}"),
    "account_unknown": ("Das Konto {user_id} gibt es nicht (GET /api/v1/ops/users zeigt alle).",
                        "there is no account {user_id}: list the accounts with GET /api/v1/ops/users"),
    "vehicle_unknown": ("Das Fahrzeug {vehicle_id} gibt es nicht.", "there is no vehicle {vehicle_id}"),
    "vehicle_unknown_create": ("Das Fahrzeug {vehicle_id} gibt es nicht: Legen Sie es zuerst an.",
                               "there is no vehicle {vehicle_id}: create it first"),
    "driver_user_unknown": ("Das Konto {user_id}, das die Schicht fahren soll, gibt es nicht.",
                            "there is no user {user_id} to drive the shift"),
    "shift_overlap": ("Das Fahrzeug {label} hat schon Schicht {shift_id} von {start} bis {end} (Epochensekunden), "
                      "die sich mit {new_start} bis {new_end} überschneidet: Bitte wählen Sie eine andere Zeit oder "
                      "ein anderes Fahrzeug.",
                      "vehicle {label} is on shift {shift_id} from {start} to {end} (epoch s), which overlaps "
                      "{new_start} to {new_end}: choose another time or vehicle"),
    # ------------------------------------------------------------------ places (search, reverse, access)
    "outside_area": ("Der Punkt lat={lat}, lon={lon} liegt außerhalb des Gebiets, dessen Orte der Dienst kennt; "
                     "bitte wählen Sie einen Punkt im Bediengebiet.",
                     "the point lat={lat}, lon={lon} lies outside the area this service knows places of; choose a "
                     "point inside the service area"),
    "lat_and_lon": ("Bitte geben Sie Breite und Länge (lat, lon) Ihres Standorts an, oder keines von beiden.",
                    "give both lat and lon (the rider's position), or neither"),
    "q_nul": ("q: NUL-Zeichen sind nicht erlaubt.", "q: NUL characters are not allowed"),
    "no_stop_nearby": ("{where} {place} wird hier nicht an der Tür bedient ({who}), und keine Haltestelle liegt "
                       "innerhalb von {metres} m Fußweg; bitte wählen Sie eine Haltestelle oder rufen Sie die "
                       "Disposition an.",
                       "the {where} point {place} is not served at the door here ({who} are) and no stop lies within "
                       "{metres} m on foot; choose a stop or call the operator"),
    "where_pickup": ("Der Abholort", "pickup"),
    "where_dropoff": ("Der Zielort", "drop-off"),
    "who_wheelchair": ("an der Tür nur Fahrten mit Rollstuhl", "trips with a wheelchair user"),
    "who_nobody": ("an der Tür keine Fahrten", "no trips"),
    "connection_invalid": ("Der Anschluss ist fehlerhaft angegeben.", "the connection is given wrongly"),
    "connection_unknown": ("Diesen Anschluss gibt es im Fahrplan nicht.", "this connection is not in the timetable"),
    "invalid_timetable_file": ("Die Fahrplandatei ist fehlerhaft.", "the timetable file is invalid"),
    "connection_direction": ("Die Richtung des Anschlusses muss eine von {known} sein, nicht {got}.",
                             "the connection's direction must be one of {known}, got {got}"),
    "connection_unknown_trip": ("Die Fahrt {trip_id} steht nicht im Fahrplan; bitte wählen Sie eine Abfahrt aus der "
                                "Liste.", "trip {trip_id} is not in the timetable; choose a departure from the list"),
    "connection_date": ("Der Fahrtag {got} ist kein Datum der Form JJJJ-MM-TT.",
                        "the service date {got} is not a date YYYY-MM-DD"),
    "connection_not_at_stop": ("Die Fahrt {trip_id} hält nicht an der Haltestelle {stop_id} oder fährt in den "
                               "nächsten Tagen nicht mehr.",
                               "trip {trip_id} does not call at stop {stop_id} or does not run in the next days"),
    "connection_too_soon": ("{route} fährt zu bald ab, um ihn mit dem Rufbus noch zu erreichen.",
                            "{route} leaves too soon to reach it with the on-demand bus"),
    "timetable_file_invalid": ("Die Fahrplandatei ist fehlerhaft: {detail}", "the timetable file is invalid: {detail}"),
    "departures_stop_unknown": ("Die Haltestelle {stop_id} ist unbekannt.", "stop {stop_id} is unknown"),
    "rule_door_to_door": ("door_to_door muss eines von {known} sein, nicht {got}.",
                          "door_to_door must be one of {known}, got {got}"),
    # ------------------------------------------------------------------ issue 17: notifications, series, needs, fares
    "rule_tariff": ("Der Tarif (tariff) ist fehlerhaft bei: {part}.", "the tariff is invalid at: {part}"),
    "rule_need_extra": ("need_extra_s braucht ganze Sekunden (0 bis 3600) je Bedarf aus {known}.",
                        "need_extra_s needs whole seconds (0 to 3600) per need of {known}"),
    "no_vehicle_for_needs": ("Zurzeit ist kein Fahrzeug im Dienst für {needs} eingerichtet (Niederflur, Rampe, Lift "
                             "oder Kinderwagenplatz). Bitte rufen Sie uns an, wir finden eine Lösung.",
                             "No vehicle in service now is equipped for {needs} (low floor, ramp, lift or pushchair "
                             "space). Please call us and we will find a way."),
    "need_unknown": ("Unbekannter Mobilitätsbedarf {need}; bekannt sind {known}.",
                     "unknown mobility need {need}; known are {known}"),
    "fare_group_invalid": ("Die Fahrpreisgruppe ist fehlerhaft: Kategorien aus {known}, zusammen höchstens "
                           "{passengers} Personen.",
                           "the fare group is invalid: categories of {known}, at most {passengers} people together"),
    "notify_channel_unknown": ("Unbekannter Benachrichtigungsweg {channel}; möglich sind {known}.",
                               "unknown notification channel {channel}; possible are {known}"),
    "quiet_hours_invalid": ("Ruhezeiten bitte als HH:MM angeben, zum Beispiel 22:00 bis 07:00.",
                            "give quiet hours as HH:MM, for example 22:00 to 07:00"),
    "sms_needs_phone": ("Für SMS bitte eine Handynummer angeben.", "give a mobile number to get SMS"),
    "push_subscription_invalid": ("Das Push-Abonnement des Browsers nennt keinen zugelassenen Push-Dienst "
                                  "(endpoint).",
                                  "the browser's push subscription names no allowed push service (endpoint)"),
    "series_invalid": ("Die Fahrtserie ist fehlerhaft: {detail}", "the ride series is invalid: {detail}"),
    "series_not_found": ("Die Fahrtserie {series_id} gibt es nicht.", "there is no ride series {series_id}"),
    "series_ended": ("Die Fahrtserie {series_id} ist beendet.", "the ride series {series_id} has ended"),
    # ------------------------------------------------------------------ KPI causes (cause_<code>)
    "cause_outside_service_area": ("außerhalb des Bediengebiets", "outside the service area"),
    "cause_same_place": ("Start gleich Ziel", "same place"),
    "cause_outside_operating_hours": ("außerhalb der Betriebszeiten", "outside the operating hours"),
    "cause_min_lead_time": ("zu kurzfristig", "too short notice"),
    "cause_booking_horizon": ("zu weit im Voraus", "too far ahead"),
    "cause_in_the_past": ("Zeit schon vorbei", "time already passed"),
    "cause_early_morning_cutoff": ("Frühfahrt zu spät gebucht", "early trip booked too late"),
    "cause_max_active_bookings": ("zu viele offene Buchungen", "too many open bookings"),
    "cause_max_seats_per_rider": ("zu viele Plätze je Konto", "too many seats per account"),
    "cause_account_unconfirmed_limit": ("Konto nicht bestätigt", "account not confirmed"),
    "cause_no_show_limit": ("zu oft nicht erschienen", "too many no-shows"),
    "cause_too_many_passengers": ("zu viele Fahrgäste", "too many passengers"),
    "cause_no_vehicle_fits": ("kein passendes Fahrzeug", "no vehicle fits"),
    "cause_no_vehicle_available": ("kein Fahrzeug frei", "no vehicle available"),
    "cause_offer_expired": ("Angebot abgelaufen", "offer expired"),
    "cause_offer_unknown": ("Angebot unbekannt", "offer unknown"),
    "cause_offer_no_longer_available": ("Angebot inzwischen vergeben", "offer no longer available"),
    "cause_offer_already_booked": ("Angebot schon gebucht", "offer already booked"),
    "cause_no_stop_nearby": ("keine Haltestelle in Gehweite", "no stop within walking distance"),
    "cause_rider": ("vom Fahrgast", "by the rider"),
    "cause_operator": ("von der Disposition", "by the operator"),
    "cause_shift_ended": ("Schicht beendet", "shift ended"),
    "cause_account_deleted": ("Konto gelöscht", "account deleted"),
    "cause_unknown": ("unbekannt", "unknown"),
    # ------------------------------------------------------------------ favourites
    "too_many_favourites": ("Sie haben schon {most} Favoriten; bitte löschen Sie erst einen.",
                            "you have {most} favourites already; delete one first"),
    "favourite_unknown": ("Den Favoriten {favourite_id} gibt es nicht (mehr).",
                          "there is no favourite {favourite_id}"),
    # ------------------------------------------------------------------ stop files (ride_pool/stop_files.py)
    "stops_list": ("Haltestellenliste", "stop list"),
    "stops_empty": ("{source}: Die Datei ist leer: erwartet wird eine Kopfzeile wie "
                    "'stop_id,stop_name,stop_lat,stop_lon' und eine Zeile je Haltestelle.",
                    "{source}: the file is empty: expected a header line such as "
                    "'stop_id,stop_name,stop_lat,stop_lon' and one line per stop"),
    "stops_header_long": ("{source}: Zeile 1: Die Kopfzeile hat {length} Zeichen: erwartet wird eine Kopfzeile wie "
                          "'stop_id,stop_name,stop_lat,stop_lon'.",
                          "{source}: line 1: the header line has {length} characters: expected a header line such "
                          "as 'stop_id,stop_name,stop_lat,stop_lon'"),
    "stops_column": ("Spalte {number}", "column {number}"),
    "stops_field_long": ("Das Feld {field} hat {size} Zeichen; ein Feld darf höchstens {most} haben.",
                         "the field {field} has {size} characters; a field may have at most {most}"),
    "stops_field_about": ("Das Feld {field} hat etwa {size} Zeichen; ein Feld darf höchstens {most} haben (ein "
                          "Anführungszeichen, das nie geschlossen wird?).",
                          "the field {field} has about {size} characters; a field may have at most {most} (a quote "
                          "that is never closed?)"),
    "stops_field_count": ("hat {fields} Felder, die Kopfzeile aber {header}: Bitte prüfen Sie die Trennzeichen "
                          "({delimiter}) und Anführungszeichen in dieser Zeile.",
                          "has {fields} fields but the header has {header}: check the separators ({delimiter}) and "
                          "quotes on this line"),
    "stops_duplicate_id": ("Die Haltestellennummer {code} steht schon in Zeile {line}: Nummern müssen eindeutig "
                           "sein.", "stop id {code} is used on line {line} already: stop ids must be unique"),
    "stops_line": ("  Zeile {line}: {problem}", "  line {line}: {problem}"),
    "stops_more": ("\n  … und {more} weitere", "\n  ... and {more} more"),
    "stops_problems": ("{source}: {count} Fehler, nichts wurde eingelesen; bitte beheben Sie sie und lesen Sie die "
                       "Datei erneut ein:\n{listed}{tail}",
                       "{source}: {count} problem(s), nothing was imported; fix them and import the file again:"
                       "\n{listed}{tail}"),
    "stops_none": ("{source}: Die Datei hat eine Kopfzeile, aber keine Haltestellen (GTFS-Zeilen mit location_type "
                   "1-4 sind keine Haltestellen).",
                   "{source}: the file has a header but no stops (GTFS rows with location_type 1-4 are not stops)"),
    "stops_csv_error": ("{source}: Zeile {line}: {detail}: Bitte prüfen Sie die Anführungszeichen in dieser Zeile.",
                        "{source}: line {line}: {detail}: check the quotes on this line"),
    "stops_no_file": ("{path}: Diese Datei gibt es nicht: Bitte prüfen Sie den Pfad.",
                      "{path}: no such file: check the path"),
    "stops_not_utf8": ("{path}: kein UTF-8-Text (Byte {byte}): Bitte speichern Sie die Datei als UTF-8.",
                       "{path}: not UTF-8 text (byte {byte}): save the file as UTF-8"),
    "stops_unreadable": ("{path}: Die Datei lässt sich nicht lesen ({detail}): Bitte geben Sie den Pfad einer "
                         "Haltestellendatei an.",
                         "{path}: cannot be read ({detail}): give the path of a stop file"),
    "stops_missing_columns": ("{source}: Zeile 1: Spalte(n) fehlen: {needed}. Die Kopfzeile hat: {header}. Erwartet "
                              "wird GTFS-stops.txt (stop_id, stop_name, stop_lat, stop_lon) oder eine Tabelle mit "
                              "id, name, city, latitude, longitude.",
                              "{source}: line 1: missing column(s): {needed}. The header has: {header}. Expected "
                              "GTFS stops.txt (stop_id, stop_name, stop_lat, stop_lon) or a table with id, name, "
                              "city, latitude, longitude"),
    "stops_name_empty": ("Der Haltestellenname ist leer: Bitte tragen Sie ihn ein.",
                         "the stop name is empty: fill it in"),
    "stops_the_name": ("Der Haltestellenname", "stop name"),
    "stops_the_town": ("Der Ort", "town"),
    "stops_bad_name": ("{field} {text} {problem}", "the {field} {text} {problem}"),
    "stops_zero_position": ("Breite und Länge sind beide 0: Bitte tragen Sie die Lage der Haltestelle ein.",
                            "latitude and longitude are both 0: fill in the stop's position"),
    "stops_latitude": ("Die Breite", "latitude"),
    "stops_longitude": ("Die Länge", "longitude"),
    "stops_coordinate_empty": ("{what} ist leer: Bitte tragen Sie die Lage der Haltestelle in Dezimalgrad ein.",
                               "the {what} is empty: fill in the stop's position in decimal degrees"),
    "stops_coordinate_not_number": ("{what} {text} ist keine Zahl: Bitte schreiben Sie Dezimalgrad wie 51.1636.",
                                    "the {what} {text} is not a number: write decimal degrees such as 51.1636"),
    "stops_coordinate_range": ("{what} {text} liegt außerhalb von -{limit}..{limit}: Bitte schreiben Sie Dezimalgrad "
                               "(Breite und Länge vertauscht? Dezimalpunkt vergessen?).",
                               "the {what} {text} is outside -{limit}..{limit}: write decimal degrees (latitude and "
                               "longitude swapped? decimal point missing?)"),
    # ------------------------------------------------------------------ request and row checks
    "email_invalid": ("keine gültige E-Mail-Adresse", "not a valid e-mail address: {detail}"),
    "time_implausible": ("muss ein Zeitpunkt zwischen den Jahren 2000 und 2199 sein, z. B. 2026-03-03T09:30:00+01:00",
                         "must be a date and time between the years 2000 and 2199, e.g. 2026-03-03T09:30:00+01:00"),
    "phone_characters": ("Eine Telefonnummer darf nur Ziffern, Leerzeichen und + - ( ) / enthalten, z. B. 03521 "
                         "123456 oder +49 3521 123456",
                         "a phone number may only contain digits, spaces and + - ( ) /, e.g. 03521 123456 or "
                         "+49 3521 123456"),
    "phone_length": ("Eine Telefonnummer hat 3 bis 30 Zeichen, diese hat {length}",
                     "a phone number has 3 to 30 characters, this one has {length}"),
    "phone_digits": ("Eine Telefonnummer braucht mindestens 3 Ziffern, z. B. 03521 123456",
                     "a phone number needs at least 3 digits, e.g. 03521 123456"),
    "text_nul": ("Text darf keine NUL-Zeichen (\\u0000) enthalten", "text must not contain NUL characters (\\u0000)"),
    "place_stop_or_point": ("Bitte geben Sie eine Haltestelle (stop_id) oder einen Punkt (lat und lon) an",
                            "give either stop_id or lat and lon"),
    "place_not_both": ("Bitte geben Sie eine Haltestelle (stop_id) oder einen Punkt (lat und lon) an, nicht beides",
                       "give either stop_id or lat and lon, not both"),
    "point_needs_both": ("Ein Punkt braucht Breite und Länge (lat und lon)", "a point needs both lat and lon"),
    "shift_or_vehicle": ("Bitte geben Sie eine Schicht (shift_id) oder ein Fahrzeug (vehicle_id) an",
                         "give either shift_id or vehicle_id"),
    "vehicle_fields": ("{unknown} eines Fahrzeugs lässt sich nicht ändern; änderbar: {known}",
                       "cannot change {unknown} of a vehicle; changeable: {known}"),
    "vehicle_label_missing": ("Ein Fahrzeug braucht eine Bezeichnung (z. B. sein Kennzeichen)",
                              "a vehicle needs a label (e.g. its number plate)"),
    "vehicle_seats": ("Das Fahrzeug {label} braucht mindestens 1 Sitzplatz, nicht {seats}",
                      "vehicle {label} needs at least 1 seat, not {seats}"),
    "vehicle_wheelchair_places": ("Fahrzeug {label}: Die Zahl der Rollstuhlplätze darf nicht negativ sein",
                                  "vehicle {label}: wheelchair places cannot be negative"),
    "vehicle_depot": ("Fahrzeug {label}: Das Depot ({lat}, {lon}) ist keine Breite/Länge in Grad",
                      "vehicle {label}: depot ({lat}, {lon}) is not a latitude/longitude in degrees"),
    "stop_fields": ("{unknown} einer Haltestelle lässt sich nicht ändern; änderbar: {known}",
                    "cannot change {unknown} of a stop; changeable: {known}"),
    "stop_name_missing": ("Eine Haltestelle braucht einen Namen, z. B. 'Coswig, Bahnhof'",
                          "a stop needs a name, e.g. 'Coswig, Bahnhof'"),
}

# the operator control room's entries (issue 15) live in their own module
from ride_pool.message_catalogue_ops import OPS_ROOM  # noqa: E402

CATALOGUE.update(OPS_ROOM)
