// Operator dashboard (/ops): live map, KPI tiles, phone bookings, bookings, vehicles, shifts,
// stops (with import) and the service area. German first; English via the language switch.
//
// Test hooks: every KPI tile has data-kpi="<key of GET /api/v1/ops/kpis>" and its number in
// .tile-value; the phone booking's confirmation is #phone-confirmation (data-booking-id,
// data-pickup-earliest, data-pickup-latest); the map sets data-rendered="true" once drawn.

import { api, login, logout, me, errorSentence, newIdempotencyKey } from "/static/js/api.js";
import {
  t, addTranslations, getLanguage, applyTranslations, formatTime, formatDateTime,
  onLanguageChange, languageSwitch, berlinNowParts, TIME_ZONE,
} from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import { el } from "/static/js/dom.js";

const LIVE_EVERY_MS = 5000;
const KPI_EVERY_MS = 20000;
const STOP_ROWS = 200;

addTranslations({
  de: {
    "ops.title": "Rufbus – Disposition",
    "ops.skip": "Zum Inhalt springen",
    "ops.logout": "Abmelden",
    "ops.login.title": "Anmeldung für die Disposition",
    "ops.login.email": "E-Mail",
    "ops.login.password": "Passwort",
    "ops.login.submit": "Anmelden",
    "ops.login.missing": "Bitte geben Sie E-Mail und Passwort ein.",
    "ops.login.not_operator": "Mit diesem Konto ({role}) können Sie die Disposition nicht benutzen. Bitte melden Sie sich mit einem Konto der Disposition an.",
    "ops.role.rider": "Fahrgast",
    "ops.role.driver": "Fahrer:in",
    "ops.role.operator": "Disposition",
    "ops.kpi.title": "Kennzahlen heute",
    "ops.kpi.since": "seit {time}",
    "ops.kpi.requests": "Anfragen",
    "ops.kpi.confirmed": "Bestätigt",
    "ops.kpi.served": "Fahrten durchgeführt",
    "ops.kpi.rejected": "Abgelehnt",
    "ops.kpi.cancelled": "Storniert",
    "ops.kpi.wait_mean": "Wartezeit Ø",
    "ops.kpi.wait_p95": "Wartezeit 95 %",
    "ops.kpi.detour": "Umwegfaktor Ø",
    "ops.kpi.occupancy": "Besetzung Ø",
    "ops.kpi.vehicle_km": "Fahrzeug-km",
    "ops.kpi.min": "{value} min",
    "ops.map.title": "Fahrzeuge live",
    "ops.map.label": "Karte des Bediengebiets mit Fahrzeugen, nächsten Halten und offenen Buchungen",
    "ops.map.vehicles": "Fahrzeuge",
    "ops.map.next": "nächste Halte",
    "ops.map.bookings": "offene Buchungen (Abholung)",
    "ops.live.list": "Fahrzeuge im Dienst",
    "ops.live.none": "Gerade ist kein Fahrzeug im Dienst.",
    "ops.live.updated": "aktualisiert {time}",
    "ops.live.waiting": "noch nicht gestartet",
    "ops.live.driving": "im Dienst",
    "ops.live.next": "nächster Halt: {name} um {time}",
    "ops.live.idle": "keine Halte geplant",
    "ops.live.pickup": "Abholung",
    "ops.live.dropoff": "Absetzen",
    "ops.phone.title": "Telefonbuchung",
    "ops.phone.caller": "Anrufer:in",
    "ops.phone.name": "Name",
    "ops.phone.phone": "Telefon",
    "ops.phone.email": "E-Mail des Fahrgastkontos",
    "ops.optional": "(optional)",
    "ops.phone.trip": "Fahrt",
    "ops.phone.origin": "Von (Haltestelle)",
    "ops.phone.destination": "Nach (Haltestelle)",
    "ops.phone.when": "Wann",
    "ops.phone.now": "so bald wie möglich",
    "ops.phone.pickup_after": "Abholung ab",
    "ops.phone.arrive_by": "Ankunft bis",
    "ops.phone.time": "Uhrzeit",
    "ops.phone.passengers": "Fahrgäste",
    "ops.phone.wheelchairs": "davon im Rollstuhl",
    "ops.phone.search": "Angebote suchen",
    "ops.phone.no_results": "Keine Haltestelle gefunden.",
    "ops.phone.pick_origin": "Bitte wählen Sie die Start-Haltestelle aus der Liste.",
    "ops.phone.pick_destination": "Bitte wählen Sie die Ziel-Haltestelle aus der Liste.",
    "ops.phone.same_stop": "Start und Ziel sind dieselbe Haltestelle. Bitte wählen Sie ein anderes Ziel.",
    "ops.phone.need_time": "Bitte geben Sie Datum und Uhrzeit an.",
    "ops.phone.bad_counts": "Bitte geben Sie 1 bis 8 Fahrgäste an, davon höchstens 2 im Rollstuhl (nicht mehr als Fahrgäste).",
    "ops.phone.offers": "Angebote",
    "ops.phone.window": "Abholung {date} zwischen {from} und {to}",
    "ops.phone.plan": "geplant {pickup} → Ankunft ca. {dropoff} (spätestens {latest})",
    "ops.phone.alternative": "Alternative",
    "ops.phone.expires": "gilt bis {time}",
    "ops.phone.book": "Buchen",
    "ops.phone.book_label": "Angebot {from} bis {to} buchen",
    "ops.phone.no_offer": "Kein Angebot: {sentence}",
    "ops.phone.booked": "Gebucht{caller}: Abholung {date} zwischen {from} und {to} an „{origin}“, Ankunft spätestens {latest} in „{destination}“.",
    "ops.phone.booked_vehicle": "Fahrzeug {label}, Buchungsnummer {id}.",
    "ops.phone.booked_for": " für {name}",
    "ops.phone.tell": "Bitte nennen Sie der anrufenden Person das Abholfenster.",
    "ops.phone.new": "Neue Telefonbuchung",
    "ops.reason.outside_service_area": "Der Ort liegt außerhalb des Bediengebiets.",
    "ops.reason.outside_operating_hours": "Zu dieser Zeit fährt der Rufbus nicht.",
    "ops.reason.min_lead_time": "Die Fahrt ist zu kurzfristig.",
    "ops.reason.booking_horizon": "Die Fahrt liegt zu weit in der Zukunft.",
    "ops.reason.early_morning_cutoff": "Frühe Fahrten müssen am Vorabend gebucht werden.",
    "ops.reason.max_active_bookings": "Dieses Fahrgastkonto hat schon die höchste Zahl offener Buchungen.",
    "ops.reason.no_show_limit": "Dieses Fahrgastkonto ist wegen Nichterscheinens gesperrt.",
    "ops.reason.no_vehicle_fits": "Kein Fahrzeug hat genug Plätze (Sitze/Rollstuhlplätze).",
    "ops.reason.no_vehicle_available": "Zu dieser Zeit ist kein Fahrzeug frei.",
    "ops.admin.title": "Verwaltung",
    "ops.tab.bookings": "Buchungen",
    "ops.tab.vehicles": "Fahrzeuge",
    "ops.tab.shifts": "Schichten",
    "ops.tab.stops": "Haltestellen",
    "ops.tab.area": "Bediengebiet",
    "ops.actions": "Aktionen",
    "ops.save": "Speichern",
    "ops.cancel": "Abbrechen",
    "ops.edit": "Bearbeiten",
    "ops.saved": "Gespeichert.",
    "ops.created": "Angelegt.",
    "ops.lat": "Breite (lat)",
    "ops.lon": "Länge (lon)",
    "ops.pick": "Auf der Karte wählen",
    "ops.pick.now": "Klicken Sie jetzt auf die Karte, um den Ort zu wählen.",
    "ops.pick.done": "Ort übernommen: {lat}, {lon}",
    "ops.yes": "ja",
    "ops.no": "nein",
    "ops.bookings.caption": "Offene Buchungen nach Abholzeit",
    "ops.bookings.window": "Abholfenster",
    "ops.bookings.from": "Von",
    "ops.bookings.to": "Nach",
    "ops.bookings.pax": "Pers.",
    "ops.bookings.vehicle": "Fahrzeug",
    "ops.bookings.status": "Status",
    "ops.bookings.channel": "Kanal",
    "ops.bookings.none": "Keine offenen Buchungen.",
    "ops.bookings.cancel": "Stornieren",
    "ops.bookings.cancel_label": "Buchung {from} → {to} um {time} stornieren",
    "ops.bookings.confirm_cancel": "Buchung von {from} nach {to} ({time}) wirklich stornieren?",
    "ops.bookings.cancelled": "Die Buchung ist storniert.",
    "ops.status.confirmed": "bestätigt",
    "ops.status.onboard": "an Bord",
    "ops.status.completed": "abgeschlossen",
    "ops.status.cancelled": "storniert",
    "ops.status.no_show": "nicht erschienen",
    "ops.channel.app": "App",
    "ops.channel.phone": "Telefon",
    "ops.vehicles.caption": "Fahrzeuge",
    "ops.vehicles.label": "Kennzeichen",
    "ops.vehicles.seats": "Sitze",
    "ops.vehicles.wheelchairs": "Rollstuhlplätze",
    "ops.vehicles.depot": "Depot",
    "ops.vehicles.active": "Aktiv",
    "ops.vehicles.new": "Neues Fahrzeug",
    "ops.vehicles.edit": "Fahrzeug {label} bearbeiten",
    "ops.shifts.caption": "Schichten",
    "ops.shifts.include_ended": "beendete Schichten zeigen",
    "ops.shifts.vehicle": "Fahrzeug",
    "ops.shifts.start": "Beginn",
    "ops.shifts.end": "Ende",
    "ops.shifts.driver": "Fahrer:in",
    "ops.shifts.state": "Zustand",
    "ops.shifts.stops": "Halte",
    "ops.shifts.new": "Neue Schicht",
    "ops.shifts.edit": "Schicht {id} ({label}) bearbeiten",
    "ops.shifts.no_driver": "– keine Zuordnung –",
    "ops.shifts.planned": "geplant",
    "ops.shifts.running": "läuft",
    "ops.shifts.ended": "beendet",
    "ops.shifts.end_now": "Beenden",
    "ops.shifts.end_label": "Schicht {id} ({label}) beenden",
    "ops.shifts.confirm_end": "Schicht {id} ({label}) jetzt beenden?",
    "ops.shifts.need_times": "Bitte geben Sie Beginn und Ende an.",
    "ops.shifts.no_vehicle": "Bitte wählen Sie ein Fahrzeug.",
    "ops.shifts.unchanged": "Es wurde nichts geändert.",
    "ops.stops.filter": "Haltestellen filtern",
    "ops.stops.caption": "Haltestellen",
    "ops.stops.name": "Name",
    "ops.stops.town": "Ort",
    "ops.stops.code": "Kennung",
    "ops.stops.position": "Lage",
    "ops.stops.new": "Neue Haltestelle",
    "ops.stops.edit": "Haltestelle {name} bearbeiten",
    "ops.stops.count": "{shown} von {total} Haltestellen",
    "ops.import.title": "Haltestellen importieren",
    "ops.import.hint": "GTFS stops.txt oder CSV (id, name, city, latitude, longitude). Haltestellen außerhalb des Bediengebiets werden übersprungen; vorhandene Kennungen werden aktualisiert.",
    "ops.import.file": "Datei",
    "ops.import.submit": "Importieren",
    "ops.import.none": "Bitte wählen Sie eine Datei.",
    "ops.import.done": "{imported} Haltestellen importiert, {outside} außerhalb des Bediengebiets übersprungen.",
    "ops.form.required": "Bitte füllen Sie aus: {fields}.",
    "ops.area.hours": "Betriebszeiten",
    "ops.area.day": "Tag",
    "ops.area.open": "Betrieb",
    "ops.area.closed": "kein Betrieb",
    "ops.area.timezone": "Zeitzone: {tz}",
    "ops.area.rules": "Regeln",
    "ops.area.polygon": "Gebiet",
    "ops.area.whole": "Das ganze Straßennetz (kein Gebietspolygon gesetzt).",
    "ops.area.points": "Polygon mit {n} Punkten (auf der Karte gestrichelt).",
    "ops.day.mon": "Montag", "ops.day.tue": "Dienstag", "ops.day.wed": "Mittwoch", "ops.day.thu": "Donnerstag",
    "ops.day.fri": "Freitag", "ops.day.sat": "Samstag", "ops.day.sun": "Sonntag",
    "ops.rule.window_s": "Abholfenster",
    "ops.rule.min_lead_s": "Mindestvorlauf",
    "ops.rule.horizon_s": "Buchbar im Voraus",
    "ops.rule.early_trip": "Frühfahrten vor {before} buchen bis {by} am Vorabend",
    "ops.rule.early_trip_label": "Frühfahrten",
    "ops.rule.max_ride": "Höchste Fahrzeit",
    "ops.rule.max_ride_value": "{factor} × direkt + {extra} min",
    "ops.rule.max_active_bookings": "Offene Buchungen je Fahrgast",
    "ops.rule.no_show_limit": "Sperre nach Nichterscheinen",
    "ops.rule.offer_ttl_s": "Angebot gültig",
    "ops.rule.max_passengers": "Fahrgäste je Buchung",
    "ops.unit.min": "{n} min",
    "ops.unit.days": "{n} Tage",
    "ops.unit.h": "{n} h",
    "err.invalid_stop_file": "Die Haltestellen-Datei passt nicht: {message}",
    "err.shift_started": "Die Schicht läuft schon und kann nicht mehr geändert werden.",
    "err.shift_has_stops": "Die Schicht hat geplante Halte; ihre Zeiten können nicht geändert werden.",
    "err.unknown_driver": "Dieses Fahrerkonto gibt es nicht: {message}",
    "err.unknown_rider": "Dieses Fahrgastkonto gibt es nicht. Lassen Sie die E-Mail leer oder prüfen Sie sie.",
    "err.unknown_vehicle": "Dieses Fahrzeug gibt es nicht (mehr).",
    "err.vehicle_inactive": "Das Fahrzeug ist nicht aktiv. Aktivieren Sie es zuerst.",
    "err.invalid_rules": "Die Regeln passen nicht: {message}",
  },
  en: {
    "ops.title": "Rufbus – Dispatch",
    "ops.skip": "Skip to content",
    "ops.logout": "Log out",
    "ops.login.title": "Dispatch log-in",
    "ops.login.email": "E-mail",
    "ops.login.password": "Password",
    "ops.login.submit": "Log in",
    "ops.login.missing": "Please enter your e-mail and password.",
    "ops.login.not_operator": "This account ({role}) cannot use the dispatch dashboard. Please log in with a dispatch (operator) account.",
    "ops.role.rider": "rider",
    "ops.role.driver": "driver",
    "ops.role.operator": "operator",
    "ops.kpi.title": "Today's figures",
    "ops.kpi.since": "since {time}",
    "ops.kpi.requests": "Requests",
    "ops.kpi.confirmed": "Confirmed",
    "ops.kpi.served": "Trips completed",
    "ops.kpi.rejected": "Rejected",
    "ops.kpi.cancelled": "Cancelled",
    "ops.kpi.wait_mean": "Mean wait",
    "ops.kpi.wait_p95": "Wait, 95th pct.",
    "ops.kpi.detour": "Mean detour factor",
    "ops.kpi.occupancy": "Mean occupancy",
    "ops.kpi.vehicle_km": "Vehicle-km",
    "ops.kpi.min": "{value} min",
    "ops.map.title": "Vehicles live",
    "ops.map.label": "Map of the service area with vehicles, next stops and open bookings",
    "ops.map.vehicles": "vehicles",
    "ops.map.next": "next stops",
    "ops.map.bookings": "open bookings (pickup)",
    "ops.live.list": "Vehicles on shift",
    "ops.live.none": "No vehicle is on shift right now.",
    "ops.live.updated": "updated {time}",
    "ops.live.waiting": "not started yet",
    "ops.live.driving": "on shift",
    "ops.live.next": "next stop: {name} at {time}",
    "ops.live.idle": "no stops planned",
    "ops.live.pickup": "pickup",
    "ops.live.dropoff": "drop-off",
    "ops.phone.title": "Phone booking",
    "ops.phone.caller": "Caller",
    "ops.phone.name": "Name",
    "ops.phone.phone": "Phone",
    "ops.phone.email": "E-mail of the rider account",
    "ops.optional": "(optional)",
    "ops.phone.trip": "Trip",
    "ops.phone.origin": "From (stop)",
    "ops.phone.destination": "To (stop)",
    "ops.phone.when": "When",
    "ops.phone.now": "as soon as possible",
    "ops.phone.pickup_after": "pickup after",
    "ops.phone.arrive_by": "arrive by",
    "ops.phone.time": "Date and time",
    "ops.phone.passengers": "Passengers",
    "ops.phone.wheelchairs": "of them in a wheelchair",
    "ops.phone.search": "Find offers",
    "ops.phone.no_results": "No stop found.",
    "ops.phone.pick_origin": "Please choose the pickup stop from the list.",
    "ops.phone.pick_destination": "Please choose the destination stop from the list.",
    "ops.phone.same_stop": "Pickup and destination are the same stop. Please choose another destination.",
    "ops.phone.need_time": "Please enter a date and time.",
    "ops.phone.bad_counts": "Please enter 1 to 8 passengers, at most 2 of them in a wheelchair (not more than passengers).",
    "ops.phone.offers": "Offers",
    "ops.phone.window": "Pickup {date} between {from} and {to}",
    "ops.phone.plan": "planned {pickup} → arrival about {dropoff} (at the latest {latest})",
    "ops.phone.alternative": "alternative",
    "ops.phone.expires": "valid until {time}",
    "ops.phone.book": "Book",
    "ops.phone.book_label": "Book the offer {from} to {to}",
    "ops.phone.no_offer": "No offer: {sentence}",
    "ops.phone.booked": "Booked{caller}: pickup {date} between {from} and {to} at “{origin}”, arrival by {latest} at “{destination}”.",
    "ops.phone.booked_vehicle": "Vehicle {label}, booking number {id}.",
    "ops.phone.booked_for": " for {name}",
    "ops.phone.tell": "Please tell the caller the pickup window.",
    "ops.phone.new": "New phone booking",
    "ops.reason.outside_service_area": "The place is outside the service area.",
    "ops.reason.outside_operating_hours": "The service does not run at that time.",
    "ops.reason.min_lead_time": "The trip is too soon.",
    "ops.reason.booking_horizon": "The trip is too far ahead.",
    "ops.reason.early_morning_cutoff": "Early trips must be booked the evening before.",
    "ops.reason.max_active_bookings": "This rider account has the most open bookings allowed.",
    "ops.reason.no_show_limit": "This rider account is blocked after no-shows.",
    "ops.reason.no_vehicle_fits": "No vehicle has enough places (seats/wheelchair places).",
    "ops.reason.no_vehicle_available": "No vehicle is free at that time.",
    "ops.admin.title": "Administration",
    "ops.tab.bookings": "Bookings",
    "ops.tab.vehicles": "Vehicles",
    "ops.tab.shifts": "Shifts",
    "ops.tab.stops": "Stops",
    "ops.tab.area": "Service area",
    "ops.actions": "Actions",
    "ops.save": "Save",
    "ops.cancel": "Cancel",
    "ops.edit": "Edit",
    "ops.saved": "Saved.",
    "ops.created": "Created.",
    "ops.lat": "Latitude",
    "ops.lon": "Longitude",
    "ops.pick": "Choose on the map",
    "ops.pick.now": "Now click on the map to choose the place.",
    "ops.pick.done": "Place taken: {lat}, {lon}",
    "ops.yes": "yes",
    "ops.no": "no",
    "ops.bookings.caption": "Open bookings by pickup time",
    "ops.bookings.window": "Pickup window",
    "ops.bookings.from": "From",
    "ops.bookings.to": "To",
    "ops.bookings.pax": "Pass.",
    "ops.bookings.vehicle": "Vehicle",
    "ops.bookings.status": "Status",
    "ops.bookings.channel": "Channel",
    "ops.bookings.none": "No open bookings.",
    "ops.bookings.cancel": "Cancel",
    "ops.bookings.cancel_label": "Cancel the booking {from} → {to} at {time}",
    "ops.bookings.confirm_cancel": "Really cancel the booking from {from} to {to} ({time})?",
    "ops.bookings.cancelled": "The booking is cancelled.",
    "ops.status.confirmed": "confirmed",
    "ops.status.onboard": "on board",
    "ops.status.completed": "completed",
    "ops.status.cancelled": "cancelled",
    "ops.status.no_show": "no-show",
    "ops.channel.app": "app",
    "ops.channel.phone": "phone",
    "ops.vehicles.caption": "Vehicles",
    "ops.vehicles.label": "Label",
    "ops.vehicles.seats": "Seats",
    "ops.vehicles.wheelchairs": "Wheelchair places",
    "ops.vehicles.depot": "Depot",
    "ops.vehicles.active": "Active",
    "ops.vehicles.new": "New vehicle",
    "ops.vehicles.edit": "Edit vehicle {label}",
    "ops.shifts.caption": "Shifts",
    "ops.shifts.include_ended": "show ended shifts",
    "ops.shifts.vehicle": "Vehicle",
    "ops.shifts.start": "Start",
    "ops.shifts.end": "End",
    "ops.shifts.driver": "Driver",
    "ops.shifts.state": "State",
    "ops.shifts.stops": "Stops",
    "ops.shifts.new": "New shift",
    "ops.shifts.edit": "Edit shift {id} ({label})",
    "ops.shifts.no_driver": "– not assigned –",
    "ops.shifts.planned": "planned",
    "ops.shifts.running": "running",
    "ops.shifts.ended": "ended",
    "ops.shifts.end_now": "End",
    "ops.shifts.end_label": "End shift {id} ({label})",
    "ops.shifts.confirm_end": "End shift {id} ({label}) now?",
    "ops.shifts.need_times": "Please enter start and end.",
    "ops.shifts.no_vehicle": "Please choose a vehicle.",
    "ops.shifts.unchanged": "Nothing was changed.",
    "ops.stops.filter": "Filter stops",
    "ops.stops.caption": "Stops",
    "ops.stops.name": "Name",
    "ops.stops.town": "Town",
    "ops.stops.code": "Code",
    "ops.stops.position": "Position",
    "ops.stops.new": "New stop",
    "ops.stops.edit": "Edit stop {name}",
    "ops.stops.count": "{shown} of {total} stops",
    "ops.import.title": "Import stops",
    "ops.import.hint": "GTFS stops.txt or CSV (id, name, city, latitude, longitude). Stops outside the service area are skipped; known codes are updated.",
    "ops.import.file": "File",
    "ops.import.submit": "Import",
    "ops.import.none": "Please choose a file.",
    "ops.import.done": "{imported} stops imported, {outside} outside the service area skipped.",
    "ops.form.required": "Please fill in: {fields}.",
    "ops.area.hours": "Operating hours",
    "ops.area.day": "Day",
    "ops.area.open": "Service",
    "ops.area.closed": "no service",
    "ops.area.timezone": "Time zone: {tz}",
    "ops.area.rules": "Rules",
    "ops.area.polygon": "Area",
    "ops.area.whole": "The whole road network (no area polygon set).",
    "ops.area.points": "Polygon of {n} points (dashed on the map).",
    "ops.day.mon": "Monday", "ops.day.tue": "Tuesday", "ops.day.wed": "Wednesday", "ops.day.thu": "Thursday",
    "ops.day.fri": "Friday", "ops.day.sat": "Saturday", "ops.day.sun": "Sunday",
    "ops.rule.window_s": "Pickup window",
    "ops.rule.min_lead_s": "Minimum notice",
    "ops.rule.horizon_s": "Bookable ahead",
    "ops.rule.early_trip": "trips before {before} must be booked by {by} the evening before",
    "ops.rule.early_trip_label": "Early trips",
    "ops.rule.max_ride": "Longest ride",
    "ops.rule.max_ride_value": "{factor} × direct + {extra} min",
    "ops.rule.max_active_bookings": "Open bookings per rider",
    "ops.rule.no_show_limit": "Blocked after no-shows",
    "ops.rule.offer_ttl_s": "Offer valid for",
    "ops.rule.max_passengers": "Passengers per booking",
    "ops.unit.min": "{n} min",
    "ops.unit.days": "{n} days",
    "ops.unit.h": "{n} h",
    "err.invalid_stop_file": "The stop file does not fit: {message}",
    "err.shift_started": "The shift is running already and cannot be changed any more.",
    "err.shift_has_stops": "The shift has planned stops; its times cannot change.",
    "err.unknown_driver": "There is no such driver account: {message}",
    "err.unknown_rider": "There is no such rider account. Leave the e-mail empty or check it.",
    "err.unknown_vehicle": "This vehicle does not exist (any more).",
    "err.vehicle_inactive": "The vehicle is not active. Activate it first.",
    "err.invalid_rules": "The rules do not fit: {message}",
  },
});

