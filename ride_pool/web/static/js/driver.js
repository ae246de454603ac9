// Driver page: log in, start a shift on a vehicle, follow the route list (next stop first), report
// arrived / boarded / no-show / dropped off per booking and the planned break, see the route on the
// map; the dispatcher's changes arrive live (GET /api/v1/driver/events), with polling as a
// fallback. While the shift runs the phone's position is shared (driver/location.js).
//
// It works in dead zones (issue 14): a service worker (/driver-sw.js, driver/sw.js) keeps the page
// and the map data; the account, the shifts and the last route are kept in IndexedDB
// (driver/store.js); every tap is a report in the phone's outbox, shown on its card as "wird
// gesendet" and sent in order whenever the server can be reached (driver/sync.js), also after the
// page was closed. The connection line says when the server answered last and how many reports
// wait; refusals are shown on the card they belong to.

import { api, ApiError, errorSentence, getToken, login, logout, me, subscribe } from "/static/js/api.js";
import { addTranslations, applyTranslations, formatDateTime, formatTime, languageSwitch, onLanguageChange, t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import { el } from "/static/js/dom.js";
import { ownPosition, renderLocationState, setUpLocationSharing, shareWanted, startSharing, stopSharing } from "/static/js/driver/location.js";
import { noShowFrom, recordLine, riderOf, stepCard } from "/static/js/driver/cards.js";
import { deleteValue, getValue, persistent, setValue } from "/static/js/driver/store.js";
import {
  dismiss, flush, isOnline, noteContact, noteFailure, onSyncChange, resumeAfterLogin, serverNow, setServerTime, syncState, tap, useAccount,
} from "/static/js/driver/sync.js";
import { setUpTheme } from "/static/js/driver/theme.js";
import driverTexts from "/static/js/i18n/driver.js";

addTranslations(driverTexts);

const $ = (id) => document.getElementById(id);
const POLL_MS = 20000;            // the route is fetched this often while online (besides live events) ...
const PROBE_MS = 8000;            // ... and the server tried this often while it cannot be reached
const TICK_MS = 5000;             // the connection line and the no-show buttons follow the clock

const state = {
  user: null, shifts: [], shift: null, route: null, routeAt: null,
  seen: null, newKeys: new Set(),
  source: null, live: false, pollTimer: 0, reloadTimer: 0,
  map: null, fitted: false, stepsKey: null, mapReturn: null,
};

function showError(err) { $("alert").textContent = typeof err === "string" ? err : errorSentence(err); }
let infoTimer = 0;
/** A short note at the top ("Einstieg gemeldet."), gone after 10 s. */
function info(text) {
  $("info").textContent = text;
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => { if ($("info").textContent === text) $("info").textContent = ""; }, 10000);
}
function clearMessages() { $("alert").textContent = ""; $("info").textContent = ""; }
const isNetworkError = (err) => err instanceof ApiError && err.status === 0;
const LOAD_TIMEOUT_MS = 15000;

/** GET path; a call without an answer within 15 s counts as no connection (in a dead zone a
 *  request can hang for minutes, and the connection line must not say "verbunden" meanwhile). */
async function load(path) {
  const controller = typeof AbortController !== "undefined" ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), LOAD_TIMEOUT_MS) : 0;
  try {
    return await api(path, { signal: controller ? controller.signal : undefined });
  } catch (err) {
    if (err && err.name === "AbortError") { noteFailure(); throw new ApiError(0, "network", "timeout"); }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ start, login
async function start() {
  languageSwitch();
  applyTranslations(document);
  setUpTheme($("theme-toggle"), () => { if (state.map) state.map.redraw(); });
  onLanguageChange(() => {
    renderShifts();
    state.stepsKey = null;
    renderRoute();
    renderConnection();
    renderLocationState();
    if (state.map) state.map.setLabel(t("driver.route"));
  });
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", onLogout);
  window.addEventListener("ride-pool:logged-out", async () => {
    await forgetAccountData();
    state.user = null; state.route = null; state.seen = null; state.stepsKey = null;
    stopLive(); stopSharing(); show();
  });
  $("end-shift").addEventListener("click", endShift);
  $("map-close").addEventListener("click", closeMap);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && $("map-panel").classList.contains("map-open")) closeMap(); });
  setUpLocationSharing({
    hasShift: () => !!state.shift && !!state.shift.started,
    onMove: drawVehicle,
    onFirstFix: fitToOwnPosition,
    onSent: (shift) => {
      if (state.route && state.route.shift && state.route.shift.id === shift.id) {
        state.route.shift = { ...state.route.shift, lat: shift.lat, lon: shift.lon };
      }
    },
    onShiftGone: loadShifts,
  });
  onSyncChange(onSync);
  window.addEventListener("ride-pool:report-confirmed", onConfirmed);
  window.addEventListener("ride-pool:report-refused", () => { state.stepsKey = null; renderAll(); });
  setInterval(tick, TICK_MS);
  registerWorker();
  if (!(await persistent())) $("storage-note").hidden = false;

  const token = getToken();
  if (token) {
    try {
      state.user = await me();
    } catch (err) {
      if (isNetworkError(err)) state.user = await cachedSession(token);
      else showError(err);
    }
    if (state.user && !["driver", "operator"].includes(state.user.role)) state.user = null;
    if (state.user) await useUser(state.user, token);
  }
  await show();
}

