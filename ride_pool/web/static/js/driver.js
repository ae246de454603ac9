// Driver page: log in, start a shift on a vehicle, follow the route list (next stop first), report
// arrived / boarded / no-show / dropped off per booking, see the route on the map; the dispatcher's
// changes arrive live (GET /api/v1/driver/events), with polling as a fallback. While the shift runs
// the phone's position is shared ("Standort teilen", on unless switched off; the choice is kept in
// localStorage): navigator.geolocation.watchPosition, sent with POST /api/v1/driver/location at most
// every 15 s, sooner when the vehicle moved more than 50 m, so that riders see their bus coming.

import { api, ApiError, errorSentence, getToken, login, logout, me, subscribe } from "/static/js/api.js";
import { addTranslations, applyTranslations, formatDateTime, formatTime, formatTimeSeconds, languageSwitch, onLanguageChange, t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import { el } from "/static/js/dom.js";
import driverTexts from "/static/js/i18n/driver.js";

addTranslations(driverTexts);

const $ = (id) => document.getElementById(id);
const POLL_MS = 30000;
const SHARE_KEY = "ride_pool.driver.share_location";     // "on" (the default) | "off"
const SEND_EVERY_MS = 15000;     // a new position is sent at most every 15 s ...
const SEND_MOVED_M = 50;         // ... or sooner once the vehicle moved more than 50 m,
const MIN_GAP_MS = 3000;         // but never more than one report in 3 s

const state = {
  user: null, shifts: [], shift: null, route: null,
  seen: null,                     // booking ids + kinds shown before (to highlight new ones)
  arrived: new Set(),             // "<booking>:<kind>" reported as arrived on this page
  source: null, live: false, poll: 0, updatedAt: null,
  map: null, fitted: false, busy: false, stepsKey: null,
  geo: {
    watch: null,                  // the watchPosition id while sharing
    position: null,               // the latest reading {lat, lon, accuracy, at}
    sent: null, sentAt: 0,        // the last reading the server took, and when (ms)
    attemptAt: 0, sending: false, timer: 0,
    problem: null,                // "denied" | "unavailable" | "unsupported" | "insecure" | null
    failure: null,                // the last sending error (cleared by a success)
    fitted: false,
  },
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
  $("share-location").checked = shareWanted();
  $("share-location").addEventListener("change", onShareSwitch);
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
    el("div", { class: "btn-row", style: "margin-top:.5rem" },
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
  const own = state.geo.position;
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

// ------------------------------------------------------------------ location sharing
function shareWanted() {
  try { return localStorage.getItem(SHARE_KEY) !== "off"; } catch (e) { return true; }
}

function onShareSwitch(e) {
  const on = e.currentTarget.checked;
  try { localStorage.setItem(SHARE_KEY, on ? "on" : "off"); } catch (err) { /* storage blocked: this page only */ }
  if (on && state.shift) startSharing(); else stopSharing();
}

function startSharing() {
  const geo = state.geo;
  $("share-location").checked = true;
  if (geo.watch !== null) { renderLocationState(); return; }
  geo.problem = null; geo.failure = null; geo.fitted = false;
  if (window.isSecureContext === false) geo.problem = "insecure";
  else if (!navigator.geolocation) geo.problem = "unsupported";
  else {
    try {
      geo.watch = navigator.geolocation.watchPosition(onPosition, onPositionError,
        { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    } catch (err) {
      geo.watch = null;
      geo.problem = "unsupported";
    }
  }
  renderLocationState();
}

function stopSharing() {
  const geo = state.geo;
  if (geo.watch !== null) {
    try { navigator.geolocation.clearWatch(geo.watch); } catch (e) { /* gone already */ }
    geo.watch = null;
  }
  clearTimeout(geo.timer);
  geo.timer = 0;
  geo.position = null; geo.problem = null; geo.failure = null;
  geo.sent = null; geo.sentAt = 0;        // attemptAt stays: switching off and on is no way round the limit
  $("share-location").checked = shareWanted();
  renderLocationState();
  drawVehicle();
}

function onPosition(pos) {
  const geo = state.geo;
  if (geo.watch === null) return;           // a reading after the switch went off
  const { latitude: lat, longitude: lon, accuracy } = pos.coords;
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
  geo.position = { lat, lon, accuracy, at: pos.timestamp || Date.now() };
  geo.problem = null;
  drawVehicle();
  if (!geo.fitted && state.map && state.route) {
    // show the driver where they are, once, together with the route
    geo.fitted = true;
    const points = state.route.steps.map((s) => s.polyline).filter((l) => l && l.length > 1).flat();
    points.push([lat, lon]);
    state.map.ready.then(() => state.map.fitTo(points, { maxZoom: 15, padding: 60 }));
  }
  maybeSend();
  renderLocationState();
}

function onPositionError(err) {
  const geo = state.geo;
  if (geo.watch === null) return;
  if (err && err.code === 1) {              // PERMISSION_DENIED: the browser stops watching
    navigator.geolocation.clearWatch(geo.watch);
    geo.watch = null;
    geo.problem = "denied";
    geo.position = null;
    drawVehicle();
  } else if (err && err.code === 3 && geo.position) {
    return;                                 // TIMEOUT with a position: standing still, nothing new
  } else {                                  // POSITION_UNAVAILABLE, or no position in 30 s: it keeps trying
    geo.problem = "unavailable";
  }
  renderLocationState();
}

/** Send the latest reading when it is due: 15 s after the last report, or (at least 3 s after
 *  it) as soon as the vehicle is more than 50 m from the position reported last. */
function maybeSend() {
  const geo = state.geo;
  clearTimeout(geo.timer);
  geo.timer = 0;
  const pos = geo.position;
  if (!pos || geo.sending || geo.watch === null || !state.shift) return;
  if (geo.sent && geo.sent.at === pos.at && geo.sent.lat === pos.lat && geo.sent.lon === pos.lon) return;
  const since = Date.now() - geo.attemptAt;
  const far = !geo.sent || distanceM(geo.sent, pos) > SEND_MOVED_M;
  const wait = Math.max(0, (far && !geo.failure ? MIN_GAP_MS : SEND_EVERY_MS) - since);
  if (wait > 0) { geo.timer = setTimeout(maybeSend, wait); return; }
  sendPosition(pos);
}

async function sendPosition(pos) {
  const geo = state.geo;
  geo.sending = true;
  geo.attemptAt = Date.now();
  try {
    const shift = await api("/api/v1/driver/location", { method: "POST", body: { lat: pos.lat, lon: pos.lon } });
    geo.sent = pos;
    geo.sentAt = Date.now();
    geo.failure = null;
    if (state.route && state.route.shift && state.route.shift.id === shift.id) {
      state.route.shift = { ...state.route.shift, lat: shift.lat, lon: shift.lon };
    }
    const status = $("location-state");
    status.dataset.sentLat = String(pos.lat);
    status.dataset.sentLon = String(pos.lon);
  } catch (err) {
    geo.failure = err;
    if (err instanceof ApiError && (err.code === "no_shift" || err.status === 401)) {
      geo.sending = false;
      stopSharing();
      if (err.code === "no_shift") await loadShifts();
      return;
    }
  } finally {
    geo.sending = false;
  }
  renderLocationState();
  maybeSend();
}

/** Metres between two {lat, lon} (equirectangular: exact enough for 50 m). */
function distanceM(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * 6371000;
}

/** The switch's state as a sentence (#location-state, announced when it changes) and the time of
 *  the last report (#location-sent, not announced: it changes every few seconds). */
function renderLocationState() {
  const geo = state.geo;
  const box = $("location-state");
  if (!box) return;
  let key, text;
  if (!$("share-location").checked || (geo.watch === null && !geo.problem)) {
    key = "off"; text = t("driver.location_off");
  } else if (geo.problem) {
    key = geo.problem; text = t(`driver.location_${geo.problem}`);
  } else if (geo.failure) {
    key = "failed"; text = t("driver.location_failed", { reason: errorSentence(geo.failure) });
  } else if (geo.sentAt) {
    key = "sent"; text = t("driver.location_shared");
  } else if (geo.position) {
    key = "found"; text = t("driver.location_found");
  } else {
    key = "waiting"; text = t("driver.location_waiting");
  }
  box.dataset.state = key;
  box.classList.toggle("notice", ["denied", "unavailable", "unsupported", "insecure", "failed"].includes(key));
  if (box.textContent !== text) box.textContent = text;
  const sent = $("location-sent");
  const showTime = geo.sentAt && key !== "off";
  sent.textContent = showTime ? t("driver.location_sent", { time: formatTimeSeconds(new Date(geo.sentAt)) }) : "";
  sent.dataset.sentAt = showTime ? new Date(geo.sentAt).toISOString() : "";
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