// ------------------------------------------------------------------ small helpers
const $ = (sel, root = document) => root.querySelector(sel);

function sentence(err) {
  if (typeof err === "string") return err;
  try { return errorSentence(err); } catch (e) { return String(err && err.message || err); }
}

function showError(el, err) {
  el.textContent = sentence(err);
  el.hidden = false;
}

function clearMessages(...els) {
  for (const el of els) {
    if (!el) continue;
    el.textContent = "";
    if (el.getAttribute("role") === "alert") el.hidden = true;
  }
}

/** The wall-clock part ("2026-03-03T09:30") of an ISO time with the service's offset. */
function localInput(iso) {
  return iso ? String(iso).slice(0, 16) : "";
}

function inputNow(offsetMinutes) {
  const p = berlinNowParts(offsetMinutes);
  return `${p.date}T${p.time}`;
}

function num(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return new Intl.NumberFormat(getLanguage() === "de" ? "de-DE" : "en-GB",
    { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
}

function dayOf(iso) {
  return formatDateTime(iso).replace(/,\s*[^,]*$/, "");
}

// ------------------------------------------------------------------ state
const state = {
  user: null,
  map: null,
  stops: [],
  vehicles: [],
  shifts: [],
  drivers: [],
  bookings: [],
  live: [],
  kpis: null,
  area: null,
  timers: [],
  pick: null,              // "vehicle" | "stop" while the next map click sets a position
  lastConfirmation: null,
};

// ------------------------------------------------------------------ log-in
function showLogin(message) {
  $("#dashboard").hidden = true;
  $("#login-view").hidden = false;
  $("#logout").hidden = true;
  $("#who").hidden = true;
  const err = $("#login-error");
  if (message) showError(err, message); else clearMessages(err);
  $("#login-email").focus();
}

function notOperatorSentence(role) {
  return t("ops.login.not_operator", { role: t(`ops.role.${role}`) });
}

async function onLogin(event) {
  event.preventDefault();
  const err = $("#login-error");
  clearMessages(err);
  const email = $("#login-email").value.trim();
  const password = $("#login-password").value;
  if (!email || !password) { showError(err, t("ops.login.missing")); return; }
  const button = event.submitter || $("#login-form button[type=submit]");
  button.disabled = true;
  try {
    await login(email, password);
    const user = await me();
    if (!user || user.role !== "operator") {
      try { await logout(); } catch (e) { /* token dropped anyway */ }
      showError(err, notOperatorSentence(user ? user.role : "rider"));
      return;
    }
    $("#login-password").value = "";
    await enterDashboard(user);
  } catch (e) {
    showError(err, e);
  } finally {
    button.disabled = false;
  }
}

async function onLogout() {
  for (const id of state.timers) clearInterval(id);
  state.timers = [];
  try { await logout(); } catch (e) { /* nothing to do */ }
  showLogin();
}

// ------------------------------------------------------------------ dashboard
async function enterDashboard(user) {
  state.user = user;
  $("#login-view").hidden = true;
  $("#dashboard").hidden = false;
  $("#logout").hidden = false;
  const who = $("#who");
  who.textContent = user.name || user.email;
  who.hidden = false;
  $("#main").focus({ preventScroll: true });

  await loadStops();
  if (!state.map) {
    state.map = createMap($("#map"), { stops: false, label: t("ops.map.label") });
    state.map.onClick(onMapClick);
    state.map.ready.then(() => { renderLive(); renderArea(); }).catch(() => {});
  }
  await Promise.allSettled([refreshLive(), refreshKpis(), loadVehicles(), loadDrivers(), loadArea()]);
  await loadShifts();
  for (const id of state.timers) clearInterval(id);
  state.timers = [
    setInterval(() => { if (!document.hidden) refreshLive(); }, LIVE_EVERY_MS),
    setInterval(() => { if (!document.hidden) refreshKpis(); }, KPI_EVERY_MS),
  ];
}

function globalError(err) {
  if (err && err.status === 401) { onLogout(); return; }
  showError($("#global-error"), err);
}

// ------------------------------------------------------------------ KPIs
function formatKpi(key, value) {
  if (value === null || value === undefined) return "–";
  if (key.endsWith("_s")) return t("ops.kpi.min", { value: num(value / 60, 1) });
  if (key === "occupancy" || key === "detour_mean") return num(value, 2);
  if (key.endsWith("_km")) return num(value, 1);
  return num(value, 0);
}

async function refreshKpis() {
  try {
    const k = await api("/api/v1/ops/kpis");
    state.kpis = k;
    renderKpis();
  } catch (e) {
    globalError(e);
  }
}

function renderKpis() {
  const k = state.kpis;
  if (!k) return;
  for (const tile of document.querySelectorAll("[data-kpi]")) {
    const key = tile.dataset.kpi;
    const value = k[key];
    tile.querySelector(".tile-value").textContent = formatKpi(key, value);
    tile.dataset.value = value === null || value === undefined ? "" : String(value);
  }
  const causes = Object.entries(k.rejections_by_cause || {});
  $("#kpi-rejections").textContent = causes
    .map(([code, n]) => `${n} × ${code.replaceAll("_", " ")}`).join(", ");
  $("#kpi-since").textContent = k.since ? t("ops.kpi.since", { time: formatDateTime(k.since) }) : "";
}

// ------------------------------------------------------------------ live map and bookings
async function refreshLive() {
  try {
    const [live, bookings] = await Promise.all([api("/api/v1/ops/live"), api("/api/v1/ops/bookings")]);
    state.live = live;
    state.bookings = bookings;
    clearMessages($("#global-error"));
    renderLive();
    renderBookings();
    state.liveAt = new Date();
    $("#live-updated").textContent = t("ops.live.updated", { time: formatTime(state.liveAt) });
  } catch (e) {
    globalError(e);
  }
}

function renderLive() {
  const map = state.map;
  const vehicles = state.live.map((v) => ({
    id: v.vehicle_id, label: v.label,
    lat: v.lat ?? v.anchor_lat, lon: v.lon ?? v.anchor_lon,
  }));
  const next = [];
  for (const v of state.live) {
    for (const s of v.next_stops.slice(0, 3)) {
      next.push({ lat: s.lat, lon: s.lon, label: `${v.label}: ${s.name} ${formatTime(s.time)}`, kind: s.kind });
    }
  }
  const open = state.bookings.filter((b) => b.status === "confirmed").map((b) => ({
    lat: b.origin.lat, lon: b.origin.lon, label: `${b.origin.name} ${formatTime(b.pickup_earliest)}`, kind: "origin",
  }));
  if (map) {
    map.setVehicles(vehicles);
    map.setMarkers("next", next);
    map.setMarkers("bookings", open);
  }
  const list = $("#live-list");
  list.replaceChildren();
  if (!state.live.length) {
    list.append(el("li", { class: "muted" }, t("ops.live.none")));
    return;
  }
  for (const v of state.live) {
    const first = v.next_stops[0];
    const line = first
      ? t("ops.live.next", { name: `${first.name} (${t(`ops.live.${first.kind}`)})`, time: formatTime(first.time) })
      : t("ops.live.idle");
    list.append(el("li", { dataset: { vehicleId: v.vehicle_id } },
      el("strong", {}, v.label), " ",
      el("span", { class: "badge", "data-status": v.started ? "onboard" : "" },
        v.started ? t("ops.live.driving") : t("ops.live.waiting")),
      el("span", { class: "live-next" }, line)));
  }
}

function renderBookings() {
  const body = $("#bookings-table tbody");
  body.replaceChildren();
  $("#bookings-empty").hidden = state.bookings.length > 0;
  $("#bookings-table").hidden = state.bookings.length === 0;
  for (const b of state.bookings) {
    const when = `${dayOf(b.pickup_earliest)}, ${formatTime(b.pickup_earliest)}–${formatTime(b.pickup_latest)}`;
    const caller = callerText(b.caller_name, b.caller_phone);     // phone bookings: whom it is for
    const cancel = el("button", {
      type: "button", class: "btn-small btn-danger",
      "aria-label": t("ops.bookings.cancel_label", { from: b.origin.name, to: b.destination.name, time: formatTime(b.pickup_earliest) }),
      onclick: () => cancelBooking(b),
    }, t("ops.bookings.cancel"));
    body.append(el("tr", { dataset: { bookingId: b.booking_id } },
      el("td", {}, when),
      el("td", {}, b.origin.name),
      el("td", {}, b.destination.name),
      el("td", {}, b.wheelchairs ? `${b.passengers} (♿ ${b.wheelchairs})` : String(b.passengers)),
      el("td", {}, b.vehicle ? b.vehicle.label : "–"),
      el("td", {}, el("span", { class: "badge", "data-status": b.status }, t(`ops.status.${b.status}`))),
      el("td", {}, t(`ops.channel.${b.channel}`), caller ? el("div", { class: "small caller" }, caller) : null),
      el("td", {}, b.status === "confirmed" ? cancel : "")));
  }
}

async function cancelBooking(b) {
  const err = $("#bookings-error");
  clearMessages(err);
  const question = t("ops.bookings.confirm_cancel", { from: b.origin.name, to: b.destination.name, time: formatTime(b.pickup_earliest) });
  if (!window.confirm(question)) return;
  try {
    await api(`/api/v1/ops/bookings/${encodeURIComponent(b.booking_id)}/cancel`, { method: "POST" });
    await refreshLive();
    refreshKpis();
  } catch (e) {
    showError(err, e);
  }
}

// ------------------------------------------------------------------ map clicks (choose a position)
function startPick(kind) {
  state.pick = kind;
  const status = $(`#${kind}-status`);
  status.textContent = t("ops.pick.now");
  $("#map").scrollIntoView({ behavior: "smooth", block: "center" });
}

function onMapClick(lat, lon) {
  if (!state.pick) return;
  const kind = state.pick;
  state.pick = null;
  const la = Math.round(lat * 1e6) / 1e6;
  const lo = Math.round(lon * 1e6) / 1e6;
  const form = $(`#${kind}-form`);
  form.querySelector(kind === "vehicle" ? "[name=depot_lat]" : "[name=lat]").value = la;
  form.querySelector(kind === "vehicle" ? "[name=depot_lon]" : "[name=lon]").value = lo;
  state.map.setMarkers("pick", [{ lat: la, lon: lo, label: "", kind: "warning" }]);
  $(`#${kind}-status`).textContent = t("ops.pick.done", { lat: la, lon: lo });
  form.querySelector("button[type=submit]").focus({ preventScroll: true });
}

// ------------------------------------------------------------------ stop search (combobox)
function setupCombo(root) {
  const input = root.querySelector("input");
  const list = root.querySelector("ul");
  const combo = { selected: null, options: [], active: -1 };
  let seq = 0;
  let timer = null;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    combo.active = -1;
  }

  function choose(stop) {
    combo.selected = stop;
    input.value = stop.name;
    input.removeAttribute("aria-invalid");
    close();
  }

  function highlight(i) {
    const items = [...list.querySelectorAll("[role=option]")];
    combo.active = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, k) => li.setAttribute("aria-selected", String(k === combo.active)));
    const cur = items[combo.active];
    if (cur) { input.setAttribute("aria-activedescendant", cur.id); cur.scrollIntoView({ block: "nearest" }); }
  }

  function render(stops) {
    combo.options = stops;
    list.replaceChildren();
    if (!stops.length) {
      list.append(el("li", { class: "muted combo-empty", role: "option", "aria-disabled": "true", id: `${list.id}-none` },
        t("ops.phone.no_results")));
    }
    stops.forEach((s, i) => {
      list.append(el("li", {
        role: "option", id: `${list.id}-${i}`, "aria-selected": "false", dataset: { stopId: s.id },
        onmousedown: (e) => { e.preventDefault(); choose(s); },
      }, s.name, s.town && !s.name.startsWith(s.town) ? el("span", { class: "town" }, s.town) : null));
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++seq;
    if (q.length < 1) { close(); return; }
    try {
      const stops = await api(`/api/v1/stops?q=${encodeURIComponent(q)}&limit=8`);
      if (mine === seq && document.activeElement === input) render(stops);
    } catch (e) {
      showError($("#phone-error"), e);
    }
  }

  input.addEventListener("input", () => {
    combo.selected = null;
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener("keydown", (e) => {
    const open = !list.hidden && combo.options.length;
    if (e.key === "ArrowDown") { e.preventDefault(); if (!open) search(); else highlight(combo.active + 1); }
    else if (e.key === "ArrowUp") { if (open) { e.preventDefault(); highlight(combo.active - 1); } }
    else if (e.key === "Enter") {
      if (open) {
        e.preventDefault();
        choose(combo.options[combo.active >= 0 ? combo.active : 0]);
      }
    } else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", () => {
    // an exact name typed (or pasted) counts as chosen
    if (!combo.selected) {
      const exact = combo.options.find((s) => s.name.toLowerCase() === input.value.trim().toLowerCase());
      if (exact) combo.selected = exact;
    }
    setTimeout(close, 100);
  });
  combo.input = input;
  combo.reset = () => { combo.selected = null; combo.options = []; input.value = ""; close(); };
  return combo;
}

// ------------------------------------------------------------------ phone booking
let combos = {};

function timeMode() {
  return $("#phone-form").querySelector("[name=time_mode]:checked").value;
}

function onTimeMode() {
  const input = $("#trip-time");
  const mode = timeMode();
  input.disabled = mode === "now";
  if (mode !== "now" && !input.value) input.value = inputNow(mode === "arrive_by" ? 90 : 60).replace(/\d$/, "0");
}

async function onPhoneQuote(event) {
  event.preventDefault();
  const err = $("#phone-error");
  clearMessages(err);
  const offers = $("#phone-offers");
  offers.replaceChildren();
  const origin = combos.origin.selected;
  const destination = combos.destination.selected;
  if (!origin) { combos.origin.input.setAttribute("aria-invalid", "true"); combos.origin.input.focus(); showError(err, t("ops.phone.pick_origin")); return; }
  if (!destination) { combos.destination.input.setAttribute("aria-invalid", "true"); combos.destination.input.focus(); showError(err, t("ops.phone.pick_destination")); return; }
  if (origin.id === destination.id) { combos.destination.input.focus(); showError(err, t("ops.phone.same_stop")); return; }
  const passengers = Number($("#passengers").value);
  const wheelchairs = Number($("#wheelchairs").value || 0);
  if (!Number.isInteger(passengers) || passengers < 1 || passengers > 8 || !Number.isInteger(wheelchairs)
      || wheelchairs < 0 || wheelchairs > 2 || wheelchairs > passengers) {
    $("#passengers").focus();
    showError(err, t("ops.phone.bad_counts"));
    return;
  }
  const body = { origin: { stop_id: origin.id }, destination: { stop_id: destination.id }, passengers, wheelchairs };
  const mode = timeMode();
  if (mode !== "now") {
    const value = $("#trip-time").value;
    if (!value) { $("#trip-time").focus(); showError(err, t("ops.phone.need_time")); return; }
    body[mode] = value;       // local time of the service area (no offset)
  }
  const callerName = $("#caller-name").value.trim();
  const callerPhone = $("#caller-phone").value.trim();
  if (callerName) body.caller_name = callerName;     // the server checks both and says what to fix
  if (callerPhone) body.caller_phone = callerPhone;
  const email = $("#caller-email").value.trim();
  if (email) body.rider_email = email;
  const button = $("#phone-quote");
  button.disabled = true;
  try {
    const quote = await api("/api/v1/ops/quotes", { method: "POST", body });
    renderOffers(quote);
    refreshKpis();
  } catch (e) {
    showError(err, e);
  } finally {
    button.disabled = false;
  }
}

/** "Name, Tel. 03521 123456", "Name", "Tel. …" or "" (a phone booking's caller). */
function callerText(name, phone) {
  if (name && phone) return `${name}, Tel. ${phone}`;
  return name || (phone ? `Tel. ${phone}` : "");
}

function renderOffers(quote) {
  const box = $("#phone-offers");
  box.replaceChildren();
  if (!quote.offers.length) {
    const reason = quote.reason || { code: "no_vehicle_available", message: "" };
    const key = `ops.reason.${reason.code}`;
    const known = t(key) !== key;
    const text = known ? `${t(key)} ${reason.message ? `(${reason.message})` : ""}` : reason.message;
    showError($("#phone-error"), t("ops.phone.no_offer", { sentence: text.trim() }));
    return;
  }
  box.append(el("h3", {}, t("ops.phone.offers")));
  const list = el("ul", { class: "offer-list" });
  for (const o of quote.offers) {
    const id = `offer-${o.offer_id}`;
    list.append(el("li", { class: "offer", id, dataset: { offerId: o.offer_id } },
      el("p", { class: "offer-window" },
        t("ops.phone.window", { date: dayOf(o.pickup_earliest), from: formatTime(o.pickup_earliest), to: formatTime(o.pickup_latest) }),
        o.alternative ? el("span", { class: "badge" }, t("ops.phone.alternative")) : null),
      el("p", { class: "muted small" },
        t("ops.phone.plan", { pickup: formatTime(o.planned_pickup), dropoff: formatTime(o.planned_dropoff), latest: formatTime(o.dropoff_latest) }),
        " · ", t("ops.phone.expires", { time: formatTime(o.expires_at) })),
      el("button", {
        type: "button", class: "btn-primary", "aria-describedby": id,
        "aria-label": t("ops.phone.book_label", { from: formatTime(o.pickup_earliest), to: formatTime(o.pickup_latest) }),
        onclick: (e) => bookOffer(o, e.currentTarget),
      }, t("ops.phone.book"))));
  }
  box.append(list);
  const first = list.querySelector("button");
  if (first) first.focus();
}

async function bookOffer(offer, button) {
  const err = $("#phone-error");
  clearMessages(err);
  for (const b of document.querySelectorAll("#phone-offers button")) b.disabled = true;
  try {
    const booking = await api("/api/v1/ops/bookings", {
      method: "POST", body: { offer_id: offer.offer_id }, headers: { "Idempotency-Key": newIdempotencyKey() },
    });
    state.lastConfirmation = { booking, caller: callerText(booking.caller_name, booking.caller_phone) };
    renderConfirmation();
    $("#phone-offers").replaceChildren();
    refreshLive();
    refreshKpis();
  } catch (e) {
    showError(err, e);
    for (const b of document.querySelectorAll("#phone-offers button")) b.disabled = false;
    if (button) button.focus();
  }
}

function renderConfirmation() {
  const box = $("#phone-confirmation");
  const c = state.lastConfirmation;
  if (!c) { box.hidden = true; return; }
  const b = c.booking;
  box.dataset.bookingId = b.booking_id;
  box.dataset.pickupEarliest = b.pickup_earliest;
  box.dataset.pickupLatest = b.pickup_latest;
  box.replaceChildren(
    el("p", { class: "big" }, t("ops.phone.booked", {
      caller: c.caller ? t("ops.phone.booked_for", { name: c.caller }) : "",
      date: dayOf(b.pickup_earliest), from: formatTime(b.pickup_earliest), to: formatTime(b.pickup_latest),
      origin: b.origin.name, destination: b.destination.name, latest: formatTime(b.dropoff_latest),
    })),
    el("p", {}, t("ops.phone.booked_vehicle", { label: b.vehicle ? b.vehicle.label : "–", id: b.booking_id.slice(0, 8) })),
    el("p", { class: "muted" }, t("ops.phone.tell")),
    el("button", { type: "button", class: "btn-small", onclick: resetPhoneForm }, t("ops.phone.new")));
  box.hidden = false;
  box.setAttribute("tabindex", "-1");
  box.focus();
}

function resetPhoneForm() {
  state.lastConfirmation = null;
  $("#phone-form").reset();
  combos.origin.reset();
  combos.destination.reset();
  onTimeMode();
  $("#phone-confirmation").hidden = true;
  $("#caller-name").focus();
}

// ------------------------------------------------------------------ generic edit forms
function missing(form, names) {
  const empty = names.filter((n) => !String(form.elements[n].value).trim());
  for (const n of names) {
    if (empty.includes(n)) form.elements[n].setAttribute("aria-invalid", "true");
    else form.elements[n].removeAttribute("aria-invalid");
  }
  if (!empty.length) return null;
  form.elements[empty[0]].focus();
  const labels = empty.map((n) => {
    const label = form.querySelector(`label[for="${form.elements[n].id}"]`);
    return label ? label.textContent.trim() : n;
  });
  return t("ops.form.required", { fields: labels.join(", ") });
}

function setEditing(form, titleKey, params) {
  const title = form.querySelector("h3");
  const editing = params !== null;
  title.textContent = editing ? t(titleKey, params) : t(title.dataset.i18n);
  form.querySelector(".cancel-edit").hidden = !editing;
}

function resetForm(form, newTitleKey) {
  form.reset();
  form.elements.id.value = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const title = form.querySelector("h3");
  title.textContent = t(newTitleKey);
  form.querySelector(".cancel-edit").hidden = true;
}

// ------------------------------------------------------------------ vehicles
async function loadVehicles() {
  try {
    state.vehicles = await api("/api/v1/ops/vehicles");
    renderVehicles();
    renderShiftVehicleOptions();
  } catch (e) {
    globalError(e);
  }
}

function renderVehicles() {
  const body = $("#vehicles-table tbody");
  body.replaceChildren();
  for (const v of state.vehicles) {
    body.append(el("tr", { dataset: { vehicleId: v.id } },
      el("th", { scope: "row" }, v.label),
      el("td", {}, String(v.seats)),
      el("td", {}, String(v.wheelchair_places)),
      el("td", { class: "coords" }, `${v.depot_lat.toFixed(4)}, ${v.depot_lon.toFixed(4)}`),
      el("td", {}, v.active ? t("ops.yes") : t("ops.no")),
      el("td", {}, el("button", {
        type: "button", class: "btn-small", "aria-label": t("ops.vehicles.edit", { label: v.label }),
        onclick: () => editVehicle(v),
      }, t("ops.edit")))));
  }
}

function editVehicle(v) {
  const form = $("#vehicle-form");
  clearMessages($("#vehicle-error"), $("#vehicle-status"));
  form.elements.id.value = v.id;
  form.elements.label.value = v.label;
  form.elements.seats.value = v.seats;
  form.elements.wheelchair_places.value = v.wheelchair_places;
  form.elements.depot_lat.value = v.depot_lat;
  form.elements.depot_lon.value = v.depot_lon;
  form.elements.active.checked = v.active;
  $("#vehicle-active-row").hidden = false;
  setEditing(form, "ops.vehicles.edit", { label: v.label });
  form.elements.label.focus();
}

async function onVehicleSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#vehicle-error");
  const status = $("#vehicle-status");
  clearMessages(err, status);
  const problem = missing(form, ["label", "seats", "depot_lat", "depot_lon"]);
  if (problem) { showError(err, problem); return; }
  const body = {
    label: form.elements.label.value.trim(),
    seats: Number(form.elements.seats.value),
    wheelchair_places: Number(form.elements.wheelchair_places.value || 0),
    depot_lat: Number(form.elements.depot_lat.value),
    depot_lon: Number(form.elements.depot_lon.value),
  };
  const id = form.elements.id.value;
  try {
    if (id) {
      body.active = form.elements.active.checked;
      await api(`/api/v1/ops/vehicles/${id}`, { method: "PATCH", body });
    } else {
      await api("/api/v1/ops/vehicles", { method: "POST", body });
    }
    resetVehicleForm();
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadVehicles();
  } catch (e) {
    showError(err, e);
  }
}

function resetVehicleForm() {
  resetForm($("#vehicle-form"), "ops.vehicles.new");
  $("#vehicle-active-row").hidden = true;
}

// ------------------------------------------------------------------ shifts
async function loadDrivers() {
  try {
    state.drivers = await api("/api/v1/ops/users?role=driver");
    renderDriverOptions();
  } catch (e) {
    globalError(e);
  }
}

function renderDriverOptions() {
  const select = $("#shift-driver");
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, t("ops.shifts.no_driver")),
    ...state.drivers.map((d) => el("option", { value: d.email }, `${d.name} (${d.email})`)));
  select.value = keep;
}