/** The service worker keeps the page, its files and the map data for dead zones. */
function registerWorker() {
  const root = document.documentElement;
  if (!("serviceWorker" in navigator)) { root.dataset.offlineReady = "unsupported"; return; }
  navigator.serviceWorker.register("/driver-sw.js", { scope: "/driver" }).then(() => navigator.serviceWorker.ready)
    .then(() => { root.dataset.offlineReady = "true"; })
    .catch((err) => { console.warn("driver page: no service worker", err); root.dataset.offlineReady = "failed"; });
}

/** After logging out: the riders' names and numbers (route) and the shifts leave the phone; the
 *  reports still waiting stay and are sent when the same account logs in again. */
async function forgetAccountData() {
  const id = state.user ? state.user.id : null;
  await deleteValue("session");
  if (id !== null) { await deleteValue(`route:${id}`); await deleteValue(`shifts:${id}`); }
}

async function cachedSession(token) {
  const session = await getValue("session");
  if (session && session.token_tail === token.slice(-16) && session.user) return session.user;
  return null;
}

async function useUser(user, token) {
  await setValue("session", { user, token_tail: token.slice(-16) });
  // ask the browser not to clear the waiting reports and the route when space runs short
  try { if (navigator.storage && navigator.storage.persist) navigator.storage.persist(); } catch (e) { /* not offered */ }
  await useAccount(user.id);
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
    await useUser(user, getToken());
    resumeAfterLogin();
    await show();
  } catch (err) { showError(err); }
}

async function onLogout() {
  const waiting = syncState().outbox.filter((r) => r.state === "waiting").length;
  if (waiting && !window.confirm(t("driver.logout_waiting", { count: waiting }))) return;
  logout();
  await forgetAccountData();
  state.user = null; state.route = null; state.seen = null; state.stepsKey = null;
  stopLive(); stopSharing();
  info(t("driver.logged_out"));
  show();
}

async function show() {
  const loggedIn = !!state.user;
  $("auth").hidden = loggedIn;
  $("logout").hidden = !loggedIn;
  $("user-name").hidden = !loggedIn;
  $("user-name").textContent = loggedIn ? state.user.name : "";
  if (!loggedIn) { $("shifts").hidden = true; $("work").hidden = true; $("connection").hidden = true; return; }
  await loadShifts();
}

// ------------------------------------------------------------------ shifts
function waitingOf(report) {
  return syncState().outbox.filter((r) => r.report === report && r.state === "waiting");
}

async function loadShifts() {
  if (!state.user) return;
  const key = `shifts:${state.user.id}`;
  try {
    state.shifts = await load("/api/v1/driver/shifts");
    await setValue(key, state.shifts);
  } catch (err) {
    if (isNetworkError(err)) state.shifts = (await getValue(key)) || state.shifts || [];
    else { showError(err); state.shifts = []; }
  }
  const running = state.shifts.find((s) => s.started && !s.ended && s.driver_id === state.user.id) || null;
  // a shift start tapped without signal: the shift counts as started on this phone
  const starting = waitingOf("shift_start").map((r) => state.shifts.find((s) => s.id === r.shift_id)).find(Boolean);
  state.shift = running || (starting ? { ...starting, started: true, pending_start: true } : null);
  $("connection").hidden = false;
  if (state.shift) {
    $("shifts").hidden = true;
    $("work").hidden = false;
    await loadRoute();
    startLive();
    if (shareWanted() && !state.shift.pending_start) startSharing(); else stopSharing();
  } else {
    stopLive();
    stopSharing();
    $("work").hidden = true;
    $("shifts").hidden = false;
    renderShifts();
  }
  renderConnection();
  schedulePoll();
}

