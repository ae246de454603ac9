// The rider's bookings: the list (#/bookings) and one booking (#/bookings/<id>) with its live state
// (server-sent events of GET /api/v1/bookings/<id>/events, polling as a fallback), the vehicle on
// the map while the ride is open, and cancelling.

import { api, ApiError, subscribe } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { addTranslations, durationWords, formatDateTime, formatDay, formatTime, minutesUntil, t } from "/static/js/i18n.js";
import changeTexts from "/static/js/i18n/changes.js";
import { createMap } from "/static/js/map.js";
import { accessSentence, euros, placeName } from "/static/js/trip-form.js";
import { connectionSentence, connectionWarning } from "/static/js/connection.js";
import { $, clearMessages, info, showError } from "/static/js/rider/messages.js";

const ACTIVE = new Set(["confirmed", "onboard"]);
const POLL_MS = 15000;

const ride = {
  onReturnTrip: null,        // (origin, destination, pickupAfter) from the page: plan a trip
  list: [],
  booking: null, bookingId: null, bookingMissing: false, updatedAt: null,
  source: null, poll: 0,
  map: null, vehicleFitted: false,
};

export function setUpBookings({ onReturnTrip } = {}) {
  ride.onReturnTrip = onReturnTrip;
  $("cancel").addEventListener("click", cancelBooking);
  $("return-trip").addEventListener("click", () => { if (ride.booking) returnTrip(ride.booking); });
}

/** Where the rider wanted to go (the place asked for; a booking served at the nearest stop keeps it). */
function askedPlace(p) {
  const a = p.asked || p;
  const place = { lat: a.lat, lon: a.lon, name: a.name || p.name };
  if (!p.asked && p.stop_id) place.stop_id = p.stop_id;
  return place;
}

/** Local "YYYY-MM-DDTHH:MM" of an ISO time plus minutes, rounded up to 5 minutes. */
function localPlus(iso, minutes) {
  const d = new Date(Date.parse(iso) + minutes * 60000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(d).map((p) => [p.type, p.value]));
  let h = Number(parts.hour), m = Math.ceil(Number(parts.minute) / 5) * 5;
  if (m === 60) { m = 0; h = Math.min(23, h + 1); }
  return `${parts.year}-${parts.month}-${parts.day}T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** The way back of b: from its destination to its origin, an hour after the latest arrival. */
function returnTrip(b) {
  if (!ride.onReturnTrip) return;
  const later = Date.parse(b.dropoff_latest) > Date.now();
  ride.onReturnTrip(askedPlace(b.destination), askedPlace(b.origin), later ? localPlus(b.dropoff_latest, 60) : null);
}

/** The same trip again (from the history), at a time the rider chooses. */
function sameTripAgain(b) {
  if (ride.onReturnTrip) ride.onReturnTrip(askedPlace(b.origin), askedPlace(b.destination), null);
}

/** A booking just made: shown at once when its page opens. */
export function showBooked(booking) {
  ride.booking = booking;
  ride.bookingId = booking.booking_id;
}

/** #/bookings: the rider's bookings, newest first. */
export async function loadBookings() {
  try {
    ride.list = await api("/api/v1/bookings?limit=50");
  } catch (err) { showError(err); ride.list = []; }
  renderBookings();
}

export function renderBookings() {
  const upcoming = ride.list.filter((b) => ACTIVE.has(b.status));
  // the history: rides done, cancelled or missed, the latest first
  const past = ride.list.filter((b) => !ACTIVE.has(b.status))
    .sort((a, b) => Date.parse(b.pickup_earliest) - Date.parse(a.pickup_earliest));
  upcoming.sort((a, b) => Date.parse(a.pickup_earliest) - Date.parse(b.pickup_earliest));
  $("bookings-empty").hidden = ride.list.length > 0;
  $("upcoming-section").hidden = !upcoming.length;
  $("history-section").hidden = !past.length;
  $("booking-list").replaceChildren(...upcoming.map((b) => bookingItem(b, false)));
  $("history-list").replaceChildren(...past.map((b) => bookingItem(b, true)));
}

function bookingItem(b, history) {
  return el("li", { class: "booking-item" },
    el("a", { href: `#/bookings/${encodeURIComponent(b.booking_id)}` },
      el("article", { class: "card", dataset: { bookingId: b.booking_id } },
        el("div", { class: "card-title" },
          el("span", { class: "route-line" }, `${placeName(b.origin)} → ${placeName(b.destination)}`),
          el("span", { class: "badge", dataset: { status: b.status } }, t(`rider.status.${b.status}`))),
        el("span", { class: "muted" }, t("rider.window_value", { day: formatDay(b.pickup_earliest), from: formatTime(b.pickup_earliest), to: formatTime(b.pickup_latest) })))),
    el("div", { class: "btn-row item-actions" },
      el("button", { type: "button", class: "btn-small", dataset: { action: "return-trip" }, onclick: () => returnTrip(b) },
        t("rider.return_trip")),
      history ? el("button", { type: "button", class: "btn-small", dataset: { action: "again" }, onclick: () => sameTripAgain(b) },
        t("rider.same_trip_again")) : null));
}