function renderShiftVehicleOptions() {
  const select = $("#shift-vehicle");
  const keep = select.value;
  select.replaceChildren(...state.vehicles.filter((v) => v.active || String(v.id) === keep)
    .map((v) => el("option", { value: v.id }, v.label)));
  if (keep) select.value = keep;
}

async function loadShifts() {
  try {
    const ended = $("#shifts-ended").checked;
    state.shifts = await api(`/api/v1/ops/shifts${ended ? "?include_ended=true" : ""}`);
    renderShifts();
  } catch (e) {
    globalError(e);
  }
}

function driverName(id) {
  const d = state.drivers.find((x) => x.id === id);
  return d ? d.name : (id ? `#${id}` : "–");
}

function renderShifts() {
  const body = $("#shifts-table tbody");
  body.replaceChildren();
  for (const s of state.shifts) {
    const stateText = s.ended ? t("ops.shifts.ended") : s.started ? t("ops.shifts.running") : t("ops.shifts.planned");
    const actions = el("td", { class: "actions" });
    if (!s.started && !s.ended) {
      actions.append(el("button", {
        type: "button", class: "btn-small", "aria-label": t("ops.shifts.edit", { id: s.id, label: s.vehicle_label }),
        onclick: () => editShift(s),
      }, t("ops.edit")));
    }
    if (!s.ended) {
      actions.append(el("button", {
        type: "button", class: "btn-small btn-danger", "aria-label": t("ops.shifts.end_label", { id: s.id, label: s.vehicle_label }),
        onclick: () => endShift(s),
      }, t("ops.shifts.end_now")));
    }
    body.append(el("tr", { dataset: { shiftId: s.id } },
      el("th", { scope: "row" }, s.vehicle_label),
      el("td", {}, formatDateTime(s.start)),
      el("td", {}, formatDateTime(s.end)),
      el("td", {}, driverName(s.driver_id)),
      el("td", {}, stateText),
      el("td", {}, String(s.planned_stops)),
      actions));
  }
}

