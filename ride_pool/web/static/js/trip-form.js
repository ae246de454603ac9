// The parts of a trip request shared by the rider page (rider.js) and the operator's phone booking
// (ops/phone.js): the stop search, the time choice (now / pickup after / arrive by), the passenger
// counts, the body of a quote, the list of offers and the sentence for a quote without offers.
// The pages keep their own markup and labels; these functions take the elements they work on.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { addTranslations, berlinNowParts, durationWords, formatDay, formatTime, t } from "/static/js/i18n.js";
import tripTexts from "/static/js/i18n/trip.js";
import { connectionSentence } from "/static/js/connection.js";

addTranslations(tripTexts);

const SEARCH_DELAY_MS = 150;     // ask the server after a pause in typing, not for every key
const SEARCH_RESULTS = 8;
const MAX_PASSENGERS = 8;
const MAX_WHEELCHAIRS = 2;

// ------------------------------------------------------------------ places

/**
 * A place of the trip ({stop_id?, lat, lon, name, kind?}) from a stop of GET /api/v1/stops
 * ({id, name, ...}) or a place of GET /api/v1/places ({kind, name, label, lat, lon, stop_id}).
 * The name is the full German label ("Dorfstraße 12, Krögis (Käbschütztal)"), which the server
 * keeps with the booking and shows to drivers and operators.
 */
export function stopPlace(item) {
  if (!item) return null;
  const stopId = item.stop_id !== undefined ? item.stop_id : item.id;
  const place = { lat: +item.lat, lon: +item.lon, name: item.label || item.name || "" };
  if (stopId) place.stop_id = stopId;
  if (item.kind) place.kind = item.kind;
  return place;
}
export const placeOf = stopPlace;

/** A place's name; a point without one (tapped on the map) by its coordinates. */
export function placeName(place) {
  if (!place) return "";
  return place.name || t("trip.map_point", { lat: Number(place.lat).toFixed(4), lon: Number(place.lon).toFixed(4) });
}

/** Two trip places are the same (the same stop, or the same point). */
export function samePlace(a, b) {
  if (!a || !b) return false;
  if (a.stop_id || b.stop_id) return a.stop_id === b.stop_id;
  return Math.abs(a.lat - b.lat) < 1e-6 && Math.abs(a.lon - b.lon) < 1e-6;
}

function placeBody(place) {
  if (place.stop_id) return { stop_id: place.stop_id };
  const body = { lat: place.lat, lon: place.lon };
  if (place.name) body.name = place.name.slice(0, 200);
  return body;
}

/** The body of POST /api/v1/quotes (and /api/v1/ops/quotes); time: the local time for mode, if not "now". */
export function quoteBody(origin, destination, { passengers, wheelchairs }, mode, time) {
  const body = { origin: placeBody(origin), destination: placeBody(destination), passengers, wheelchairs };
  if (mode !== "now") body[mode] = time;      // local time of the service area, no offset
  return body;
}

/** The label of the place at a point (GET /api/v1/places/reverse), or null when none is known. */
export async function placeAt(lat, lon) {
  try {
    const found = await api(`/api/v1/places/reverse?lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}`);
    return found && (found.label || found.name) ? found : null;
  } catch (err) {
    return null;
  }
}

/** What kind of place a search result is, in words ("Haltestelle", "Ort", "Straße", "Adresse", "Ziel"). */
export function kindWord(kind) {
  return kind ? t(`trip.kind.${kind}`) : "";
}

// ------------------------------------------------------------------ place search

/**
 * A place search: input (role=combobox) and its result list (ul, role=listbox). Typing asks
 * GET /api/v1/places?q=… (villages, streets, addresses, stops and places such as "Arzt"; near
 * the point near() gives first); arrow keys move through the results (focus stays in the input),
 * Enter takes the highlighted or first one, Escape closes; a click or tap takes one too. The
 * place's label goes into the input, then onChoose(place) runs with the search result
 * ({kind, name, label, lat, lon, stop_id}). onError(err) when the search fails.
 * Returns {input, selected, reset()}: selected is the chosen result until the text is edited.
 */