function renderShifts() {
  const list = $("shift-list");
  list.innerHTML = "";
  const startable = state.shifts.filter((s) => !s.started);
  $("no-shifts").hidden = startable.length > 0;
  const records = syncState().outbox.filter((r) => r.report === "shift_start");
  for (const s of startable) {
    const mine = records.filter((r) => r.shift_id === s.id);
    list.append(el("li", {}, el("article", { class: "card shift-card", dataset: { shiftId: String(s.id), vehicleId: String(s.vehicle_id) } },
      el("div", {},
        el("div", { class: "vehicle" }, s.vehicle_label),
        el("div", { class: "muted" }, t("driver.shift_time", { from: formatDateTime(s.start), to: sameDay(s.start, s.end) ? formatTime(s.end) : formatDateTime(s.end) }))),
      el("button", { type: "button", class: "btn-primary", "aria-label": t("driver.start_shift_on", { vehicle: s.vehicle_label }),
        disabled: mine.some((r) => r.state === "waiting") ? true : null,
        onclick: (e) => startShift(s, e.currentTarget) }, t("driver.start_shift")),
      mine.length ? el("div", { class: "shift-records" }, mine.map((r) => recordLine(r, cardView()))) : null)));
  }
}

async function startShift(shift, button) {
  clearMessages();
  button.disabled = true;
  // a refusal of an earlier try on this shift is replaced by the new try
  for (const r of syncState().outbox.filter((x) => x.report === "shift_start" && x.shift_id === shift.id && x.state === "refused")) {
    await dismiss(r.seq);
  }
  state.seen = null;
  await tap({ report: "shift_start", shift_id: shift.id });     // without an answer onSync starts it on the phone
}

async function endShift() {
  if (!state.shift) return;
  if (!window.confirm(t("driver.end_confirm"))) return;
  clearMessages();
  for (const r of syncState().outbox.filter((x) => x.report === "shift_end" && x.state === "refused")) await dismiss(r.seq);
  await tap({ report: "shift_end", shift_id: state.shift.id });
}

async function onConfirmed(event) {
  const { record, answer } = event.detail;
  if (record.report === "shift_start") {
    info(t(`driver.done.${record.report}`));
    state.seen = null;
    await loadShifts();
    $("shift-title").focus?.();
  } else if (record.report === "shift_end") {
    info(t(`driver.done.${record.report}`));
    if (!syncState().outbox.some((r) => r.state === "waiting")) {
      state.route = null; state.seen = null; state.fitted = false; state.stepsKey = null;
      stopSharing();
      await loadShifts();
    }
  } else {
    if (answer && answer.id && state.route && state.route.shift && state.route.shift.id === answer.id) {
      state.route.shift = { ...state.route.shift, ...answer };
    }
    // the route as the server has it now, then the note: what the note says is what the list shows
    clearTimeout(state.reloadTimer);
    await loadRoute();
    info(t(`driver.done.${record.report}`));
  }
}

// ------------------------------------------------------------------ route
function scheduleRouteReload(delay = 250) {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(() => { loadRoute(); }, delay);
}

async function loadRoute() {
  if (!state.user || !state.shift) return;
  const key = `route:${state.user.id}`;
  const fetchedAt = Date.now();
  const call = (state.routeCalls = (state.routeCalls || 0) + 1);
  try {
    const route = await load("/api/v1/driver/route");
    if (call < (state.routeApplied || 0)) return;          // a later call's answer is shown already
    state.routeApplied = call;
    if (route.server_time) setServerTime(route.server_time, fetchedAt + (Date.now() - fetchedAt) / 2);
    await setValue(key, { route, fetched_at: fetchedAt });
    takeRoute(route, fetchedAt);
  } catch (err) {
    if (isNetworkError(err)) {
      if (!state.route) {
        const kept = await getValue(key);
        if (kept && kept.route && kept.route.shift && kept.route.shift.id === state.shift.id) {
          takeRoute(kept.route, kept.fetched_at, { quiet: true });
        } else {
          renderRoute();
        }
      }
      renderConnection();
      return;
    }
    if (err instanceof ApiError && err.code === "no_shift") {
      if (state.shift && state.shift.pending_start) { renderRoute(); return; }
      state.route = null;
      await loadShifts();
      return;
    }
    showError(err);
  }
}