function editShift(s) {
  const form = $("#shift-form");
  clearMessages($("#shift-error"), $("#shift-status"));
  form.elements.id.value = s.id;
  renderShiftVehicleOptions();
  form.elements.vehicle_id.value = s.vehicle_id;
  form.elements.vehicle_id.disabled = true;
  form.elements.start.value = localInput(s.start);
  form.elements.end.value = localInput(s.end);
  const driver = state.drivers.find((d) => d.id === s.driver_id);
  form.elements.driver_email.value = driver ? driver.email : "";
  form.dataset.original = JSON.stringify({ start: form.elements.start.value, end: form.elements.end.value,
    driver: form.elements.driver_email.value });
  setEditing(form, "ops.shifts.edit", { id: s.id, label: s.vehicle_label });
  form.elements.start.focus();
}

async function onShiftSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#shift-error");
  const status = $("#shift-status");
  clearMessages(err, status);
  const id = form.elements.id.value;
  if (!id && !form.elements.vehicle_id.value) { showError(err, t("ops.shifts.no_vehicle")); return; }
  const problem = missing(form, ["start", "end"]);
  if (problem) { showError(err, problem); return; }
  const start = form.elements.start.value;
  const end = form.elements.end.value;
  const driver = form.elements.driver_email.value;
  try {
    if (id) {
      const original = JSON.parse(form.dataset.original || "{}");
      const body = {};
      if (start !== original.start) body.start = start;
      if (end !== original.end) body.end = end;
      if (driver !== original.driver) body.driver_email = driver || null;
      if (!Object.keys(body).length) { status.textContent = t("ops.shifts.unchanged"); return; }
      await api(`/api/v1/ops/shifts/${id}`, { method: "PATCH", body });
    } else {
      const body = { vehicle_id: Number(form.elements.vehicle_id.value), start, end };
      if (driver) body.driver_email = driver;
      await api("/api/v1/ops/shifts", { method: "POST", body });
    }
    resetShiftForm();
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadShifts();
    refreshLive();
  } catch (e) {
    showError(err, e);
  }
}

