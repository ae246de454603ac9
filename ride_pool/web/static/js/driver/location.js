// Sharing the driver's position while the shift runs ("Standort teilen", on unless switched off;
// the choice is kept in localStorage): navigator.geolocation.watchPosition, sent with
// POST /api/v1/driver/location at most every 15 s, sooner when the vehicle moved more than 50 m,
// so that riders see their bus coming. #location-state says how it goes (data-state), and
// #location-sent when the last position went out.

import { api, ApiError, errorSentence } from "/static/js/api.js";
import { formatTimeSeconds, t } from "/static/js/i18n.js";

const $ = (id) => document.getElementById(id);
const SHARE_KEY = "ride_pool.driver.share_location";     // "on" (the default) | "off"
const SEND_EVERY_MS = 15000;     // a new position is sent at most every 15 s ...
const SEND_MOVED_M = 50;         // ... or sooner once the vehicle moved more than 50 m,
const MIN_GAP_MS = 3000;         // but never more than one report in 3 s

const geo = {
  watch: null,                  // the watchPosition id while sharing
  position: null,               // the latest reading {lat, lon, accuracy, at}
  sent: null, sentAt: 0,        // the last reading the server took, and when (ms)
  attemptAt: 0, sending: false, timer: 0,
  problem: null,                // "denied" | "unavailable" | "unsupported" | "insecure" | null
  failure: null,                // the last sending error (cleared by a success)
  fitted: false,
};

// what the page does about it (setUpLocationSharing)
let hooks = null;

/**
 * Wire the switch (#share-location). hooks: hasShift() whether a shift runs; onMove() after the
 * position changed or was lost; onFirstFix(lat, lon) the first reading of a sharing (returns
 * whether the map could show it); onSent(shift) the server's answer; onShiftGone() no shift any more.
 */
export function setUpLocationSharing(pageHooks) {
  hooks = pageHooks;
  $("share-location").checked = shareWanted();
  $("share-location").addEventListener("change", onShareSwitch);
}

/** This phone's latest position {lat, lon, accuracy, at} while sharing, else null. */
export function ownPosition() { return geo.position; }

export function shareWanted() {
  try { return localStorage.getItem(SHARE_KEY) !== "off"; } catch (e) { return true; }
}

function onShareSwitch(e) {
  const on = e.currentTarget.checked;
  try { localStorage.setItem(SHARE_KEY, on ? "on" : "off"); } catch (err) { /* storage blocked: this page only */ }
  if (on && hooks.hasShift()) startSharing(); else stopSharing();
}

export function startSharing() {
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

export function stopSharing() {
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
  hooks.onMove();
}

function onPosition(pos) {
    if (geo.watch === null) return;           // a reading after the switch went off
  const { latitude: lat, longitude: lon, accuracy } = pos.coords;
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
  geo.position = { lat, lon, accuracy, at: pos.timestamp || Date.now() };
  geo.problem = null;
  hooks.onMove();
  // show the driver where they are, once, together with the route
  if (!geo.fitted) geo.fitted = hooks.onFirstFix(lat, lon);
  maybeSend();
  renderLocationState();
}

function onPositionError(err) {
    if (geo.watch === null) return;
  if (err && err.code === 1) {              // PERMISSION_DENIED: the browser stops watching
    navigator.geolocation.clearWatch(geo.watch);
    geo.watch = null;
    geo.problem = "denied";
    geo.position = null;
    hooks.onMove();
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
    clearTimeout(geo.timer);
  geo.timer = 0;
  const pos = geo.position;
  if (!pos || geo.sending || geo.watch === null || !hooks.hasShift()) return;
  if (geo.sent && geo.sent.at === pos.at && geo.sent.lat === pos.lat && geo.sent.lon === pos.lon) return;
  const since = Date.now() - geo.attemptAt;
  const far = !geo.sent || distanceM(geo.sent, pos) > SEND_MOVED_M;
  const wait = Math.max(0, (far && !geo.failure ? MIN_GAP_MS : SEND_EVERY_MS) - since);
  if (wait > 0) { geo.timer = setTimeout(maybeSend, wait); return; }
  sendPosition(pos);
}

async function sendPosition(pos) {
    geo.sending = true;
  geo.attemptAt = Date.now();
  try {
    const shift = await api("/api/v1/driver/location", { method: "POST", body: { lat: pos.lat, lon: pos.lon } });
    geo.sent = pos;
    geo.sentAt = Date.now();
    geo.failure = null;
    hooks.onSent(shift);
    const status = $("location-state");
    status.dataset.sentLat = String(pos.lat);
    status.dataset.sentLon = String(pos.lon);
  } catch (err) {
    geo.failure = err;
    if (err instanceof ApiError && (err.code === "no_shift" || err.status === 401)) {
      geo.sending = false;
      stopSharing();
      if (err.code === "no_shift") await hooks.onShiftGone();
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
export function renderLocationState() {
    const box = $("location-state");
  if (!box) return;
  let key, text;
  if (!$("share-location").checked || (geo.watch === null && !geo.problem)) {
    key = "off"; text = t("driver.location_off");
  } else if (geo.problem) {
    key = geo.problem; text = t(`driver.location_${geo.problem}`);
  } else if (geo.failure && geo.failure instanceof ApiError && geo.failure.status === 0) {
    key = "offline"; text = t("driver.location_offline");
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
  box.classList.toggle("notice", ["denied", "unavailable", "unsupported", "insecure", "failed", "offline"].includes(key));
  if (box.textContent !== text) box.textContent = text;
  const sent = $("location-sent");
  const showTime = geo.sentAt && key !== "off";
  sent.textContent = showTime ? t("driver.location_sent", { time: formatTimeSeconds(new Date(geo.sentAt)) }) : "";
  sent.dataset.sentAt = showTime ? new Date(geo.sentAt).toISOString() : "";
}