function takeRoute(route, fetchedAt, { quiet = false } = {}) {
  const fresh = [];
  const keys = new Set();
  for (const step of route.steps) {
    for (const id of step.booking_ids || []) {
      const key = `${id}:${step.kind}`;
      keys.add(key);
      if (state.seen && !state.seen.has(key)) fresh.push({ key, step });
    }
  }
  const firstLoad = state.seen === null;
  state.newKeys = new Set(fresh.map((f) => f.key));
  state.seen = keys;
  state.route = route;
  // what the cards show of the route (not the polylines): an unchanged route is not drawn again
  state.routeKey = JSON.stringify([route.steps.map(({ polyline, ...rest }) => rest), route.bookings || null]);
  state.routeAt = fetchedAt;
  state.names = state.names || {};
  for (const step of route.steps) for (const id of step.booking_ids || []) {
    const name = riderOf(step, id).name;
    if (name) state.names[id] = name;
  }
  state.shift = { ...route.shift, pending_start: false };
  renderRoute(firstLoad || fresh.length > 0);
  const pickups = fresh.filter((f) => f.step.kind === "pickup");
  if (pickups.length && !quiet) {
    info(t("driver.new_rides", { stop: pickups[0].step.stop_name, time: formatTime(pickups[0].step.planned_arrival) }));
  }
}

function renderAll() {
  renderShifts();
  renderRoute();
  renderConnection();
}

/** The cards need: which reports of a booking wait or were refused, whether it arrived, is done. */
function recordsOf(bookingId, kind) {
  return syncState().outbox.filter((r) => r.booking_id === bookingId && (r.step_kind === kind || !r.step_kind));
}

function confirmedOf(bookingId, kind) {
  return syncState().confirmed.filter((c) => c.booking_id === bookingId && c.step_kind === kind);
}

/** What the server applied to a booking (route.bookings), {} from servers that do not say. */
function serverState(id) {
  return (state.route && state.route.bookings && state.route.bookings[id]) || {};
}

function bookingView(step, id, rider) {
  const records = recordsOf(id, step.kind);
  const confirmed = confirmedOf(id, step.kind);
  const applied = serverState(id);
  const all = [...records.filter((r) => r.state === "waiting"), ...confirmed];
  const arrivedRecord = all.find((r) => r.report === "arrived");
  const serverArrived = rider.arrivedAt
    || (step.kind === "pickup" ? applied.arrived_at : applied.dropoff_arrived_at) || null;
  const final = all.find((r) => ["boarded", "no_show", "dropped_off"].includes(r.report));
  let finalState = final ? final.report : null;
  // a report the server applied whose answer never came
  if (!finalState && step.kind === "pickup" && applied.boarded_at) finalState = "boarded";
  if (!finalState && step.kind === "pickup" && applied.no_show_at) finalState = "no_show";
  if (!finalState && step.kind === "dropoff" && applied.completed_at && !applied.no_show_at) finalState = "dropped_off";
  return {
    records,
    arrived: !!(serverArrived || arrivedRecord),
    arrivedAt: serverArrived || (arrivedRecord ? arrivedRecord.reported_at : null),
    finalState,
  };
}

function breakView(step) {
  const records = syncState().outbox.filter((r) => r.report === "break_start" || r.report === "break_end");
  const confirmed = syncState().confirmed.filter((c) => (c.report === "break_start" || c.report === "break_end")
    && (!state.routeAt || c.at > state.routeAt));
  const all = [...records.filter((r) => r.state === "waiting"), ...confirmed];
  const shift = (state.route && state.route.shift) || {};
  const tappedStart = all.find((r) => r.report === "break_start");
  const tappedEnd = all.find((r) => r.report === "break_end");
  const startedAt = (step.status === "started" && shift.break_started_at) || (tappedStart && tappedStart.reported_at)
    || (step.status === "started" ? step.planned_arrival : null);
  const endedAt = tappedEnd ? tappedEnd.reported_at : null;
  return { records, started: !!startedAt, startedAt, ended: !!endedAt };
}

