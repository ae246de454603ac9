// Rider page: log in or register, choose a trip, take an offer, follow the booking live, cancel.
// Views are hash routes: #/book (rider/trip.js), #/bookings and #/bookings/<id> (rider/bookings.js),
// #/account (rider/account.js: download my data, delete my account);
// the path /bookings/<id> opens the same. This module wires login, routing and the language.

import { api, confirmEmail, getToken, login, logout, me, register, resendCode } from "/static/js/api.js";
import { loadConfig } from "/static/js/config.js";
import { addTranslations, applyTranslations, languageSwitch, onLanguageChange, t } from "/static/js/i18n.js";
import riderTexts from "/static/js/i18n/rider.js";
import { $, clearMessages, info, showError } from "/static/js/rider/messages.js";
import {
  loadBookings, openBooking, renderBooking, renderBookings, setUpBookings, showBooked, stopLive,
} from "/static/js/rider/bookings.js";
import { planFromLink, planTrip, renderTrip, setUpTrip, showTrip, tripNote } from "/static/js/rider/trip.js";
import { loadFavourites, onFavouritesChange } from "/static/js/rider/favourites.js";
import { setUpAccount, showAccount } from "/static/js/rider/account.js";
import { renderNotify, setUpNotify, showNotify } from "/static/js/rider/notify.js";
import { renderSeries, setUpSeries, showSeries } from "/static/js/rider/series.js";

addTranslations(riderTexts);

const state = {
  user: null,
  pending: null,             // {email, password} of a registration waiting for its e-mail code
  keepInfo: false,           // the message shown stays for the view opened next (e.g. "booked")
  minLeadMinutes: 30,
  link: null,                // URLSearchParams of a trip planner's deep link, applied once
};

// ------------------------------------------------------------------ login
async function start() {
  languageSwitch();
  applyTranslations(document);
  onLanguageChange(render);
  $("login-form").addEventListener("submit", onLogin);
  $("register-form").addEventListener("submit", onRegister);
  $("confirm-form").addEventListener("submit", onConfirm);
  $("confirm-resend").addEventListener("click", onResend);
  $("confirm-back").addEventListener("click", () => { clearMessages(); showConfirm(null); });
  $("logout").addEventListener("click", () => { logout(); state.user = null; stopLive(); info(t("rider.logged_out")); state.keepInfo = true; render(); });
  window.addEventListener("ride-pool:logged-out", () => { state.user = null; stopLive(); render(); });
  window.addEventListener("hashchange", () => route());
  const config = await loadConfig();        // the same request as the map's (one fetch per page)
  setUpTrip({ onBooked, offerTtlS: config.offer_ttl_s });
  setUpBookings({ onReturnTrip });
  onFavouritesChange(() => { if (state.user && currentRoute().view === "book") renderTrip(); });
  setUpAccount({ onDeleted });
  setUpNotify();
  setUpSeries();
  showServiceInfo();
  if (location.pathname.startsWith("/bookings/")) {
    const id = decodeURIComponent(location.pathname.slice("/bookings/".length));
    history.replaceState(null, "", `/#/bookings/${encodeURIComponent(id)}`);
  }
  if (config.min_lead_s) state.minLeadMinutes = Math.round(config.min_lead_s / 60);
  try {
    state.user = getToken() ? await me() : null;
  } catch (err) {
    showError(err);
  }
  if (state.user && state.user.role === "driver") {
    state.user = null;   // a driver's token from the driver page: riders log in here
  }
  if (state.user) favouritesLoaded();
  // a trip planner's deep link (/?from=lat,lon&to=lat,lon&arrive_by=...): kept until logged in
  const link = new URLSearchParams(location.search);
  if (link.get("from") && link.get("to")) state.link = link;
  route();
}

/** The deep link's trip, once, when the "new ride" view opens; the address loses the query. */
async function applyLink() {
  const link = state.link;
  state.link = null;
  history.replaceState(null, "", `/${location.hash || "#/book"}`);
  if (await planFromLink(link)) $("find").scrollIntoView({ block: "center" });
}

async function onLogin(e) {
  e.preventDefault();
  clearMessages();
  const email = $("login-email").value.trim(), password = $("login-password").value;
  if (!email || !password) { showError(t("err.wrong_login")); return; }
  try {
    await login(email, password);
    state.user = await me();
    $("login-password").value = "";
    favouritesLoaded();
    route();
  } catch (err) { showError(err); }
}

const MIN_PASSWORD = 10;

async function onRegister(e) {
  e.preventDefault();
  clearMessages();
  const name = $("register-name").value.trim(), email = $("register-email").value.trim(), password = $("register-password").value;
  if (password.length < MIN_PASSWORD || !password.trim()) {
    $("register-password").setAttribute("aria-invalid", "true");
    showError(t(password.trim() ? "err.password_too_short" : "err.password_blank"));
    $("register-password").focus();
    return;
  }
  $("register-password").removeAttribute("aria-invalid");
  try {
    await register(email, password, name);
    $("register-password").value = "";
    showConfirm({ email, password });
  } catch (err) {
    if (err.code && err.code.startsWith("password_")) $("register-password").setAttribute("aria-invalid", "true");
    showError(err);
  }
}

