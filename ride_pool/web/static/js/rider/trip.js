// The rider's "new ride" view (#/book): where from and to (a place search over villages, streets,
// addresses, stops and places like "Arzt"; my location or a tap on the map, both labelled by
// GET /api/v1/places/reverse; the rider's favourite places), when, how many people, the offers of
// POST /api/v1/quotes and booking one of them.
//
// Messages appear where the rider looks: a problem with the search next to the "Fahrt suchen"
// button (#find-message, role=alert), the search itself shows as busy, the result is scrolled into
// view and its heading focused; a failed booking is explained in the offer's card. An offer that
// expires is asked for again by itself.

import { api, ApiError, errorSentence, newIdempotencyKey } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import {
  placeAt, placeName, quoteBody, readCounts, reasonSentence, renderOffers, samePlace, setBooking, stopPlace, stopSearch,
  timeChoice,
} from "/static/js/trip-form.js";
import { $, clearMessages, info, showError } from "/static/js/rider/messages.js";
import { favouriteFor, renderFavourites, saveFavourite } from "/static/js/rider/favourites.js";
import { connectionChoice } from "/static/js/connection.js";

const PLACES = ["origin", "destination"];
//: booking answers after which the rider simply gets a fresh offer
const REQUOTE = new Set(["offer_expired", "offer_unknown", "offer_no_longer_available"]);
const DEFAULT_OFFER_TTL_S = 300;

const trip = {
  origin: null, destination: null,       // {stop_id?, lat, lon, name, kind?}
  pick: null,                            // "origin" | "destination" while choosing on the map
  offers: [], reason: null, timeReason: null,
  keys: new Map(),                       // offer_id -> Idempotency-Key (the same for a retry)
  map: null, fitted: null, pickedOnMap: false,
  when: null, position: null,
  onBooked: null,
  busy: false,
  expiryTimer: 0, offerTtlS: DEFAULT_OFFER_TTL_S, requoted: false,
};

/** Wire the form once; onBooked(booking) after a booking went through. */
export function setUpTrip({ onBooked, offerTtlS }) {
  trip.onBooked = onBooked;
  if (offerTtlS) trip.offerTtlS = offerTtlS;
  for (const which of PLACES) {
    const box = $(`place-${which}`);
    stopSearch($(`${which}-search`), $(`${which}-results`), {
      onChoose: (found) => {
        $(`${which}-search`).value = "";       // the choice is shown under the field (#<which>-chosen)
        choose(which, stopPlace(found));
        const next = which === "origin" && !trip.destination ? $("destination-search") : $("find");
        next.focus();
      },
      onError: (err) => findMessage(err),
      near: () => trip.position || (trip.origin && which === "destination" ? trip.origin : null),
    });
    box.querySelector('[data-action="locate"]').addEventListener("click", () => locate(which));
    box.querySelector('[data-action="pick"]').addEventListener("click", () => {
      trip.pick = trip.pick === which ? null : which;
      renderPlaces();
      if (trip.pick) {
        $("map").scrollIntoView({ block: "center" });
        $("map").querySelector("canvas")?.focus({ preventScroll: true });
      }
    });
    box.querySelector('[data-action="save-favourite"]').addEventListener("click", () => onSaveFavourite(which));
  }
  $("swap").addEventListener("click", () => {
    [trip.origin, trip.destination] = [trip.destination, trip.origin];
    clearOffers();
    renderPlaces();
    trip.connection.refresh();
  });
  trip.when = timeChoice($("trip-form"), "when", {
    date: $("trip-date"), time: $("trip-time"), reveal: $("when-time"),
    onChange: () => { clearOffers(); if (trip.connection) trip.connection.refresh(); },
  });
  // "Anschluss an Zug/Bus": the next departures of the destination (arrivals of the start)
  trip.connection = connectionChoice($("connection-box"), {
    prefix: "rider", places: () => ({ origin: trip.origin, destination: trip.destination }),
    after: () => (trip.when.mode() !== "now" ? trip.when.localTime() : null), onChange: clearOffers,
  });
  for (const id of ["passengers", "wheelchairs"]) $(id).addEventListener("change", clearOffers);
  $("trip-form").addEventListener("submit", (e) => { e.preventDefault(); findOffers(); });
}

