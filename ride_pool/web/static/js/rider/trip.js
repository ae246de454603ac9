// The rider's "new ride" view (#/book): where from and to (stop search, my location or a tap on the
// map), when, how many people, the offers of POST /api/v1/quotes and booking one of them.

import { api, newIdempotencyKey } from "/static/js/api.js";
import { t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import {
  placeName, quoteBody, readCounts, reasonSentence, renderOffers, setBooking, stopPlace, stopSearch, timeChoice,
} from "/static/js/trip-form.js";
import { $, clearMessages, info, showError } from "/static/js/rider/messages.js";

const PLACES = ["origin", "destination"];

const trip = {
  origin: null, destination: null,       // {stop_id?, lat, lon, name}
  pick: null,                            // "origin" | "destination" while choosing on the map
  offers: [], reason: null,
  keys: new Map(),                       // offer_id -> Idempotency-Key (the same for a retry)
  map: null, fitted: null, pickedOnMap: false,
  when: null,
  onBooked: null,
};

/** Wire the form once; onBooked(booking) after a booking went through. */
export function setUpTrip({ onBooked }) {
  trip.onBooked = onBooked;
  for (const which of PLACES) {
    const box = $(`place-${which}`);
    stopSearch($(`${which}-search`), $(`${which}-results`), {
      onChoose: (stop) => {
        $(`${which}-search`).value = "";       // the choice is shown under the field (#<which>-chosen)
        choose(which, stopPlace(stop));
        const next = which === "origin" && !trip.destination ? $("destination-search") : $("find");
        next.focus();
      },
      onError: showError,
    });
    box.querySelector('[data-action="locate"]').addEventListener("click", () => locate(which));
    box.querySelector('[data-action="pick"]').addEventListener("click", () => {
      trip.pick = trip.pick === which ? null : which;
      renderPlaces();
      if (trip.pick) $("map").querySelector("canvas")?.focus();
    });
  }
  $("swap").addEventListener("click", () => {
    [trip.origin, trip.destination] = [trip.destination, trip.origin];
    clearOffers();
    renderPlaces();
  });
  trip.when = timeChoice($("trip-form"), "when", {
    date: $("trip-date"), time: $("trip-time"), reveal: $("when-time"), onChange: clearOffers,
  });
  for (const id of ["passengers", "wheelchairs"]) $(id).addEventListener("change", clearOffers);
  $("trip-form").addEventListener("submit", (e) => { e.preventDefault(); findOffers(); });
}

/** Open the view (the map is made the first time). */
export function showTrip() {
  if (!trip.map) {
    trip.map = createMap($("map"), { stops: true, label: t("rider.map_hint") });
    trip.map.onClick(onMapClick);
  }
  renderTrip();
}

/** Redraw what depends on the language. */
export function renderTrip() {
  renderPlaces();
  showOffers();
  if (trip.map) trip.map.setLabel(t("rider.map_hint"));
}

function choose(which, place) {
  trip[which] = place;
  trip.pick = null;
  clearOffers();
  renderPlaces();
}

function locate(which) {
  clearMessages();
  if (!navigator.geolocation) { showError(t("rider.no_geolocation")); return; }
  info(t("rider.locating"));
  navigator.geolocation.getCurrentPosition((pos) => {
    info("");
    choose(which, { lat: +pos.coords.latitude.toFixed(6), lon: +pos.coords.longitude.toFixed(6), name: t("rider.my_position") });
    if (trip.map) trip.map.fitTo([[pos.coords.latitude, pos.coords.longitude]], { maxZoom: 14 });
  }, () => { info(""); showError(t("rider.no_geolocation")); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
}

function onMapClick(lat, lon, hit) {
  const which = trip.pick || (!trip.origin ? "origin" : !trip.destination ? "destination" : null);
  if (!which) return;
  trip.pickedOnMap = true;         // the map stays where the rider tapped
  if (hit && hit.stop) choose(which, stopPlace(hit.stop));
  else choose(which, { lat: +lat.toFixed(6), lon: +lon.toFixed(6), name: "" });
}

function renderPlaces() {
  for (const which of PLACES) {
    $(`${which}-chosen`).textContent = placeName(trip[which]);
    $(`place-${which}`).querySelector('[data-action="pick"]').setAttribute("aria-pressed", String(trip.pick === which));
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
    map.ready.then(() => map.fitTo(markers, { maxZoom: 14, padding: 50 }));
  }
  trip.pickedOnMap = false;
}

function clearOffers() {
  trip.offers = []; trip.reason = null;
  showOffers();
}

async function findOffers() {
  clearMessages();
  const { origin, destination } = trip;
  if (!origin) { showError(t("rider.need_origin")); $("origin-search").focus(); return; }
  if (!destination) { showError(t("rider.need_destination")); $("destination-search").focus(); return; }
  const counts = readCounts($("passengers"), $("wheelchairs"));
  if (counts.problem) { showError(t(counts.problem)); counts.field.focus(); return; }
  const mode = trip.when.mode();
  const time = trip.when.localTime();
  if (mode !== "now" && !time) { showError(t("trip.need_time")); $("trip-date").focus(); return; }
  const button = $("find");
  button.disabled = true;
  info(t("rider.searching"));
  try {
    const quote = await api("/api/v1/quotes", { method: "POST", body: quoteBody(origin, destination, counts, mode, time) });
    trip.offers = quote.offers || [];
    trip.reason = quote.reason || null;
    info("");
    showOffers();
    const first = $("offer-list").querySelector("button");
    if (first) first.focus();
  } catch (err) {
    info("");
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function showOffers() {
  const none = !trip.offers.length;
  $("offers").hidden = none && !trip.reason;
  const reason = $("offers-reason");
  reason.hidden = !trip.reason || !none;
  if (trip.reason && none) reason.textContent = `${t("rider.no_offer")} ${reasonSentence(trip.reason)}`;
  renderOffers($("offer-list"), trip.offers, { onBook: book });
}

async function book(offer, button) {
  clearMessages();
  let key = trip.keys.get(offer.offer_id);
  if (!key) { key = newIdempotencyKey(); trip.keys.set(offer.offer_id, key); }
  setBooking($("offer-list"), button, true);
  try {
    const booking = await api("/api/v1/bookings", { method: "POST", body: { offer_id: offer.offer_id }, headers: { "Idempotency-Key": key } });
    clearOffers();
    trip.origin = null; trip.destination = null;
    trip.onBooked(booking);
  } catch (err) {
    showError(err);
    setBooking($("offer-list"), button, false);
  }
}