/** Show the form for the e-mail code of ``pending`` ({email, password}), or the login forms (null). */
function showConfirm(pending) {
  state.pending = pending;
  const waiting = !!pending;
  $("confirm-form").hidden = !waiting;
  $("login-form").hidden = waiting;
  $("register-form").hidden = waiting;
  if (waiting) {
    $("confirm-sent").textContent = t("rider.confirm_sent", { email: pending.email });
    $("confirm-code").value = "";
    $("confirm-code").focus();
  }
}

async function onConfirm(e) {
  e.preventDefault();
  clearMessages();
  const code = $("confirm-code").value.replace(/\s+/g, "");
  if (!/^[0-9]{6,8}$/.test(code)) {
    $("confirm-code").setAttribute("aria-invalid", "true");
    showError(t("rider.need_code"));
    $("confirm-code").focus();
    return;
  }
  $("confirm-code").removeAttribute("aria-invalid");
  const { email, password } = state.pending;
  try {
    await confirmEmail(email, code);
    await login(email, password);
    state.user = await me();
    showConfirm(null);
    favouritesLoaded();
    route();
  } catch (err) { showError(err); }
}

async function onResend() {
  clearMessages();
  try {
    await resendCode(state.pending.email);
    info(t("rider.code_resent", { email: state.pending.email }));
  } catch (err) { showError(err); }
}

/** The account was deleted: back to the log-in, with the goodbye message. */
function onDeleted(message) {
  state.user = null;
  stopLive();
  history.replaceState(null, "", "#/book");     // no hashchange: the message stays
  info(message);
  state.keepInfo = true;
  route();
}

/** Book the way back (or the same trip again): the trip form with the places set. */
function onReturnTrip(origin, destination, pickupAfter) {
  location.hash = "#/book";
  planTrip(origin, destination, { pickupAfter });
  tripNote(t("rider.return_trip_info"));      // next to the "Fahrt suchen" button, which gets the focus
  setTimeout(() => { $("find").focus({ preventScroll: true }); $("find").scrollIntoView({ block: "center" }); }, 0);
}

function favouritesLoaded() {
  loadFavourites().catch((err) => console.error(err));
}

function onBooked(booking) {
  showBooked(booking);
  info(t("rider.booked_info"));
  state.keepInfo = true;
  location.hash = `#/bookings/${encodeURIComponent(booking.booking_id)}`;
}

// ------------------------------------------------------------------ routing
function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const parts = hash.split("/").filter(Boolean);
  if (parts[0] === "bookings" && parts[1]) return { view: "booking", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "bookings") return { view: "bookings" };
  if (parts[0] === "account") return { view: "account" };
  if (parts[0] === "series") return { view: "series" };
  return { view: "book" };
}

function route() {
  const r = currentRoute();
  if (state.keepInfo) state.keepInfo = false;       // a message for the view opened now (e.g. "booked")
  else clearMessages();
  const loggedIn = !!state.user;
  $("auth").hidden = loggedIn;
  $("app").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
  $("user-name").hidden = !loggedIn;
  $("user-name").textContent = loggedIn ? state.user.name : "";
  $("lead-hint").textContent = t("rider.lead_hint", { minutes: state.minLeadMinutes });
  if (!loggedIn) { stopLive(); return; }
  for (const v of ["book", "bookings", "booking", "account", "series"]) $(`view-${v}`).hidden = v !== r.view;
  for (const tab of ["book", "bookings", "account", "series"]) $(`tab-${tab}`).toggleAttribute("aria-current", false);
  const tab = r.view === "booking" ? "bookings" : r.view;
  $(`tab-${tab}`).setAttribute("aria-current", "page");
  if (r.view !== "booking") stopLive();
  if (r.view === "book") { showTrip(); if (state.link) applyLink(); }
  else if (r.view === "bookings") loadBookings();
  else if (r.view === "account") { showAccount(); showNotify(); }
  else if (r.view === "series") showSeries();
  else openBooking(r.id);
}

function render() {
  const r = currentRoute();
  if (state.pending) $("confirm-sent").textContent = t("rider.confirm_sent", { email: state.pending.email });
  if (!state.user) { route(); return; }
  if (r.view === "book") renderTrip();
  else if (r.view === "bookings") renderBookings();
  else if (r.view === "booking") renderBooking();
  else if (r.view === "account") renderNotify();
  else if (r.view === "series") renderSeries();
  renderServiceInfo();
  $("lead-hint").textContent = t("rider.lead_hint", { minutes: state.minLeadMinutes });
}

// ------------------------------------------------------------------ the service's hotline and legal links
let serviceInfo = null;

async function showServiceInfo() {
  try { serviceInfo = await api("/api/v1/info"); } catch (err) { return; }
  $("legal-link").href = serviceInfo.legal_notice_url;
  $("privacy-link").href = serviceInfo.privacy_url;
  renderServiceInfo();
}

function renderServiceInfo() {
  if (!serviceInfo) return;
  $("hotline").textContent = t("rider.hotline", { phone: serviceInfo.hotline, hours: serviceInfo.hotline_hours });
}

start();
