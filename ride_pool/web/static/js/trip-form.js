// The parts of a trip request shared by the rider page (rider.js) and the operator's phone booking
// (ops/phone.js): the stop search, the time choice (now / pickup after / arrive by), the passenger
// counts, the body of a quote, the list of offers and the sentence for a quote without offers.
// The pages keep their own markup and labels; these functions take the elements they work on.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { addTranslations, berlinNowParts, formatDay, formatTime, t } from "/static/js/i18n.js";
import tripTexts from "/static/js/i18n/trip.js";

addTranslations(tripTexts);

const SEARCH_DELAY_MS = 150;     // ask the server after a pause in typing, not for every key
const SEARCH_RESULTS = 8;
const MAX_PASSENGERS = 8;
const MAX_WHEELCHAIRS = 2;

// ------------------------------------------------------------------ places

/** A stop of GET /api/v1/stops as a place of the trip. */
export function stopPlace(stop) {
  return { stop_id: stop.id, lat: stop.lat, lon: stop.lon, name: stop.name };
}

/** A place's name; a point without one (tapped on the map) by its coordinates. */
export function placeName(place) {
  if (!place) return "";
  return place.name || t("trip.map_point", { lat: place.lat.toFixed(4), lon: place.lon.toFixed(4) });
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

// ------------------------------------------------------------------ stop search

/**
 * A stop search: input (role=combobox) and its result list (ul, role=listbox). Typing asks
 * GET /api/v1/stops?q=…; arrow keys move through the results (focus stays in the input), Enter
 * takes the highlighted or first one, Escape closes; a click or tap takes one too. The stop's name
 * goes into the input, then onChoose(stop) runs. onError(err) when the search fails.
 * Returns {input, selected, reset()}: selected is the chosen stop until the text is edited.
 */
export function stopSearch(input, list, { onChoose = () => {}, onError = () => {} } = {}) {
  const combo = { input, selected: null, options: [], active: -1 };
  let seq = 0;
  let timer = 0;

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
    onChoose(stop);
  }

  function highlight(i) {
    const items = [...list.querySelectorAll("[role=option]:not([aria-disabled])")];
    combo.active = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, k) => li.setAttribute("aria-selected", String(k === combo.active)));
    const current = items[combo.active];
    if (current) { input.setAttribute("aria-activedescendant", current.id); current.scrollIntoView({ block: "nearest" }); }
  }

  function render(stops) {
    combo.options = stops;
    combo.active = -1;
    list.replaceChildren();
    if (!stops.length) {
      list.append(el("li", { class: "combo-empty", role: "option", "aria-disabled": "true", id: `${list.id}-none` },
        t("trip.no_results")));
    }
    stops.forEach((s, i) => {
      list.append(el("li", {
        role: "option", id: `${list.id}-${i}`, "aria-selected": "false", dataset: { stopId: s.id },
        onmousedown: (e) => e.preventDefault(),      // the input keeps the focus (no blur closing the list)
        onclick: () => choose(s),
      }, s.name, s.town && !s.name.startsWith(s.town) ? el("span", { class: "town" }, s.town) : null));
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { close(); return; }
    try {
      const stops = await api(`/api/v1/stops?q=${encodeURIComponent(q)}&limit=${SEARCH_RESULTS}`);
      if (mine === seq && document.activeElement === input) render(stops);
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
      const exact = combo.options.find((s) => s.name.toLowerCase() === input.value.trim().toLowerCase());
      if (exact) combo.selected = exact;
    }
    setTimeout(close, 100);
  });
  combo.reset = () => { combo.selected = null; combo.options = []; input.value = ""; close(); };
  return combo;
}

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
export function renderOffers(list, offers, { onBook, withPlan = false }) {
  list.replaceChildren(...offers.map((o) => {
    const windowId = `offer-window-${o.offer_id}`;
    const details = [];
    if (o.direct_minutes !== undefined && o.direct_minutes !== null) {
      details.push(t("trip.offer_direct", { minutes: Math.round(o.direct_minutes) }));
    }
    details.push(t("trip.offer_valid", { time: formatTime(o.expires_at) }));
    return el("li", {}, el("article", { class: "card offer", dataset: { offerId: o.offer_id } },
      el("div", { class: "card-title" },
        el("span", { class: "window", id: windowId }, t("trip.offer_window", { from: formatTime(o.pickup_earliest), to: formatTime(o.pickup_latest) })),
        o.alternative ? el("span", { class: "badge" }, t("trip.offer_alternative")) : null),
      el("span", { class: "muted" }, formatDay(o.pickup_earliest)),
      el("span", { class: "arrival" }, t("trip.offer_arrival", { time: formatTime(o.dropoff_latest) })),
      el("span", { class: "small muted" }, `${placeName(o.origin)} → ${placeName(o.destination)}`),
      withPlan && o.planned_pickup ? el("span", { class: "small muted" },
        t("trip.offer_plan", { pickup: formatTime(o.planned_pickup), dropoff: formatTime(o.planned_dropoff) })) : null,
      el("span", { class: "small muted" }, details.join(" · ")),
      el("button", {
        type: "button", class: "btn-primary btn-block", "aria-describedby": windowId,
        onclick: (e) => onBook(o, e.currentTarget),
      }, t("trip.book"))));
  }));
}

/** While an offer is being booked every book button in list is disabled and the pressed one says so. */
export function setBooking(list, button, busy) {
  for (const b of list.querySelectorAll(".offer button")) b.disabled = busy;
  if (button) button.textContent = t(busy ? "trip.booking_in_progress" : "trip.book");
}

/** A quote's reason {code, message} as a sentence: the table's text, else the API's own message. */
export function reasonSentence(reason) {
  const key = `reason.${reason.code}`;
  const text = t(key, { message: reason.message || "" });
  if (text !== key) return text.replace(" ()", "");      // a rule's detail in brackets, when given
  const m = String(reason.message || "");
  return m ? m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".") : "";
}