function resetShiftForm() {
  const form = $("#shift-form");
  resetForm(form, "ops.shifts.new");
  form.elements.vehicle_id.disabled = false;
  delete form.dataset.original;
}

async function endShift(s) {
  const err = $("#shift-error");
  clearMessages(err, $("#shift-status"));
  if (!window.confirm(t("ops.shifts.confirm_end", { id: s.id, label: s.vehicle_label }))) return;
  try {
    await api(`/api/v1/ops/shifts/${s.id}/end`, { method: "POST" });
    await loadShifts();
    refreshLive();
  } catch (e) {
    showError(err, e);
  }
}

// ------------------------------------------------------------------ stops
async function loadStops() {
  try {
    state.stops = await api("/api/v1/stops?limit=5000");
    renderStops();
  } catch (e) {
    globalError(e);
  }
}

function renderStops() {
  const q = $("#stops-filter").value.trim().toLowerCase();
  const match = q ? state.stops.filter((s) => `${s.name} ${s.town} ${s.code || ""}`.toLowerCase().includes(q)) : state.stops;
  const body = $("#stops-table tbody");
  body.replaceChildren();
  for (const s of match.slice(0, STOP_ROWS)) {
    body.append(el("tr", { dataset: { stopId: s.id } },
      el("th", { scope: "row" }, s.name),
      el("td", {}, s.town || ""),
      el("td", { class: "code" }, s.code || ""),
      el("td", { class: "coords" }, `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`),
      el("td", {}, el("button", {
        type: "button", class: "btn-small", "aria-label": t("ops.stops.edit", { name: s.name }),
        onclick: () => editStop(s),
      }, t("ops.edit")))));
  }
  $("#stops-count").textContent = t("ops.stops.count", { shown: Math.min(match.length, STOP_ROWS), total: match.length });
}