export function stopSearch(input, list, { onChoose = () => {}, onError = () => {}, near = () => null } = {}) {
  const combo = { input, selected: null, options: [], active: -1 };
  let seq = 0;
  let timer = 0;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    combo.active = -1;
  }

  function choose(place) {
    combo.selected = place;
    input.value = place.label || place.name;
    input.removeAttribute("aria-invalid");
    close();
    onChoose(place);
  }

  function highlight(i) {
    const items = [...list.querySelectorAll("[role=option]:not([aria-disabled])")];
    combo.active = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, k) => li.setAttribute("aria-selected", String(k === combo.active)));
    const current = items[combo.active];
    if (current) { input.setAttribute("aria-activedescendant", current.id); current.scrollIntoView({ block: "nearest" }); }
  }

  function render(places) {
    combo.options = places;
    combo.active = -1;
    list.replaceChildren();
    if (!places.length) {
      list.append(el("li", { class: "combo-empty", role: "option", "aria-disabled": "true", id: `${list.id}-none` },
        t("trip.no_results")));
    }
    places.forEach((p, i) => {
      const detail = p.label && p.label !== p.name && p.label.startsWith(p.name) ? p.label.slice(p.name.length).replace(/^,\s*/, "") : "";
      list.append(el("li", {
        role: "option", id: `${list.id}-${i}`, "aria-selected": "false",
        dataset: { kind: p.kind || "stop", stopId: p.stop_id || "" },
        onmousedown: (e) => e.preventDefault(),      // the input keeps the focus (no blur closing the list)
        onclick: () => choose(p),
      }, el("span", { class: "kind", dataset: { kind: p.kind || "stop" } }, kindWord(p.kind || "stop")),
      el("span", { class: "name" }, p.name), detail ? el("span", { class: "town" }, detail) : null));
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    // on a phone the list must not open below the screen (or under the keyboard): the field goes up
    const box = list.getBoundingClientRect();
    if (box.bottom > window.innerHeight && input.getBoundingClientRect().top > window.innerHeight * 0.3) {
      input.scrollIntoView({ block: "start" });
    }
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { close(); return; }
    const at = near();
    const where = at ? `&lat=${at.lat.toFixed(5)}&lon=${at.lon.toFixed(5)}` : "";
    try {
      const places = await api(`/api/v1/places?q=${encodeURIComponent(q)}&limit=${SEARCH_RESULTS}${where}`);
      if (mine === seq && document.activeElement === input) render(places);
    } catch (err) {
      onError(err);
    }
  }

  input.addEventListener("input", () => {
    combo.selected = null;
    clearTimeout(timer);
    timer = setTimeout(search, SEARCH_DELAY_MS);
  });
  input.addEventListener("keydown", (e) => {
    const open = !list.hidden && combo.options.length > 0;
    if (e.key === "ArrowDown") { e.preventDefault(); if (open) highlight(combo.active + 1); else search(); }
    else if (e.key === "ArrowUp") { if (open) { e.preventDefault(); highlight(combo.active - 1); } }
    else if (e.key === "Enter" && open) { e.preventDefault(); choose(combo.options[Math.max(combo.active, 0)]); }
    else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => {
    // an exact name typed (or pasted) counts as chosen
    if (!combo.selected) {
      const typed = input.value.trim().toLowerCase();
      const exact = combo.options.find((p) => p.name.toLowerCase() === typed || (p.label || "").toLowerCase() === typed);
      if (exact) combo.selected = exact;
    }
    setTimeout(close, 100);
  });
  combo.reset = () => { combo.selected = null; combo.options = []; input.value = ""; close(); };
  combo.search = search;
  return combo;
}
export const placeSearch = stopSearch;

// ------------------------------------------------------------------ when

function roundedUp(offsetMinutes) {
  const minute = Number(berlinNowParts(offsetMinutes).time.slice(3));
  return berlinNowParts(offsetMinutes + ((5 - (minute % 5)) % 5));
}

/**
 * The time of a trip: the radios named name in form (values now, pickup_after, arrive_by) and
 * either one datetime-local input ({datetime}) or a date and a time input ({date, time}). For a
 * time other than now the inputs are shown (reveal) or enabled, and filled with a time an hour
 * ahead (arrive by: an hour and a half) when still empty. onChange() after a change.
 * Returns {mode(), localTime(), sync()}; localTime() is "YYYY-MM-DDTHH:MM" or null.
 */
export function timeChoice(form, name, { datetime = null, date = null, time = null, reveal = null, onChange = () => {} }) {
  const radios = [...form.querySelectorAll(`input[name="${name}"]`)];
  const mode = () => (radios.find((r) => r.checked) || radios[0]).value;

  function localTime() {
    if (datetime) return datetime.value || null;
    return date.value && time.value ? `${date.value}T${time.value}` : null;
  }

  function sync() {
    const later = mode() !== "now";
    if (reveal) reveal.hidden = !later;
    if (datetime) datetime.disabled = !later;
    if (later && !localTime()) {
      const p = roundedUp(mode() === "arrive_by" ? 90 : 60);
      if (datetime) datetime.value = `${p.date}T${p.time}`;
      else { date.value = p.date; time.value = p.time; }
    }
  }

  for (const r of radios) r.addEventListener("change", () => { sync(); onChange(); });
  for (const input of [datetime, date, time]) if (input) input.addEventListener("change", onChange);
  sync();
  return { mode, localTime, sync };
}

// ------------------------------------------------------------------ passengers

/** {passengers, wheelchairs} of the two fields, or {problem: translation key, field} to show. */
export function readCounts(passengersField, wheelchairsField) {
  const passengers = Number(passengersField.value);
  const wheelchairs = Number(wheelchairsField.value || 0);
  if (!Number.isInteger(passengers) || passengers < 1 || passengers > MAX_PASSENGERS
      || !Number.isInteger(wheelchairs) || wheelchairs < 0 || wheelchairs > MAX_WHEELCHAIRS) {
    return { problem: "trip.bad_counts", field: passengersField };
  }
  if (wheelchairs > passengers) return { problem: "trip.wheelchairs_too_many", field: wheelchairsField };
  return { passengers, wheelchairs };
}

// ------------------------------------------------------------------ offers

/**
 * Fill list (a ul) with a card per offer; onBook(offer, button) when its button is pressed.
 * withPlan: also the planned pickup and arrival (for the dispatcher; riders go by the window,
 * as the plan may still move inside it).
 */
export function renderOffers(list, offers, { onBook, withPlan = false, timeReason = null }) {
  list.replaceChildren(...offers.map((o) => {
    const windowId = `offer-window-${o.offer_id}`;
    const details = [];
    if (o.direct_minutes !== undefined && o.direct_minutes !== null) {
      const minutes = Math.max(1, Math.round(o.direct_minutes));
      details.push(t("trip.offer_direct", { minutes, duration: durationWords(minutes) }));
    }
    details.push(t("trip.offer_valid", { time: formatTime(o.expires_at) }));
    return el("li", {}, el("article", { class: "card offer", dataset: { offerId: o.offer_id } },
      el("div", { class: "card-title" },
        el("span", { class: "window", id: windowId }, t("trip.offer_window", { from: formatTime(o.pickup_earliest), to: formatTime(o.pickup_latest) })),
        o.alternative ? el("span", { class: "badge" }, t("trip.offer_alternative")) : null),
      el("span", { class: "muted" }, formatDay(o.pickup_earliest)),
      el("span", { class: "arrival" }, t("trip.offer_arrival", { time: formatTime(o.dropoff_latest) })),
      el("p", { class: "access", dataset: { access: o.origin.access || "stop" } }, accessSentence(o.origin, "pickup")),
      el("p", { class: "access", dataset: { access: o.destination.access || "stop" } }, accessSentence(o.destination, "dropoff")),
      o.connection ? el("p", { class: "connection-line", dataset: { tripId: o.connection.trip_id } },
        connectionSentence(o.connection)) : null,
      timeReason ? el("p", { class: "time-reason", dataset: { code: timeReason.code } },
        el("strong", {}, t("trip.why_this_time")), " ", timeReason.message) : null,
      withPlan && o.planned_pickup ? el("span", { class: "small muted" },
        t("trip.offer_plan", { pickup: formatTime(o.planned_pickup), dropoff: formatTime(o.planned_dropoff) })) : null,
      el("span", { class: "small muted" }, details.join(" · ")),
      o.fare ? el("p", { class: "fare", dataset: { cents: String(o.fare.total_cents) } },
        t("trip.offer_fare", { amount: euros(o.fare.total_cents), people: o.passengers })) : null,
      el("button", {
        type: "button", class: "btn-primary btn-block", "aria-describedby": windowId,
        onclick: (e) => onBook(o, e.currentTarget),
      }, t("trip.book"))));
  }));
}

/** An amount in cents as the page's language writes euros ("6,90 €"). */
export function euros(cents) {
  return new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "de-DE",
    { style: "currency", currency: "EUR" }).format((+cents || 0) / 100);
}

/**
 * Where the vehicle stops for a place of an offer or booking (PlaceOut): at the door of the place
 * asked for, at a stop, or at the nearest stop with the walk to it ("pickup" or "dropoff").
 */
export function accessSentence(place, which, { short = false } = {}) {
  if (!place) return "";
  const name = placeName(place);
  if (short) which = "where";              // beside the place's name: only how it is served
  if (place.access === "door") return t(`trip.${which}_door`, { place: name });
  if (place.access === "nearest_stop") {
    const asked = place.asked ? placeName(place.asked) : "";
    const walk = Number.isFinite(+place.walk_m) ? Math.max(10, Math.round(+place.walk_m / 10) * 10) : null;
    return t(`trip.${which}_nearest_stop`, { stop: name, asked, metres: walk === null ? "?" : walk,
      minutes: walk === null ? "?" : Math.max(1, Math.round(walk / 70)) });
  }
  return t(`trip.${which}_stop`, { stop: name });
}

/** While an offer is being booked every book button in list is disabled and the pressed one says so. */
export function setBooking(list, button, busy) {
  for (const b of list.querySelectorAll(".offer button")) b.disabled = busy;
  if (button) button.textContent = t(busy ? "trip.booking_in_progress" : "trip.book");
}

/** A quote's reason {code, message} as a sentence: the API's own message (in the page's language,
 *  naming the rule and what to do), else the table's text for the code. */
export function reasonSentence(reason) {
  const m = String(reason.message || "").trim();
  if (m) return m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  const key = `reason.${reason.code}`;
  const text = t(key, { message: "" });
  return text !== key ? text.replace(" ()", "") : "";
}
