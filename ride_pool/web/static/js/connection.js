// "Anschluss an Zug/Bus": the choice of a train or bus to meet, shared by the rider page
// (rider/trip.js) and the operator's phone booking (ops/phone.js). The rider ticks the box, says
// whether the bus takes them to a departure at the destination or picks them up after an arrival
// at the start, and picks one of the next departures (arrivals) of that stop from
// GET /api/v1/departures; the quote then carries {"connection": {stop_id, trip_id, direction,
// service_date}} and the server books an arrival the transfer buffer before the departure (a
// pickup the buffer after the arrival).

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { addTranslations, formatTime, t } from "/static/js/i18n.js";
import connectionTexts from "/static/js/i18n/connection.js";

addTranslations(connectionTexts);

const SHOWN = 6;

/**
 * The connection choice in box (an empty element). places() gives {origin, destination} (trip
 * places: {stop_id?, ...}); after() the local time "YYYY-MM-DDTHH:MM" to list departures from (or
 * null: now); onChange() after any change. Returns {value(), refresh(), render(), reset()}:
 * value() is the quote's connection, null when off, or {problem} when one is missing.
 */
export function connectionChoice(box, { prefix, places, after = () => null, onChange = () => {} }) {
  const state = { on: false, direction: "to_departure", calls: [], stop: null, chosen: null, loading: false, seq: 0 };
  const check = el("input", { type: "checkbox", id: `${prefix}-conn-on` });
  const radios = ["to_departure", "from_arrival"].map((d) => el("input", {
    type: "radio", name: `${prefix}-conn-direction`, value: d, id: `${prefix}-conn-${d}`, checked: d === state.direction,
  }));
  const details = el("div", { class: "conn-details", hidden: true });
  const heading = el("p", { class: "small muted", id: `${prefix}-conn-heading` });
  const list = el("div", { class: "conn-list", role: "radiogroup", "aria-labelledby": `${prefix}-conn-heading` });
  const status = el("p", { class: "small muted conn-status", role: "status", "aria-live": "polite" });

  function station() {
    const p = places();
    return state.direction === "to_departure" ? p.destination : p.origin;
  }

  async function refresh() {
    state.chosen = null;
    if (!state.on) { render(); return; }
    const place = station();
    state.calls = [];
    if (!place || !place.stop_id) { state.stop = null; render(); return; }
    const mine = ++state.seq;
    state.loading = true;
    render();
    const params = new URLSearchParams({ stop_id: String(place.stop_id), limit: String(SHOWN) });
    const at = after();
    if (at) params.set("after", at);
    if (state.direction === "from_arrival") params.set("arrivals", "true");
    try {
      const answer = await api(`/api/v1/departures?${params}`);
      if (mine !== state.seq) return;
      state.calls = answer.departures || [];
      state.stop = answer.stop_name || place.name || "";
    } catch (err) {
      if (mine !== state.seq) return;
      state.calls = [];
      state.stop = place.name || "";
    } finally {
      if (mine === state.seq) { state.loading = false; render(); }
    }
  }

  function render() {
    details.hidden = !state.on;
    const place = station();
    if (!state.on) return;
    if (!place || !place.stop_id) {
      heading.textContent = "";
      list.replaceChildren();
      status.textContent = t(state.direction === "to_departure" ? "conn.need_station_to" : "conn.need_station_from");
      return;
    }
    if (state.loading) { status.textContent = t("conn.loading"); list.replaceChildren(); return; }
    const arrivals = state.direction === "from_arrival";
    heading.textContent = t(arrivals ? "conn.arrivals" : "conn.departures", { stop: state.stop || place.name || "" });
    status.textContent = state.calls.length ? "" : t("conn.none");
    list.replaceChildren(...state.calls.map((c, i) => {
      const id = `${prefix}-conn-call-${i}`;
      const input = el("input", { type: "radio", name: `${prefix}-conn-call`, id, value: String(i),
        checked: state.chosen === c, dataset: { tripId: c.trip_id, time: arrivals ? c.arrival : c.departure } });
      input.addEventListener("change", () => { state.chosen = c; onChange(); });
      return el("label", { class: "choice conn-call", for: id }, input, " ",
        t(arrivals ? "conn.option_arrival" : "conn.option_departure", {
          time: formatTime(arrivals ? c.arrival : c.departure), route: c.route, headsign: c.headsign || "" }));
    }));
  }

  check.addEventListener("change", () => { state.on = check.checked; onChange(); refresh(); });
  for (const r of radios) r.addEventListener("change", () => { state.direction = r.value; onChange(); refresh(); });
  box.replaceChildren(
    el("legend", {}, t("conn.legend")),
    el("label", { class: "choice", for: check.id }, check, " ", el("span", {}, t("conn.on"))),
    details);
  details.replaceChildren(
    ...radios.map((r) => el("label", { class: "choice", for: r.id }, r, " ", el("span", {}, t(`conn.${r.value}`)))),
    heading, list, status);

  function value() {
    if (!state.on) return null;
    if (!state.chosen) {
      const place = station();
      if (!place || !place.stop_id) {
        return { problem: state.direction === "to_departure" ? "conn.need_station_to" : "conn.need_station_from" };
      }
      return { problem: "conn.pick_one" };
    }
    const c = state.chosen;
    return { stop_id: c.stop_id, trip_id: c.trip_id, direction: state.direction, service_date: c.service_date };
  }

  function relabel() {
    box.querySelector("legend").textContent = t("conn.legend");
    box.querySelector(`label[for="${check.id}"] span`).textContent = t("conn.on");
    for (const r of radios) box.querySelector(`label[for="${r.id}"] span`).textContent = t(`conn.${r.value}`);
    render();
  }

  function reset() { state.on = false; check.checked = false; state.chosen = null; state.calls = []; render(); }

  return { value, refresh, render: relabel, reset, enabled: () => state.on };
}

/** The line of an offer or booking about its connection ("" when it has none); short: without the
 *  bus's time (beside the fact "Anschluss" of a booking, whose arrival is listed above it). */
export function connectionSentence(c, { short = false } = {}) {
  if (!c) return "";
  const to = c.direction === "to_departure";
  const kind = short ? "fact" : "offer";
  return t(`conn.${kind}_${to ? "to" : "from"}`, { headsign: c.headsign || "",
    route: c.route_name || c.trip_id, time: formatTime(c.scheduled), stop: c.stop_name || c.stop_id,
    limit: formatTime(c.limit) });
}

/** The warning of a booking whose connection the live plan would miss ("" when it is safe). */
export function connectionWarning(c) {
  if (!c || !c.at_risk) return "";
  return c.late_minutes ? t("conn.at_risk", { minutes: c.late_minutes }) : t("conn.at_risk_unknown");
}
