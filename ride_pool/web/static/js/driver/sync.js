// Queued driver reports and the connection to the server (issue 14).
//
// Every tap becomes a report in the phone's outbox (driver/store.js) with a report id and the tap
// time, and is sent from there, one after the other in the order of the taps, whenever the server
// can be reached: at once, again after a failure (2 s, 4 s, ... at most 30 s), as soon as the
// browser is back online or any other call reached the server, and when the page is opened again.
// The report id goes as Idempotency-Key and the tap time as {"reported_at": ...}: a report whose
// answer was lost is sent again with the same key and the server answers as the first time,
// without a second event.
//
// Outcome of sending one report:
//   2xx, or 409 already_reported        confirmed: taken out of the outbox
//   no answer, 5xx, 408, 429            kept; sending stops and is tried again later
//   401                                 kept; the page asks to log in again
//   any other 4xx (e.g. 422)            refused: kept with the server's reason, shown on the
//                                       report's card until the driver dismisses it; the next
//                                       reports are sent
//
// The connection state follows every call of the page (api.js reports each answer and each
// failure as a "ride-pool:contact" event): lastContact is the time of the last answer from the
// server (kept in localStorage, so that a reload without signal still knows it).

import { api, ApiError } from "/static/js/api.js";
import { addReport, removeReport, reports, updateReport } from "/static/js/driver/store.js";

const CONTACT_KEY = "ride_pool.driver.last_contact";
const RETRY_MS = [2000, 4000, 8000, 15000, 30000];
const SEND_TIMEOUT_MS = 20000;

/** report name → how it is sent */
export const REPORTS = {
  arrived: { booking: true }, boarded: { booking: true }, no_show: { booking: true }, dropped_off: { booking: true },
  shift_start: { path: "/api/v1/driver/shift/start" }, shift_end: { path: "/api/v1/driver/shift/end" },
  break_start: { path: "/api/v1/driver/break/start" }, break_end: { path: "/api/v1/driver/break/end" },
};

const listeners = new Set();
const sync = {
  userId: null,
  outbox: [],                 // this account's reports not yet confirmed (waiting and refused), oldest first
  sending: false, sendingSeq: null,
  retryTimer: 0, failures: 0, nextTry: 0,
  lastContact: readLastContact(),
  reachable: null,            // the last call's outcome: true (answered), false (no answer), null (none yet)
  lastFailure: 0,
  clockOffsetMs: 0,           // server time − phone time (when the phone's clock is more than 3 s off)
  confirmed: [],              // the last confirmed reports {report, booking_id, step_kind, answer, at}
  authNeeded: false,
};

function readLastContact() {
  try {
    const value = Number(localStorage.getItem(CONTACT_KEY));
    return Number.isFinite(value) && value > 0 ? value : 0;
  } catch (e) { return 0; }
}

function emit() { for (const fn of listeners) { try { fn(sync); } catch (e) { console.error(e); } } }

/** Call fn(state) after every change of the outbox or the connection. */
export function onSyncChange(fn) { listeners.add(fn); }

export function syncState() { return sync; }

// ------------------------------------------------------------------ the connection
window.addEventListener("ride-pool:contact", (event) => {
  if (event.detail && event.detail.ok) {
    if (event.detail.date) setServerTime(event.detail.date, Date.now(), 1000);
    noteContact();
  } else {
    noteFailure();
  }
});
window.addEventListener("online", () => { sync.failures = 0; flush(); });
window.addEventListener("offline", () => { sync.reachable = false; sync.lastFailure = Date.now(); emit(); });

export function noteContact() {
  const wasDown = sync.reachable === false;
  sync.reachable = true;
  sync.lastContact = Date.now();
  try { localStorage.setItem(CONTACT_KEY, String(sync.lastContact)); } catch (e) { /* storage blocked */ }
  if (wasDown) {
    sync.failures = 0;
    if (sync.outbox.some((r) => r.state === "waiting")) setTimeout(flush, 0);
  }
  emit();
}

export function noteFailure() {
  sync.reachable = false;
  sync.lastFailure = Date.now();
  emit();
}

/** Whether the server counts as reachable now: the last call was answered and the browser is online. */
export function isOnline() {
  return sync.reachable !== false && navigator.onLine !== false;
}

/** The phone's clock is corrected only when it is this far off: the server keeps whole seconds,
 *  and a correction by less would only move taps across the server's second boundaries. */
const CLOCK_TOLERANCE_MS = 3000;

/** What to add to the phone's clock to get the server's, from a time the server said (its Date
 *  header, the route's server_time) at receivedAtMs; resolutionMs: how finely it says it (the
 *  Date header in whole seconds, truncated). */
export function setServerTime(text, receivedAtMs, resolutionMs = 1000) {
  const server = Date.parse(text);
  if (!Number.isFinite(server)) return;
  const offset = server + resolutionMs / 2 - receivedAtMs;
  sync.clockOffsetMs = Math.abs(offset) > CLOCK_TOLERANCE_MS ? offset : 0;
}

/** Now on the server's clock (the phone's clock corrected by the offset seen last). */
export function serverNow() { return Date.now() + sync.clockOffsetMs; }