function editStop(s) {
  const form = $("#stop-form");
  clearMessages($("#stop-error"), $("#stop-status"));
  form.elements.id.value = s.id;
  form.elements.name.value = s.name;
  form.elements.town.value = s.town || "";
  form.elements.code.value = s.code || "";
  form.elements.lat.value = s.lat;
  form.elements.lon.value = s.lon;
  form.dataset.original = JSON.stringify({ name: s.name, town: s.town || "", code: s.code || "", lat: String(s.lat), lon: String(s.lon) });
  setEditing(form, "ops.stops.edit", { name: s.name });
  form.elements.name.focus();
}

async function onStopSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#stop-error");
  const status = $("#stop-status");
  clearMessages(err, status);
  const problem = missing(form, ["name", "lat", "lon"]);
  if (problem) { showError(err, problem); return; }
  const values = {
    name: form.elements.name.value.trim(), town: form.elements.town.value.trim(), code: form.elements.code.value.trim(),
    lat: form.elements.lat.value, lon: form.elements.lon.value,
  };
  const id = form.elements.id.value;
  try {
    if (id) {
      const original = JSON.parse(form.dataset.original || "{}");
      const body = {};
      for (const k of ["name", "town", "code"]) if (values[k] !== original[k]) body[k] = values[k];
      for (const k of ["lat", "lon"]) if (values[k] !== original[k]) body[k] = Number(values[k]);
      if (Object.keys(body).length) await api(`/api/v1/ops/stops/${id}`, { method: "PATCH", body });
    } else {
      const body = { name: values.name, town: values.town, lat: Number(values.lat), lon: Number(values.lon) };
      if (values.code) body.code = values.code;
      await api("/api/v1/ops/stops", { method: "POST", body });
    }
    resetStopForm();
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadStops();
  } catch (e) {
    showError(err, e);
  }
}

