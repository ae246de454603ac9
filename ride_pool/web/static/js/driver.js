// Driver page: log in, start a shift on a vehicle, follow the route list (next stop first), report
// arrived / boarded / no-show / dropped off per booking, see the route on the map; the dispatcher's
// changes arrive live (GET /api/v1/driver/events), with polling as a fallback. While the shift runs
// the phone's position is shared (driver/location.js).

import { api, ApiError, errorSentence, getToken, login, logout, me, subscribe } from "/static/js/api.js";
import { addTranslations, applyTranslations, formatDateTime, formatTime, languageSwitch, onLanguageChange, t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import { el } from "/static/js/dom.js";
import { ownPosition, renderLocationState, setUpLocationSharing, shareWanted, startSharing, stopSharing } from "/static/js/driver/location.js";
import driverTexts from "/static/js/i18n/driver.js";

addTranslations(driverTexts);

const $ = (id) => document.getElementById(id);
const POLL_MS = 30000;

const state = {
  user: null, shifts: [], shift: null, route: null,
  seen: null,                     // booking ids + kinds shown before (to highlight new ones)
  arrived: new Set(),             // "<booking>:<kind>" reported as arrived on this page
  source: null, live: false, poll: 0, updatedAt: null,
  map: null, fitted: false, busy: false, stepsKey: null,
};


function showError(err) { $("alert").textContent = typeof err === "string" ? err : errorSentence(err); }
function info(text) { $("info").textContent = text; }
function clearMessages() { $("alert").textContent = ""; $("info").textContent = ""; }

// ------------------------------------------------------------------ start, login
async function start() {
  languageSwitch();
  applyTranslations(document);
  onLanguageChange(() => {
    renderShifts();
    state.stepsKey = null;
    renderRoute();
    renderLocationState();
    if (state.map) state.map.setLabel(t("driver.route"));
  });
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", () => { logout(); state.user = null; stopLive(); stopSharing(); info(t("driver.logged_out")); show(); });
  window.addEventListener("ride-pool:logged-out", () => { state.user = null; stopLive(); stopSharing(); show(); });
  $("end-shift").addEventListener("click", endShift);
  setUpLocationSharing({
    hasShift: () => !!state.shift,
    onMove: drawVehicle,
    onFirstFix: fitToOwnPosition,
    onSent: (shift) => {
      if (state.route && state.route.shift && state.route.shift.id === shift.id) {
        state.route.shift = { ...state.route.shift, lat: shift.lat, lon: shift.lon };
      }
    },
    onShiftGone: loadShifts,
  });
  try {
    state.user = getToken() ? await me() : null;
    if (state.user && !["driver", "operator"].includes(state.user.role)) state.user = null;
  } catch (err) { showError(err); }
  await show();
}

async function onLogin(e) {
  e.preventDefault();
  clearMessages();
  try {
    await login($("login-email").value.trim(), $("login-password").value);
    const user = await me();
    if (!user || !["driver", "operator"].includes(user.role)) {
      logout();
      showError(t("driver.not_driver"));
      return;
    }
    state.user = user;
    $("login-password").value = "";
    await show();
  } catch (err) { showError(err); }
}

async function show() {
  const loggedIn = !!state.user;
  $("auth").hidden = loggedIn;
  $("logout").hidden = !loggedIn;
  $("user-name").hidden = !loggedIn;
  $("user-name").textContent = loggedIn ? state.user.name : "";
  if (!loggedIn) { $("shifts").hidden = true; $("work").hidden = true; return; }
  await loadShifts();
}

// ------------------------------------------------------------------ shifts
async function loadShifts() {
  try {
    state.shifts = await api("/api/v1/driver/shifts");
  } catch (err) { showError(err); state.shifts = []; }
  state.shift = state.shifts.find((s) => s.started && !s.ended && s.driver_id === state.user.id) || null;
  if (state.shift) {
    $("shifts").hidden = true;
    $("work").hidden = false;
    await loadRoute();
    startLive();
    if (shareWanted()) startSharing(); else stopSharing();
  } else {
    stopLive();
    stopSharing();
    $("work").hidden = true;
    $("shifts").hidden = false;
    renderShifts();
  }
}

function renderShifts() {
  const list = $("shift-list");
  list.innerHTML = "";
  const startable = state.shifts.filter((s) => !s.started);
  $("no-shifts").hidden = startable.length > 0;
  for (const s of startable) {
    list.append(el("li", {}, el("article", { class: "card shift-card", dataset: { shiftId: String(s.id), vehicleId: String(s.vehicle_id) } },
      el("div", {},
        el("div", { class: "vehicle" }, s.vehicle_label),
        el("div", { class: "muted" }, t("driver.shift_time", { from: formatDateTime(s.start), to: sameDay(s.start, s.end) ? formatTime(s.end) : formatDateTime(s.end) }))),
      el("button", { type: "button", class: "btn-primary", "aria-label": t("driver.start_shift_on", { vehicle: s.vehicle_label }),
        onclick: (e) => startShift(s, e.currentTarget) }, t("driver.start_shift")))));
  }
}

async function startShift(shift, button) {
  clearMessages();
  button.disabled = true;
  try {
    await api("/api/v1/driver/shift/start", { method: "POST", body: { shift_id: shift.id } });
    info(t("driver.shift_started"));
    state.seen = null;
    await loadShifts();
    $("shift-title").focus?.();
  } catch (err) {
    showError(err);
    button.disabled = false;
  }
}

async function endShift() {
  if (!window.confirm(t("driver.end_confirm"))) return;
  clearMessages();
  try {
    await api("/api/v1/driver/shift/end", { method: "POST" });
    info(t("driver.shift_ended"));
    state.route = null; state.seen = null; state.fitted = false; state.stepsKey = null;
    stopSharing();
    await loadShifts();
  } catch (err) { showError(err); }
}

// ------------------------------------------------------------------ route
async function loadRoute() {
  try {
    const route = await api("/api/v1/driver/route");
    const fresh = [];
    const keys = new Set();
    for (const step of route.steps) {
      for (const id of step.booking_ids) {
        const key = `${id}:${step.kind}`;
        keys.add(key);
        if (state.seen && !state.seen.has(key)) fresh.push({ key, step });
      }
    }
    const firstLoad = state.seen === null;
    state.newKeys = new Set(fresh.map((f) => f.key));
    state.seen = keys;
    state.route = route;
    state.shift = route.shift;
    state.updatedAt = new Date();
    for (const key of [...state.arrived]) if (!keys.has(key)) state.arrived.delete(key);
    renderRoute(firstLoad || fresh.length > 0);
    const pickups = fresh.filter((f) => f.step.kind === "pickup");
    if (pickups.length) {
      info(t("driver.new_rides", { stop: pickups[0].step.stop_name, time: formatTime(pickups[0].step.planned_arrival) }));
    }
  } catch (err) {
    if (err instanceof ApiError && err.code === "no_shift") {
      state.route = null;
      await loadShifts();
      return;
    }
    showError(err);
  }
}

function renderRoute(fit = false) {
  const route = state.route;
  if (!route) return;
  const s = route.shift;
  $("shift-title").textContent = t("driver.shift_running", { vehicle: s.vehicle_label });
  $("shift-meta").textContent = t("driver.shift_meta", { from: formatTime(s.start), to: sameDay(s.start, s.end) ? formatTime(s.end) : formatDateTime(s.end), count: route.steps.length });
  renderLiveState();
  // an unchanged plan (e.g. after the page's own position report) is not drawn again, so that
  // nothing flickers and the focus stays where it is
  const key = JSON.stringify([route.steps, [...state.arrived], [...(state.newKeys || [])]]);
  if (key !== state.stepsKey) {
    state.stepsKey = key;
    const focused = document.activeElement && document.activeElement.closest("#steps [data-report]");
    const refocus = focused ? `[data-report="${focused.dataset.report}"][data-booking="${focused.dataset.booking}"]` : null;
    const list = $("steps");
    list.innerHTML = "";
    $("route-empty").hidden = route.steps.length > 0;
    route.steps.forEach((step, i) => list.append(stepCard(step, i)));
    if (refocus) list.querySelector(refocus)?.focus();
  }
  drawMap(fit);
}

function sameDay(a, b) {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" });
  return day.format(new Date(a)) === day.format(new Date(b));
}

function renderLiveState() {
  if (!state.updatedAt) return;
  $("live-state").textContent = t(state.live ? "driver.live_on" : "driver.live_off", { time: formatTime(state.updatedAt) });
}

function stepCard(step, index) {
  const pickup = step.kind === "pickup";
  const isNew = step.booking_ids.some((id) => state.newKeys && state.newKeys.has(`${id}:${step.kind}`));
  const who = pickup ? t("driver.boards", { passengers: step.passengers }) : t("driver.leave", { passengers: step.passengers });
  const wheel = step.wheelchairs ? ` · ${t("driver.wheelchairs", { count: step.wheelchairs })}` : "";
  const card = el("li", {}, el("article", {
    class: `card step${index === 0 ? " next" : ""}${isNew ? " new-step" : ""}`,
    dataset: { kind: step.kind, bookingIds: step.booking_ids.join(" "), index: String(index) },
    "aria-label": `${index === 0 ? t("driver.next") + ": " : ""}${t(pickup ? "driver.pickup" : "driver.dropoff")} ${step.stop_name} ${formatTime(step.planned_arrival)}`,
  },
    el("div", { class: "step-head" },
      el("span", { class: "step-time" }, formatTime(serviceTime(step))),
      index === 0 ? el("span", { class: "next-label" }, t("driver.next")) : null,
      el("span", { class: "step-kind" }, t(pickup ? "driver.pickup" : "driver.dropoff"))),
    el("div", { class: "step-stop" }, step.stop_name),
    el("div", { class: "step-who" }, who + wheel),
    el("div", { class: "small muted" }, pickup
      ? t("driver.window", { from: formatTime(step.window_earliest), to: formatTime(step.window_latest) })
        + (early(step) ? " · " + t("driver.arrival", { time: formatTime(step.planned_arrival) }) : "")
      : t("driver.latest", { time: formatTime(step.window_latest) })),
    el("div", { class: "btn-row step-navigate" },
      el("a", { class: "btn", href: `geo:${step.lat},${step.lon}?q=${step.lat},${step.lon}`,
        "aria-label": t("driver.navigate_to", { stop: step.stop_name }) }, t("driver.navigate"))),
    step.booking_ids.map((id) => bookingActions(step, id))));
  return card;
}

/** When the stop is served: the planned arrival, or the window's start if the vehicle is early. */
function serviceTime(step) {
  return early(step) ? step.window_earliest : step.planned_arrival;
}

function early(step) {
  return step.kind === "pickup" && new Date(step.planned_arrival) < new Date(step.window_earliest);
}

function bookingActions(step, id) {
  const pickup = step.kind === "pickup";
  const arrivedKey = `${id}:${step.kind}`;
  const arrived = state.arrived.has(arrivedKey);
  const buttons = [
    el("button", { type: "button", class: arrived ? "btn-done" : "", dataset: { report: "arrived", booking: id },
      "aria-pressed": String(arrived), onclick: (e) => report(step, id, "arrived", e.currentTarget) },
      arrived ? `✓ ${t("driver.done_arrived")}` : t("driver.arrived")),
  ];
  if (pickup) {
    buttons.push(el("button", { type: "button", class: "btn-success", dataset: { report: "boarded", booking: id },
      onclick: (e) => report(step, id, "boarded", e.currentTarget) }, t("driver.boarded")));
    buttons.push(el("button", { type: "button", class: "btn-danger", dataset: { report: "no_show", booking: id },
      onclick: (e) => report(step, id, "no_show", e.currentTarget) }, t("driver.no_show")));
  } else {
    buttons.push(el("button", { type: "button", class: "btn-success", dataset: { report: "dropped_off", booking: id },
      onclick: (e) => report(step, id, "dropped_off", e.currentTarget) }, t("driver.dropped_off")));
  }
  return el("section", { class: "booking-actions", dataset: { booking: id } },
    el("h3", {}, t("driver.booking", { id: id.slice(0, 8) }),
      step.callers && step.callers[id] ? el("span", { class: "caller" }, ` · ${step.callers[id]}`) : null),
    el("div", { class: "btn-row" }, buttons));
}

async function report(step, id, what, button) {
  if (state.busy) return;
  if (what === "no_show" && !window.confirm(t("driver.no_show_confirm"))) return;
  clearMessages();
  state.busy = true;
  button.disabled = true;
  try {
    await api(`/api/v1/driver/bookings/${encodeURIComponent(id)}/${what}`, { method: "POST" });
    if (what === "arrived") state.arrived.add(`${id}:${step.kind}`);
    info(t(`driver.done.${what}`));
    await loadRoute();
  } catch (err) {
    showError(err);
    button.disabled = false;
    if (err instanceof ApiError && err.code === "not_on_route") await loadRoute();
  } finally {
    state.busy = false;
  }
}

// ------------------------------------------------------------------ map
function drawMap(fit) {
  if (!state.map) state.map = createMap($("map"), { stops: true, label: t("driver.route") });
  const map = state.map;
  const route = state.route;
  const lines = route.steps.map((s) => s.polyline).filter((l) => l && l.length > 1);
  map.setRoute(lines);
  map.setMarkers("steps", route.steps.map((s, i) => ({
    lat: s.lat, lon: s.lon, label: String(i + 1), kind: s.kind === "pickup" ? "pickup" : "dropoff",
  })));
  const position = drawVehicle();
  if (fit || !state.fitted) {
    const points = lines.flat();
    if (position) points.push(position);
    if (points.length) {
      state.fitted = true;
      map.ready.then(() => map.fitTo(points, { maxZoom: 15, padding: 60 }));
    }
  }
}

/** The vehicle on the map: where this phone is (while sharing), else the last reported position,
 *  else the start of the route; returns [lat, lon] or null. */
function drawVehicle() {
  const map = state.map, route = state.route;
  if (!map || !route) return null;
  const shift = route.shift;
  const own = ownPosition();
  let position = null;
  if (own) position = [own.lat, own.lon];
  else if (shift.lat !== null && shift.lon !== null && shift.lat !== undefined) position = [shift.lat, shift.lon];
  else if (route.steps.length && route.steps[0].polyline.length) position = route.steps[0].polyline[0];
  map.setVehicles(position ? [{ id: shift.vehicle_id, label: own ? `${shift.vehicle_label} (${t("driver.my_position")})` : shift.vehicle_label,
    lat: position[0], lon: position[1] }] : []);
  const el = $("map");
  el.dataset.vehicleLat = position ? String(position[0]) : "";
  el.dataset.vehicleLon = position ? String(position[1]) : "";
  el.dataset.vehicleSource = own ? "device" : position ? "server" : "";
  return position;
}

/** Show the driver where they are, together with the route; false when there is no map yet. */
function fitToOwnPosition(lat, lon) {
  if (!state.map || !state.route) return false;
  const points = state.route.steps.map((s) => s.polyline).filter((l) => l && l.length > 1).flat();
  points.push([lat, lon]);
  state.map.ready.then(() => state.map.fitTo(points, { maxZoom: 15, padding: 60 }));
  return true;
}

// ------------------------------------------------------------------ live
function startLive() {
  if (!state.source) {
    let timer = 0;
    state.source = subscribe("/api/v1/driver/events", (data, event) => {
      state.live = true;
      renderLiveState();
      if (event.type === "hello") return;
      clearTimeout(timer);
      timer = setTimeout(() => loadRoute(), 200);
    }, {
      onOpen: () => { state.live = true; renderLiveState(); },
      onError: () => { state.live = false; renderLiveState(); },
    });
  }
  if (!state.poll) state.poll = setInterval(() => loadRoute(), POLL_MS);
}

function stopLive() {
  if (state.source) { state.source.close(); state.source = null; }
  if (state.poll) { clearInterval(state.poll); state.poll = 0; }
  state.live = false;
}

start();