/** Open the view (the map is made the first time). */
export function showTrip() {
  if (!trip.map) {
    trip.map = createMap($("map"), { stops: true, places: true, label: t("rider.map_hint") });
    trip.map.onClick(onMapClick);
  }
  renderTrip();
}

/** A note for the rider next to the "Fahrt suchen" button (read out politely). */
export function tripNote(text) { setStatus(text); }

/** Redraw what depends on the language. */
export function renderTrip() {
  renderPlaces();
  if (trip.connection) trip.connection.render();
  showOffers();
  if (trip.map) trip.map.setLabel(t("rider.map_hint"));
}

/**
 * Start a new trip from origin to destination (e.g. the way back of a booking, a favourite):
 * the places are set, the time is "departure from" pickupAfter (local "YYYY-MM-DDTHH:MM") when given.
 */
export function planTrip(origin, destination, { pickupAfter = null } = {}) {
  trip.origin = origin; trip.destination = destination;
  trip.pick = null; trip.fitted = null;
  clearOffers();
  if (pickupAfter) {
    const radio = $("trip-form").querySelector('input[name="when"][value="pickup_after"]');
    radio.checked = true;
    $("trip-date").value = pickupAfter.slice(0, 10);
    $("trip-time").value = pickupAfter.slice(11, 16);
    trip.when.sync();
  }
  renderPlaces();
}

function choose(which, place) {
  trip[which] = place;
  trip.pick = null;
  clearOffers();
  findMessage(null);
  renderPlaces();
  trip.connection.refresh();
}

/**
 * A trip from a link (a trip planner's "book this leg", README "Connections"): /?from=lat,lon&
 * to=lat,lon and optionally arrive_by or pickup_after (local "YYYY-MM-DDTHH:MM"), from_name,
 * to_name. The places are named by GET /api/v1/places/reverse when no name is given.
 */
export async function planFromLink(params) {
  const point = (text) => {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text || "");
    return m ? { lat: Number(m[1]), lon: Number(m[2]) } : null;
  };
  const from = point(params.get("from"));
  const to = point(params.get("to"));
  if (!from || !to) return false;
  const named = async (p, name) => {
    if (name) return { ...p, name };
    const found = await placeAt(p.lat, p.lon);
    return found ? { ...p, name: found.label || found.name } : p;
  };
  const [origin, destination] = await Promise.all([named(from, params.get("from_name")), named(to, params.get("to_name"))]);
  planTrip(origin, destination);
  for (const mode of ["arrive_by", "pickup_after"]) {
    const when = params.get(mode);
    if (when && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(when)) {
      $("trip-form").querySelector(`input[name="when"][value="${mode}"]`).checked = true;
      $("trip-date").value = when.slice(0, 10);
      $("trip-time").value = when.slice(11, 16);
      trip.when.sync();
    }
  }
  trip.connection.refresh();
  return true;
}

/**
 * A problem with the trip (an ApiError, a sentence or null to clear) next to the "Fahrt suchen"
 * button; a missing place (which: "origin" | "destination") next to its field, which gets the
 * focus, scrolled to the middle of the screen.
 */
function findMessage(problem, which = null) {
  for (const id of ["find-message", "origin-problem", "destination-problem"]) {
    const box = $(id);
    box.textContent = ""; box.hidden = true;
  }
  for (const w of PLACES) $(`${w}-search`).removeAttribute("aria-invalid");
  if (!problem) return;
  const box = $(which ? `${which}-problem` : "find-message");
  box.textContent = typeof problem === "string" ? problem : errorSentence(problem);
  box.hidden = false;
  if (which) {
    const field = $(`${which}-search`);
    field.setAttribute("aria-invalid", "true");
    field.focus({ preventScroll: true });
    $(`place-${which}`).scrollIntoView({ block: "center" });
  } else {
    box.scrollIntoView({ block: "nearest" });
  }
}