function resetStopForm() {
  const form = $("#stop-form");
  resetForm(form, "ops.stops.new");
  delete form.dataset.original;
}

async function onImport(event) {
  event.preventDefault();
  const err = $("#import-error");
  const status = $("#import-status");
  clearMessages(err, status);
  const file = $("#import-file").files[0];
  if (!file) { $("#import-file").focus(); showError(err, t("ops.import.none")); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  const button = event.currentTarget.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const result = await api("/api/v1/ops/stops/import", { method: "POST", body: form });
    status.textContent = t("ops.import.done", { imported: result.imported, outside: result.outside_area });
    $("#import-file").value = "";
    await loadStops();
  } catch (e) {
    showError(err, e);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ service area
async function loadArea() {
  try {
    state.area = await api("/api/v1/ops/service-area");
    renderArea();
  } catch (e) {
    showError($("#area-error"), e);
  }
}

function minutes(s) { return t("ops.unit.min", { n: num(s / 60, 0) }); }

function renderArea() {
  const a = state.area;
  if (!a) return;
  const r = a.rules;
  const body = $("#hours-table tbody");
  body.replaceChildren();
  for (const day of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) {
    const span = r.operating_hours ? r.operating_hours[day] : null;
    body.append(el("tr", { dataset: { day } }, el("th", { scope: "row" }, t(`ops.day.${day}`)),
      el("td", {}, span ? `${span[0]}–${span[1]}` : t("ops.area.closed"))));
  }
  $("#area-timezone").textContent = t("ops.area.timezone", { tz: r.timezone || TIME_ZONE });
  const rules = [
    ["ops.rule.window_s", minutes(r.window_s)],
    ["ops.rule.min_lead_s", minutes(r.min_lead_s)],
    ["ops.rule.horizon_s", r.horizon_s % 86400 === 0 ? t("ops.unit.days", { n: r.horizon_s / 86400 }) : t("ops.unit.h", { n: num(r.horizon_s / 3600, 1) })],
    ["ops.rule.early_trip_label", r.early_trip_before ? t("ops.rule.early_trip", { before: r.early_trip_before, by: r.early_trip_book_by }) : "–"],
    ["ops.rule.max_ride", t("ops.rule.max_ride_value", { factor: num(r.max_ride_factor, 2), extra: num(r.max_ride_extra_s / 60, 0) })],
    ["ops.rule.max_active_bookings", String(r.max_active_bookings)],
    ["ops.rule.no_show_limit", String(r.no_show_limit)],
    ["ops.rule.offer_ttl_s", minutes(r.offer_ttl_s)],
    ["ops.rule.max_passengers", String(r.max_passengers)],
  ];
  $("#rules-list").replaceChildren(...rules.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, v)]));
  const ring = polygonRing(a.polygon);
  $("#area-polygon").textContent = ring ? t("ops.area.points", { n: ring.length }) : t("ops.area.whole");
  if (state.map && ring && typeof state.map.setRoute === "function") {
    try { state.map.setRoute(ring.map(([lon, lat]) => [lat, lon])); } catch (e) { /* optional */ }
  }
}