/** Whether everything to do at a step was tapped (on this phone or applied by the server). */
function stepDone(step) {
  if (step.kind === "break") return breakView(step).ended;
  return step.booking_ids.length > 0 && step.booking_ids.every((id) => !!bookingView(step, id, riderOf(step, id)).finalState);
}

/** Whether the server's last route shows a report applied (its answer was lost on the way). */
function appliedOnServer(record) {
  if (!state.route) return false;
  const b = record.booking_id ? serverState(record.booking_id) : null;
  const shift = state.route.shift || {};
  switch (record.report) {
    case "arrived": return !!(b && (record.step_kind === "dropoff" ? b.dropoff_arrived_at : b.arrived_at));
    case "boarded": return !!(b && b.boarded_at);
    case "no_show": return !!(b && b.no_show_at);
    case "dropped_off": return !!(b && b.completed_at && !b.no_show_at);
    case "break_start": return !!shift.break_started_at;
    case "break_end": return !!shift.break_ended_at;
    default: return false;
  }
}

function cardView() {
  return {
    appliedOnServer,
    next: state.route ? state.route.steps.findIndex((s) => !stepDone(s)) : -1,
    newKeys: state.newKeys, sendingSeq: syncState().sendingSeq,
    bookingView, breakView, stepDone, now: serverNow,
    onReport: report, onBreak: reportBreak, onDismiss: async (seq) => { await dismiss(seq); },
    onMap: openMapAt,
  };
}

function renderRoute(fit = false) {
  const route = state.route;
  const s = state.shift;
  if (!s) return;
  $("shift-title").textContent = t("driver.shift_running", { vehicle: s.vehicle_label });
  $("shift-meta").textContent = t("driver.shift_meta", { from: formatTime(s.start), to: sameDay(s.start, s.end) ? formatTime(s.end) : formatDateTime(s.end), count: route ? route.steps.length : 0 });
  renderShiftRecords();
  renderConnection();
  const view = cardView();
  // an unchanged plan is not drawn again, so that nothing flickers and the focus stays where it is
  const noShowOpen = route ? route.steps.flatMap((st) => (st.kind !== "pickup" ? [] : st.booking_ids.map((id) => {
    const from = noShowFrom(st, riderOf(st, id), bookingView(st, id, riderOf(st, id)));
    return from === null || serverNow() >= from;
  }))) : [];
  const key = JSON.stringify([state.routeKey, syncState().outbox, syncState().confirmed.length, [...state.newKeys],
    view.sendingSeq, noShowOpen, s.pending_start]);
  if (route && (fit || state.drawnRoute !== route)) {        // the map follows every new route (polylines)
    state.drawnRoute = route;
    drawMap(fit);
  }
  if (key === state.stepsKey) return;
  state.stepsKey = key;
  const list = $("steps");
  const focused = document.activeElement && document.activeElement.closest("#steps [data-report], #steps [data-map]");
  const refocus = focused ? (focused.dataset.map ? `[data-map="${focused.dataset.map}"]`
    : `[data-report="${focused.dataset.report}"]${focused.dataset.booking ? `[data-booking="${focused.dataset.booking}"]` : ""}`) : null;
  list.innerHTML = "";
  $("route-pending").hidden = !(s.pending_start && !route);
  $("route-empty").hidden = !route || route.steps.length > 0;
  if (route) route.steps.forEach((step, i) => list.append(stepCard(step, i, view)));
  renderOtherReports(route, view);
  if (refocus) list.querySelector(refocus)?.focus();
}

/** Reports whose card is not (any more) on the route: a booking the server took off the route
 *  (cancelled meanwhile, or applied while the answer was lost), a break already over. */
function renderOtherReports(route, view) {
  const onCards = new Set();
  for (const step of (route && route.steps) || []) {
    for (const id of step.booking_ids || []) onCards.add(`${id}:${step.kind}`);
    if (step.kind === "break") onCards.add("break");
  }
  const others = syncState().outbox.filter((r) => {
    if (r.report === "shift_start" || r.report === "shift_end") return false;
    if (r.report === "break_start" || r.report === "break_end") return !onCards.has("break");
    return !onCards.has(`${r.booking_id}:${r.step_kind}`);
  });
  const box = $("other-reports");
  box.hidden = others.length === 0;
  const list = $("other-report-list");
  list.innerHTML = "";
  for (const r of others) {
    const who = state.names && state.names[r.booking_id];
    list.append(el("li", { class: "card other-report", dataset: { booking: r.booking_id || "" } },
      r.booking_id ? el("p", { class: "other-who" }, `${t(r.step_kind === "dropoff" ? "driver.dropoff" : "driver.pickup")}: `
        + (who || t("driver.booking", { id: r.booking_id.slice(0, 8) }))) : null,
      recordLine(r, view)));
  }
}