function locate(which) {
  clearMessages();
  findMessage(null);
  if (!navigator.geolocation) { findMessage(t("rider.no_geolocation")); return; }
  setStatus(t("rider.locating"));
  navigator.geolocation.getCurrentPosition(async (pos) => {
    const lat = +pos.coords.latitude.toFixed(6), lon = +pos.coords.longitude.toFixed(6);
    trip.position = { lat, lon };
    const found = await placeAt(lat, lon);
    setStatus("");
    // the place's label (street, house number, village) is what the driver and the operator see
    choose(which, { lat, lon, name: found ? (found.label || found.name) : "", kind: "me" });
    if (trip.map) trip.map.fitTo([[lat, lon]], { maxZoom: 14 });
  }, () => { setStatus(""); findMessage(t("rider.no_geolocation")); },
  { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
}

async function onMapClick(lat, lon, hit) {
  const which = trip.pick || (!trip.origin ? "origin" : !trip.destination ? "destination" : null);
  if (!which) { setStatus(t("rider.map_both_chosen")); return; }
  trip.pickedOnMap = true;         // the map stays where the rider tapped
  if (hit && hit.stop) { choose(which, stopPlace(hit.stop)); return; }
  const point = { lat: +lat.toFixed(6), lon: +lon.toFixed(6), name: "" };
  choose(which, point);            // shown at once; the name follows
  const found = await placeAt(point.lat, point.lon);
  if (found && trip[which] === point) {
    trip[which] = { ...point, name: found.label || found.name };
    trip.pickedOnMap = true;
    renderPlaces();
  }
}

function renderPlaces() {
  for (const which of PLACES) {
    const place = trip[which];
    $(`${which}-chosen`).textContent = place
      ? (place.kind === "me" ? t("rider.my_position_at", { place: placeName(place) }) : placeName(place)) : "";
    $(`place-${which}`).querySelector('[data-action="pick"]').setAttribute("aria-pressed", String(trip.pick === which));
    const save = $(`place-${which}`).querySelector('[data-action="save-favourite"]');
    save.hidden = !place || !!favouriteFor(place);
    renderFavourites($(`${which}-favourites`), (fav) => choose(which, fav.place));
  }
  $("map-hint").textContent = trip.pick
    ? t("rider.map_hint_pick", { which: t(trip.pick === "origin" ? "rider.from" : "rider.to") })
    : t("rider.map_hint");
  if (!trip.map) return;
  const markers = [];
  if (trip.origin) markers.push({ ...trip.origin, label: "A", kind: "origin" });
  if (trip.destination) markers.push({ ...trip.destination, label: "B", kind: "destination" });
  trip.map.setMarkers("trip", markers);
  // both places chosen: show them both, unless the rider is tapping on the map
  const key = markers.map((m) => `${m.lat},${m.lon}`).join(";");
  if (markers.length === 2 && key !== trip.fitted && !trip.pickedOnMap) {
    trip.fitted = key;
    const map = trip.map;
    map.ready.then(() => map.fitTo(markers, { maxZoom: 14 }));
  }
  trip.pickedOnMap = false;
}

async function onSaveFavourite(which) {
  const place = trip[which];
  if (!place) return;
  const name = window.prompt(t("rider.favourite_name_prompt"), place.kind === "poi" ? placeName(place).split(",")[0] : "");
  if (name === null) return;
  try {
    await saveFavourite(name.trim() || placeName(place), place);
    setStatus(t("rider.favourite_saved", { name: name.trim() || placeName(place) }));
  } catch (err) { findMessage(err); }
  renderPlaces();
}

function clearOffers() {
  trip.offers = []; trip.reason = null; trip.timeReason = null;
  clearTimeout(trip.expiryTimer);
  showOffers();
}

function setStatus(text) { $("find-status").textContent = text; }

function setBusy(busy) {
  trip.busy = busy;
  const button = $("find");
  button.disabled = busy;
  button.setAttribute("aria-busy", String(busy));
  button.textContent = t(busy ? "rider.searching_button" : "rider.find");
  $("trip-form").setAttribute("aria-busy", String(busy));
}

async function findOffers({ again = false } = {}) {
  if (trip.busy) return;
  clearMessages();
  findMessage(null);
  const { origin, destination } = trip;
  if (!origin) { findMessage(t("rider.need_origin"), "origin"); return; }
  if (!destination) { findMessage(t("rider.need_destination"), "destination"); return; }
  if (samePlace(origin, destination)) { findMessage(t("rider.same_place"), "destination"); return; }
  const counts = readCounts($("passengers"), $("wheelchairs"));
  if (counts.problem) { findMessage(t(counts.problem)); counts.field.focus({ preventScroll: true }); return; }
  const mode = trip.when.mode();
  const time = trip.when.localTime();
  if (mode !== "now" && !time) { findMessage(t("trip.need_time")); $("trip-date").focus({ preventScroll: true }); return; }
  const connection = trip.connection.value();
  if (connection && connection.problem) { findMessage(t(connection.problem)); return; }
  const body = quoteBody(origin, destination, counts, connection ? "now" : mode, time);
  if (connection) body.connection = connection;   // its time decides (departure - transfer buffer)
  setBusy(true);
  setStatus(t("rider.searching"));
  try {
    const quote = await api("/api/v1/quotes", { method: "POST", body });
    trip.offers = quote.offers || [];
    trip.reason = quote.reason || null;
    trip.timeReason = quote.time_reason || null;
    trip.requoted = again;
    setStatus(trip.offers.length ? t("rider.found_offers", { count: trip.offers.length }) : t("rider.no_offer"));
    showOffers();
    watchExpiry();
    // the answer is where the rider looks next: scrolled into view, its heading (or the book button) focused
    const section = $("offers");
    section.scrollIntoView({ block: "start", behavior: again ? "auto" : "smooth" });
    const first = $("offer-list").querySelector("button");
    (first || $("offers-title")).focus({ preventScroll: true });
  } catch (err) {
    setStatus("");
    findMessage(err);
  } finally {
    setBusy(false);
  }
}

/** An offer is only held for a few minutes: then a new one is asked for by itself. */
function watchExpiry() {
  clearTimeout(trip.expiryTimer);
  if (!trip.offers.length) return;
  const now = Date.now();
  const byServer = Math.min(...trip.offers.map((o) => Date.parse(o.expires_at) - now));
  // the server's clock decides; a browser clock far off falls back to the rule's validity
  const ms = byServer > 0 && byServer <= trip.offerTtlS * 1000 + 5000 ? byServer : trip.offerTtlS * 1000;
  trip.expiryTimer = setTimeout(() => requote("rider.offer_renewed"), ms + 1000);
}

async function requote(noteKey) {
  if (!trip.origin || !trip.destination || trip.busy) return;
  await findOffers({ again: true });
  if (trip.offers.length) setStatus(t(noteKey));
}

function showOffers() {
  const none = !trip.offers.length;
  $("offers").hidden = none && !trip.reason;
  const reason = $("offers-reason");
  reason.hidden = !trip.reason || !none;
  if (trip.reason && none) {
    reason.replaceChildren(el("strong", {}, t("rider.no_offer")), " ", reasonSentence(trip.reason));
  }
  const note = $("offers-note");
  note.hidden = !trip.requoted || none;
  note.textContent = trip.requoted ? t("rider.offer_renewed") : "";
  renderOffers($("offer-list"), trip.offers, { onBook: book, timeReason: trip.timeReason });
}

async function book(offer, button) {
  clearMessages();
  let key = trip.keys.get(offer.offer_id);
  if (!key) { key = newIdempotencyKey(); trip.keys.set(offer.offer_id, key); }
  setBooking($("offer-list"), button, true);
  const card = button.closest(".offer");
  card.querySelector(".offer-error")?.remove();
  try {
    const booking = await api("/api/v1/bookings", { method: "POST", body: { offer_id: offer.offer_id }, headers: { "Idempotency-Key": key } });
    clearOffers();
    trip.origin = null; trip.destination = null;
    trip.connection.reset();
    setStatus("");
    trip.onBooked(booking);
  } catch (err) {
    setBooking($("offer-list"), button, false);
    if (err instanceof ApiError && REQUOTE.has(err.code)) {
      // the offer is gone: the rider gets a fresh one without asking again
      await requote(err.code === "offer_expired" ? "rider.offer_renewed" : "rider.offer_taken_renewed");
      return;
    }
    // the reason stays with the offer that caused it, read out by screen readers
    card.append(el("p", { class: "alert offer-error", role: "alert" }, errorSentence(err)));
    button.focus();
  }
}

/** The places chosen in the trip form (a series is set up with them). */
export function tripPlaces() {
  return { origin: trip.origin, destination: trip.destination };
}

export { showError };