function polygonRing(polygon) {
  if (!polygon) return null;
  if (Array.isArray(polygon)) return polygon;
  if (polygon.coordinates && polygon.coordinates[0]) return polygon.coordinates[0];
  return null;
}

// ------------------------------------------------------------------ tabs
function setupTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  function select(tab, focus) {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      other.tabIndex = on ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    if (tab.id === "tab-shifts") loadShifts();
  }
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (e) => {
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = tabs.length - 1;
      if (j !== null) { e.preventDefault(); select(tabs[j], true); }
    });
  });
}

// ------------------------------------------------------------------ start
function rerender() {
  if (!state.user) return;
  renderKpis();
  renderLive();
  if (state.liveAt) $("#live-updated").textContent = t("ops.live.updated", { time: formatTime(state.liveAt) });
  renderBookings();
  renderVehicles();
  renderDriverOptions();
  renderShifts();
  renderStops();
  renderArea();
  renderConfirmation();
  document.title = t("ops.title");
}

async function start() {
  applyTranslations(document);
  document.title = t("ops.title");
  languageSwitch(document);
  onLanguageChange(rerender);
  setupTabs();
  combos = {
    origin: setupCombo($("[data-combo=origin]")),
    destination: setupCombo($("[data-combo=destination]")),
  };
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  window.addEventListener("ride-pool:logged-out", () => { if (state.user) { state.user = null; onLogout(); } });
  $("#phone-form").addEventListener("submit", onPhoneQuote);
  for (const r of document.querySelectorAll("[name=time_mode]")) r.addEventListener("change", onTimeMode);
  $("#vehicle-form").addEventListener("submit", onVehicleSubmit);
  $("#vehicle-form .cancel-edit").addEventListener("click", resetVehicleForm);
  $("#shift-form").addEventListener("submit", onShiftSubmit);
  $("#shift-form .cancel-edit").addEventListener("click", resetShiftForm);
  $("#shifts-ended").addEventListener("change", loadShifts);
  $("#stop-form").addEventListener("submit", onStopSubmit);
  $("#stop-form .cancel-edit").addEventListener("click", resetStopForm);
  $("#stops-filter").addEventListener("input", renderStops);
  $("#import-form").addEventListener("submit", onImport);
  for (const b of document.querySelectorAll("[data-pick]")) b.addEventListener("click", () => startPick(b.dataset.pick));
  const startShift = inputNow(60);
  $("#shift-start").placeholder = startShift;

  let user = null;
  try { user = await me(); } catch (e) { user = null; }
  if (user && user.role === "operator") {
    try { await enterDashboard(user); } catch (e) { globalError(e); }
  } else if (user) {
    try { await logout(); } catch (e) { /* ignore */ }
    showLogin(notOperatorSentence(user.role));
  } else {
    showLogin();
  }
  document.body.dataset.ready = "true";
}

start();
