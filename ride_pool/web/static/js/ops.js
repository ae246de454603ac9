// Operator dashboard (/ops): log-in, the tabs and the language; the parts live in ops/*.js:
// overview.js (KPI tiles, live map), phone.js (phone booking), bookings.js, vehicles.js, shifts.js,
// stops.js, area.js and audit.js (one per tab). German first; English via the language switch.
//
// Test hooks: every KPI tile has data-kpi="<key of GET /api/v1/ops/kpis>" and its number in
// .tile-value; the phone booking's confirmation is #phone-confirmation (data-booking-id,
// data-pickup-earliest, data-pickup-latest); the map sets data-rendered="true" once drawn.

import { login, logout, me, subscribe } from "/static/js/api.js";
import { addTranslations, applyTranslations, languageSwitch, onLanguageChange, t } from "/static/js/i18n.js";
import opsTexts from "/static/js/i18n/ops.js";
import opsRoomTexts from "/static/js/i18n/ops-room.js";
import { loadArea, renderArea } from "/static/js/ops/area.js";
import { loadAudit, renderAudit, setUpAudit } from "/static/js/ops/audit.js";
import { renderBookings, setUpBookings } from "/static/js/ops/bookings.js";
import { setUpHours } from "/static/js/ops/hours.js";
import { loadPlan, renderPlan, setUpPlan } from "/static/js/ops/plan.js";
import { loadNotify, renderNotify } from "/static/js/ops/notify.js";
import { $, clearMessages, globalError, showError } from "/static/js/ops/common.js";
import { refreshKpis, refreshLive, renderOverview, setUpOverview, showMap } from "/static/js/ops/overview.js";
import { renderPhone, setUpPhone } from "/static/js/ops/phone.js";
import { loadDrivers, loadShifts, renderDriverOptions, renderShifts, setUpShifts } from "/static/js/ops/shifts.js";
import { loadStops, renderStops, setUpStops } from "/static/js/ops/stops.js";
import { setUpTimetable } from "/static/js/ops/timetable.js";
import { loadVehicles, renderVehicles, setUpVehicles } from "/static/js/ops/vehicles.js";

addTranslations(opsTexts);
addTranslations(opsRoomTexts);

// the operator event stream (GET /api/v1/ops/events) drives the live view; a slow poll only
// covers a stream that is down (and the clock moving the vehicles' ETAs on)
const LIVE_FALLBACK_MS = 60000;
const KPI_EVERY_MS = 20000;

const state = {
  user: null,
  timers: [],
  stream: null,
  pending: 0,
};

/** An event of the stream: refresh what it concerns, at most every half second. */
function onStreamEvent(data) {
  if (!data || typeof data !== "object") return;
  document.body.dataset.live = "stream";
  if (state.pending) return;
  state.pending = setTimeout(() => {
    state.pending = 0;
    refreshLive();
    if (data.kind && !["vehicle_location", "vehicle_arrived"].includes(data.kind)) refreshKpis();
    if (data.kind && data.kind.startsWith("shift")) loadShifts();
  }, 500);
}

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
  if (state.stream) { state.stream.close(); state.stream = null; }
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
  showMap();
  await Promise.allSettled([refreshLive(), refreshKpis(), loadVehicles(), loadDrivers(), loadArea()]);
  await loadShifts();
  loadPlan();
  for (const id of state.timers) clearInterval(id);
  if (state.stream) state.stream.close();
  state.stream = subscribe("/api/v1/ops/events", onStreamEvent, {
    onOpen: () => { document.body.dataset.live = "stream"; },
    onError: () => { document.body.dataset.live = "poll"; },
  });
  state.timers = [
    setInterval(() => { if (!document.hidden) refreshLive(); }, LIVE_FALLBACK_MS),
    setInterval(() => { if (!document.hidden) refreshKpis(); }, KPI_EVERY_MS),
  ];
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
    if (tab.id === "tab-audit") loadAudit();
    if (tab.id === "tab-notify") loadNotify();
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
  document.title = t("ops.title");
  if (!state.user) return;
  renderOverview();
  renderPhone();
  renderBookings();
  renderVehicles();
  renderDriverOptions();
  renderShifts();
  renderStops();
  renderArea();
  renderPlan();
  renderAudit();
  refreshKpis();      // the causes' names come from the server, in the page's language
  renderNotify();
}

async function start() {
  applyTranslations(document);
  document.title = t("ops.title");
  languageSwitch(document);
  onLanguageChange(rerender);
  setupTabs();
  setUpOverview();
  setUpPhone();
  setUpVehicles();
  setUpShifts();
  setUpStops();
  setUpTimetable();
  setUpAudit();
  setUpBookings();
  setUpPlan();
  setUpHours();
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  window.addEventListener("ride-pool:logged-out", () => { if (state.user) { state.user = null; onLogout(); } });

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