/** Shift start and end waiting or refused, shown in the shift's own card. */
function renderShiftRecords() {
  const box = $("shift-records");
  box.innerHTML = "";
  const records = syncState().outbox.filter((r) => (r.report === "shift_end" || r.report === "shift_start")
    && (!state.shift || r.shift_id === state.shift.id));
  for (const r of records) box.append(recordLine(r, cardView()));
  $("end-shift").disabled = records.some((r) => r.report === "shift_end" && r.state === "waiting");
}

function sameDay(a, b) {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" });
  return day.format(new Date(a)) === day.format(new Date(b));
}

async function report(step, id, what, button) {
  if (what === "no_show" && !window.confirm(t("driver.no_show_confirm"))) return;
  button.disabled = true;
  // a refusal shown for the same report is replaced by the new tap
  for (const r of recordsOf(id, step.kind).filter((x) => x.report === what && x.state === "refused")) await dismiss(r.seq);
  await tap({ report: what, shift_id: state.shift.id, booking_id: id, step_kind: step.kind });
}

async function reportBreak(step, what, button) {
  button.disabled = true;
  for (const r of syncState().outbox.filter((x) => x.report === what && x.state === "refused")) await dismiss(r.seq);
  await tap({ report: what, shift_id: state.shift.id, step_kind: "break" });
}

// ------------------------------------------------------------------ connection line
function onSync(sync) {
  renderAll();
  // a shift start tapped without an answer: the shift runs on this phone until the server has it
  if (state.user && !state.shift && !state.loadingShifts
      && sync.outbox.some((r) => r.report === "shift_start" && r.state === "waiting" && (r.attempts > 0 || !isOnline()))
      && !(sync.sending && isOnline())) {
    state.loadingShifts = true;
    loadShifts().finally(() => { state.loadingShifts = false; });
  }
}

function sinceWords(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t("driver.since_seconds", { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t("driver.since_minutes", { n: m });
  return t("driver.since_hours", { h: Math.floor(m / 60), m: m % 60 });
}

function waitingWords(count) {
  if (count === 0) return t("driver.waiting_none");
  return count === 1 ? t("driver.waiting_one") : t("driver.waiting_many", { count });
}

function renderConnection() {
  const line = $("live-state");
  if (!line || !state.user) return;
  const sync = syncState();
  const waiting = sync.outbox.filter((r) => r.state === "waiting").length;
  const refused = sync.outbox.filter((r) => r.state === "refused").length;
  let text, mode;
  if (!isOnline()) {
    mode = "offline";
    const since = sync.lastContact ? t("driver.offline_since", { since: sinceWords(Date.now() - sync.lastContact) }) : t("driver.offline");
    const what = waiting ? waitingWords(waiting)
      : state.routeAt ? t("driver.route_of", { time: formatTime(new Date(state.routeAt)) }) : waitingWords(0);
    text = `${since} — ${what}`;
  } else if (waiting) {
    mode = "sending";
    text = t("driver.online_sending", { waiting: waitingWords(waiting) });
  } else {
    mode = state.live ? "live" : "online";
    const at = state.routeAt ? formatTime(new Date(state.routeAt)) : formatTime(new Date(sync.lastContact || Date.now()));
    text = t(state.live ? "driver.live_on" : "driver.live_off", { time: at });
  }
  if (refused) text += ` · ${refused === 1 ? t("driver.refused_one") : t("driver.refused_many", { count: refused })}`;
  const box = $("connection");
  if (box.dataset.state !== mode) {
    // the line changes every few seconds; screen readers hear only when the state changes
    $("connection-announce").textContent = t(`driver.connection_${mode}`, { waiting: waitingWords(waiting) });
  }
  box.dataset.state = mode;
  box.dataset.waiting = String(waiting);
  if (line.textContent !== text) line.textContent = text;
}

function tick() {
  renderConnection();
  if (state.route) renderRoute();        // no-show buttons open when their time comes
}

// ------------------------------------------------------------------ map
function mapPoints() {
  return state.route.steps.filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon));
}