// ------------------------------------------------------------------ one booking, live
/** #/bookings/<id>: one booking, followed live while it is open. */
export async function openBooking(id) {
  if (ride.bookingId !== id) {
    stopLive();
    ride.booking = null;
    ride.bookingId = id;
    ride.vehicleFitted = false;
  }
  ride.bookingMissing = false;
  if (!ride.map) ride.map = createMap($("booking-map"), { stops: false, label: t("rider.your_ride") });
  renderBooking();
  await refreshBooking(true);
  startLive();
}

async function refreshBooking(fit = false) {
  const id = ride.bookingId;
  if (!id) return;
  try {
    const b = await api(`/api/v1/bookings/${encodeURIComponent(id)}`);
    if (ride.bookingId !== id) return;
    if (ride.booking && ride.booking.status !== b.status) $("info").textContent = "";
    ride.booking = b;
    ride.bookingMissing = false;
    ride.updatedAt = new Date();
    renderBooking(fit);
    loadChanges(id);
    if (!ACTIVE.has(b.status)) stopLive();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 422)) {
      ride.booking = null;
      ride.bookingMissing = true;
      stopLive();
      renderBooking();
    } else {
      showError(err);
    }
  }
}

function startLive() {
  if (!ride.booking || !ACTIVE.has(ride.booking.status)) return;
  if (!ride.source) {
    let timer = 0;
    ride.source = subscribe(`/api/v1/bookings/${encodeURIComponent(ride.bookingId)}/events`, (data, event) => {
      if (event.type === "hello") return;
      clearTimeout(timer);
      timer = setTimeout(() => refreshBooking(), 150);
    });
  }
  if (!ride.poll) ride.poll = setInterval(() => refreshBooking(), POLL_MS);
}

export function stopLive() {
  if (ride.source) { ride.source.close(); ride.source = null; }
  if (ride.poll) { clearInterval(ride.poll); ride.poll = 0; }
}

export function renderBooking(fit = false) {
  renderChanges();
  $("booking-missing").hidden = !ride.bookingMissing;
  $("booking-card").hidden = ride.bookingMissing;
  $("booking-map").hidden = ride.bookingMissing;
  const b = ride.booking;
  if (!b) {
    $("booking-status").textContent = "";
    $("booking-live").textContent = ride.bookingMissing ? "" : t("common.loading");
    $("booking-facts").innerHTML = "";
    $("cancel").hidden = true;
    $("return-trip").hidden = true;
    return;
  }
  const status = $("booking-status");
  status.dataset.status = b.status;
  status.textContent = t(`rider.status.${b.status}`);
  $("booking-live").textContent = liveSentence(b);
  // the guard's alert (ride_pool.dispatch.connections): the train may be missed
  const warning = connectionWarning(b.connection);
  $("connection-warning").hidden = !warning;
  $("connection-warning").textContent = warning;
  const facts = [
    ["rider.fact.from", placeName(b.origin)],
    ["rider.fact.to", placeName(b.destination)],
    ...(b.origin.access && b.origin.access !== "stop" ? [["rider.fact.pickup_where", accessSentence(b.origin, "pickup", { short: true })]] : []),
    ...(b.destination.access && b.destination.access !== "stop" ? [["rider.fact.dropoff_where", accessSentence(b.destination, "dropoff", { short: true })]] : []),
    ["rider.fact.window", t("rider.window_value", { day: formatDay(b.pickup_earliest), from: formatTime(b.pickup_earliest), to: formatTime(b.pickup_latest) })],
    ["rider.fact.arrival", formatTime(b.dropoff_latest)],
    ...(b.connection ? [["conn.fact", connectionSentence(b.connection, { short: true })]] : []),
    ["rider.fact.people", b.wheelchairs ? t("rider.people_value", { passengers: b.passengers, wheelchairs: b.wheelchairs }) : String(b.passengers)],
  ];
  if (b.vehicle) facts.push(["rider.fact.vehicle", b.vehicle.label]);
  if (b.needs && b.needs.length) facts.push(["rider.fact.needs", b.needs.map((n) => t(`rider.need.${n}`)).join(", ")]);
  if (b.fare_cents !== null && b.fare_cents !== undefined) facts.push(["rider.fact.fare", euros(b.fare_cents)]);
  if (b.completed_at && b.status === "completed") facts.push(["rider.fact.completed", formatTime(b.completed_at)]);
  facts.push(["rider.fact.booking", b.booking_id.slice(0, 8)]);
  const dl = $("booking-facts");
  dl.innerHTML = "";
  for (const [key, value] of facts) {
    dl.append(el("dt", { dataset: { fact: key.split(".").pop() } }, t(key)), el("dd", { dataset: { fact: key.split(".").pop() } }, value));
  }
  $("booking-updated").textContent = ride.updatedAt ? t("rider.updated", { time: formatTime(ride.updatedAt) }) : "";
  $("cancel").hidden = b.status !== "confirmed";
  $("return-trip").hidden = b.status === "cancelled";
  // the vehicle while the ride is open: on the map where it reported last, or plainly "not yet"
  const v = ACTIVE.has(b.status) ? b.vehicle : null;
  const located = !!(v && v.lat !== null && v.lat !== undefined && v.lon !== null && v.lon !== undefined);
  const note = $("vehicle-position");
  note.hidden = !v;
  note.dataset.located = String(located);
  note.textContent = !v ? "" : located
    ? t("rider.vehicle_position", { vehicle: v.label, time: positionTime(v.location_time) })
    : t("rider.vehicle_no_position", { vehicle: v.label });
  const map = ride.map;
  if (map) {
    map.setLabel(t("rider.your_ride"));
    map.setMarkers("trip", [
      { ...b.origin, label: "A", kind: "origin" },
      { ...b.destination, label: "B", kind: "destination" },
    ]);
    map.setVehicles(located ? [{ id: v.vehicle_id, label: v.label, lat: v.lat, lon: v.lon }] : []);
    const box = $("booking-map");
    box.dataset.vehicleLat = located ? String(v.lat) : "";
    box.dataset.vehicleLon = located ? String(v.lon) : "";
    // fit on opening, and once more when the vehicle first appears
    if (fit || (located && !ride.vehicleFitted)) {
      const points = [[b.origin.lat, b.origin.lon], [b.destination.lat, b.destination.lon]];
      if (located) { points.push([v.lat, v.lon]); ride.vehicleFitted = true; }
      map.ready.then(() => map.fitTo(points, { maxZoom: 14 }));
    }
  }
}