/** "2026-12-05T14:05:09+01:00": a time with the phone's UTC offset, to the second. */
export function isoWithOffset(ms) {
  const d = new Date(Math.floor(ms / 1000) * 1000);       // whole seconds, as the server counts
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:`
    + `${pad(d.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

function newReportId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ------------------------------------------------------------------ the outbox

/** Load the outbox of the account userId (after log-in, and when the page opens). */
export async function useAccount(userId) {
  sync.userId = userId;
  sync.confirmed = [];
  sync.authNeeded = false;
  await reload();
  flush();
}

async function reload() {
  sync.outbox = sync.userId === null ? [] : await reports(sync.userId);
  emit();
}

/**
 * The driver tapped: keep the report with its id and tap time and send it (when possible).
 * fields: {report, shift_id, booking_id?, step_kind?, label?, extra?}. Returns the record.
 */
export async function tap(fields) {
  if (!REPORTS[fields.report]) throw new Error(`unknown report ${fields.report}`);
  const record = await addReport({
    id: newReportId(), user_id: sync.userId, reported_at: isoWithOffset(serverNow()), created: Date.now(), ...fields,
  });
  sync.outbox.push(record);
  emit();
  flush();
  return record;
}

/** The driver took note of a refusal: the report leaves the outbox. */
export async function dismiss(seq) {
  await removeReport(seq);
  await reload();
}

/** Send the waiting reports in order (one sender per phone: a Web Lock where there is one). */
export function flush() {
  if (sync.sending || sync.userId === null || sync.authNeeded) return Promise.resolve();
  clearTimeout(sync.retryTimer);
  sync.retryTimer = 0;
  sync.sending = true;
  const run = async () => {
    try { await sendAll(); } finally { sync.sending = false; sync.sendingSeq = null; emit(); }
  };
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("ride_pool.driver.outbox", run).catch((err) => { console.error(err); });
  }
  return run().catch((err) => { console.error(err); });
}

async function sendAll() {
  for (;;) {
    // read again every time: another tab may have sent some, the driver may have tapped more
    sync.outbox = await reports(sync.userId);
    const next = sync.outbox.find((r) => r.state === "waiting");
    if (!next) { sync.failures = 0; emit(); return; }
    sync.sendingSeq = next.seq;
    emit();
    const outcome = await send(next);
    if (outcome === "retry") { scheduleRetry(); return; }
    if (outcome === "auth") { sync.authNeeded = true; return; }
  }
}

function scheduleRetry() {
  const delay = RETRY_MS[Math.min(sync.failures, RETRY_MS.length - 1)];
  sync.failures += 1;
  sync.nextTry = Date.now() + delay;
  clearTimeout(sync.retryTimer);
  sync.retryTimer = setTimeout(() => { sync.retryTimer = 0; flush(); }, delay);
}

function requestFor(record) {
  const how = REPORTS[record.report];
  const body = { reported_at: record.reported_at, ...(record.extra || {}) };
  if (how.booking) {
    return [`/api/v1/driver/bookings/${encodeURIComponent(record.booking_id)}/${record.report}`, body];
  }
  if (record.report === "shift_start") body.shift_id = record.shift_id;
  return [how.path, body];
}

/** Send one report: "confirmed", "refused", "retry" or "auth". */
async function send(record) {
  const [path, body] = requestFor(record);
  const controller = typeof AbortController !== "undefined" ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), SEND_TIMEOUT_MS) : 0;
  record.attempts = (record.attempts || 0) + 1;
  record.last_attempt = Date.now();
  let answer = null, error = null;
  try {
    answer = await api(path, { method: "POST", body, headers: { "Idempotency-Key": record.id },
      signal: controller ? controller.signal : undefined });
  } catch (err) {
    error = err && err.name === "AbortError" ? new ApiError(0, "network", "timeout") : err;
    if (err && err.name === "AbortError") noteFailure();
  } finally {
    clearTimeout(timer);
  }
  if (!error || (error instanceof ApiError && error.code === "already_reported")) {
    await removeReport(record.seq);
    sync.confirmed.push({ report: record.report, booking_id: record.booking_id, step_kind: record.step_kind,
      shift_id: record.shift_id, answer, replayed: !!error, at: Date.now(), reported_at: record.reported_at });
    if (sync.confirmed.length > 50) sync.confirmed.shift();
    sync.failures = 0;
    window.dispatchEvent(new CustomEvent("ride-pool:report-confirmed", { detail: { record, answer } }));
    return "confirmed";
  }
  if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500 || error.status === 408
      || error.status === 429) {
    record.error = null;
    await updateReport(record);
    return "retry";
  }
  if (error.status === 401) {
    await updateReport(record);
    return "auth";
  }
  record.state = "refused";
  record.error = { status: error.status, code: error.code, message: error.message, detail: error.detail };
  await updateReport(record);
  window.dispatchEvent(new CustomEvent("ride-pool:report-refused", { detail: { record } }));
  return "refused";
}

/** After a new log-in: the reports kept for it are sent again. */
export function resumeAfterLogin() {
  sync.authNeeded = false;
  flush();
}