function drawMap(fit) {
  if (!state.map) state.map = createMap($("map"), { stops: true, label: t("driver.route") });
  const map = state.map;
  const route = state.route;
  const lines = route.steps.map((s) => s.polyline).filter((l) => l && l.length > 1);
  map.setRoute(lines);
  map.setMarkers("steps", route.steps.map((s, i) => ({ s, i })).filter(({ s }) => Number.isFinite(s.lat) && Number.isFinite(s.lon))
    .map(({ s, i }) => ({ lat: s.lat, lon: s.lon, label: s.kind === "break" ? "P" : String(i + 1),
      kind: s.kind === "pickup" ? "pickup" : s.kind === "break" ? "warning" : "dropoff" })));
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

/** The map from a card: over the whole screen on a phone (closed with the button or Escape),
 *  beside the list on a wide screen; centred on the step's stop. */
function openMapAt(step, button) {
  const panel = $("map-panel");
  state.mapReturn = button;
  const wide = window.matchMedia("(min-width: 60rem)").matches;
  if (!wide) {
    panel.classList.add("map-open");
    document.body.classList.add("map-is-open");
    $("map-close").hidden = false;
    $("map-title").textContent = t("driver.map_title", { stop: step.stop_name });
    $("map-close").focus();
  } else {
    panel.scrollIntoView({ block: "nearest" });
  }
  if (state.map) {
    state.map.setMarkers("focus", [{ lat: step.lat, lon: step.lon, label: "★", kind: "warning" }]);
    // after the panel took its new size
    requestAnimationFrame(() => state.map.ready.then(() => state.map.fitTo([[step.lat, step.lon]], { maxZoom: 16 })));
  }
  $("map").dataset.focus = `${step.lat},${step.lon}`;
}

function closeMap() {
  const panel = $("map-panel");
  panel.classList.remove("map-open");
  document.body.classList.remove("map-is-open");
  $("map-close").hidden = true;
  $("map-title").textContent = "";
  if (state.map) state.map.setMarkers("focus", []);
  if (state.mapReturn && document.body.contains(state.mapReturn)) state.mapReturn.focus();
  state.mapReturn = null;
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
  else {
    const first = route.steps.find((s) => s.polyline && s.polyline.length);
    if (first) position = first.polyline[0];
  }
  map.setVehicles(position ? [{ id: shift.vehicle_id, label: own ? `${shift.vehicle_label} (${t("driver.my_position")})` : shift.vehicle_label,
    lat: position[0], lon: position[1] }] : []);
  const box = $("map");
  box.dataset.vehicleLat = position ? String(position[0]) : "";
  box.dataset.vehicleLon = position ? String(position[1]) : "";
  box.dataset.vehicleSource = own ? "device" : position ? "server" : "";
  return position;
}

/** Show the driver where they are, together with the route; false when there is no map yet. */
function fitToOwnPosition(lat, lon) {
  if (!state.map || !state.route) return false;
  const points = mapPoints().map((s) => s.polyline).filter((l) => l && l.length > 1).flat();
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
      noteContact();
      if (event.type === "hello") return;
      clearTimeout(timer);
      timer = setTimeout(() => loadRoute(), 200);
    }, {
      onOpen: () => { state.live = true; noteContact(); },
      onError: () => {
        state.live = false;
        renderConnection();
        scheduleRouteReload(1000);           // is the server still there? the route call says
      },
    });
  }
}

function stopLive() {
  if (state.source) { state.source.close(); state.source = null; }
  state.live = false;
}

/** Fetch the route regularly: every 20 s while online, every 8 s while the server cannot be
 *  reached (the first answer sends the waiting reports and shows the route as the server has it). */
function schedulePoll() {
  clearTimeout(state.pollTimer);
  if (!state.user) return;
  state.pollTimer = setTimeout(async () => {
    if (state.user) {
      const wasOffline = !isOnline();
      if (state.shift) await loadRoute(); else await loadShifts();
      if (wasOffline && isOnline()) { flush(); if (!state.source || !state.live) { stopLive(); if (state.shift) startLive(); } }
    }
    schedulePoll();
  }, isOnline() ? POLL_MS : PROBE_MS);
}

window.addEventListener("online", () => {
  if (!state.user) return;
  if (state.shift) { loadRoute(); stopLive(); startLive(); } else loadShifts();
});
window.addEventListener("offline", () => { renderConnection(); schedulePoll(); });

start();