/** "14:05", or with the day when the position is not from today. */
function positionTime(iso) {
  if (!iso) return "–";
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" });
  return day.format(new Date(iso)) === day.format(new Date()) ? formatTime(iso) : formatDateTime(iso);
}

function liveSentence(b) {
  if (b.status === "completed") return t("rider.live_completed");
  if (b.status === "cancelled") return t("rider.live_cancelled");
  if (b.status === "no_show") return t("rider.live_no_show");
  if (b.status === "onboard") return t("rider.live_dropoff", { time: formatTime(b.eta_dropoff || b.planned_dropoff || b.dropoff_latest) });
  const eta = b.eta_pickup || b.planned_pickup;
  if (!eta) return "";
  const minutes = minutesUntil(eta);
  return minutes <= 1 ? t("rider.live_pickup_now", { time: formatTime(eta) })
    : t("rider.live_pickup", { time: formatTime(eta), minutes, duration: durationWords(minutes) });
}

async function cancelBooking() {
  if (!ride.booking) return;
  if (!window.confirm(t("rider.cancel_confirm"))) return;
  clearMessages();
  try {
    ride.booking = await api(`/api/v1/bookings/${encodeURIComponent(ride.booking.booking_id)}/cancel`, { method: "POST" });
    info(t("rider.cancelled_info"));
    stopLive();
    renderBooking();
  } catch (err) { showError(err); }
}

// ------------------------------------------------------------------ changes to the ride
// A move to another vehicle or a new time by the operator, after a breakdown or by the automatic
// optimisation (GET /api/v1/bookings/{id}/changes), newest last; each says who and what.
addTranslations(changeTexts);

async function loadChanges(id) {
  try {
    ride.changes = await api(`/api/v1/bookings/${encodeURIComponent(id)}/changes`);
  } catch (err) {
    ride.changes = [];
  }
  if (ride.bookingId === id) renderChanges();
}

export function renderChanges() {
  const list = $("booking-changes");
  const changes = ride.changes || [];
  $("booking-changes-box").hidden = changes.length === 0;
  list.replaceChildren(...changes.map((c) => el("li", { dataset: { change: c.change, cause: c.cause } },
    `${formatDay(c.time)} ${formatTime(c.time)}: `,
    t(`rider.change.${c.change}`, {
      old_vehicle: c.old_vehicle || "–", new_vehicle: c.new_vehicle || "–",
      old_time: c.old_pickup_earliest ? `${formatTime(c.old_pickup_earliest)}–${formatTime(c.old_pickup_latest)}` : "–",
      new_time: c.new_pickup_earliest ? `${formatTime(c.new_pickup_earliest)}–${formatTime(c.new_pickup_latest)}` : "–",
    }), " ", t(`rider.change.by.${c.cause}`))));
}
