// The HTTP API from the pages: JSON in and out, the bearer token in localStorage, errors as ApiError.
//
//   import { api, ApiError, login, register, logout, me, getToken, errorSentence, subscribe } from "/static/js/api.js";
//
// subscribe(path, onMessage) opens an event stream with a single-use ticket (never the token in the URL).
//
//   const booking = await api("/api/v1/bookings", {method: "POST", body: {offer_id}, headers: {"Idempotency-Key": key}});
//   try { ... } catch (err) { alertBox.textContent = errorSentence(err); }
//
// Errors of the API look like {"detail": {"code", "message"}}; FastAPI's own 422 may be a list.
// Every call dispatches "ride-pool:contact" on window with {ok: true, date} when the server answered
// (whatever the status; date: its Date header) and {ok: false} when it could not be reached.

import { getLanguage, t, has } from "/static/js/i18n.js";

const TOKEN_KEY = "ride_pool.token";
const ROLE_KEY = "ride_pool.role";

export class ApiError extends Error {
  constructor(status, code, message, detail = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;      // HTTP status; 0 when the server was not reached
    this.code = code;          // the API's detail.code, e.g. "not_found", "min_lead_time"
    this.detail = detail;      // the whole detail object
  }
}

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
}

export function getRole() {
  try { return localStorage.getItem(ROLE_KEY); } catch (e) { return null; }
}

function setToken(token, role) {
  try {
    if (token) { localStorage.setItem(TOKEN_KEY, token); localStorage.setItem(ROLE_KEY, role || ""); }
    else { localStorage.removeItem(TOKEN_KEY); localStorage.removeItem(ROLE_KEY); }
  } catch (e) { /* storage blocked: the token lives as long as the page */ }
}

function problemFrom(status, payload) {
  let detail = payload && payload.detail !== undefined ? payload.detail : payload;
  if (Array.isArray(detail)) {           // FastAPI's plain validation errors
    const message = detail.map((e) => {
      const where = Array.isArray(e.loc) ? e.loc.filter((p) => !["body", "query", "path"].includes(p)).join(".") : "";
      return where ? `${where}: ${e.msg}` : String(e.msg || "");
    }).join("; ");
    return new ApiError(status, "invalid_request", message || "invalid request", detail);
  }
  if (detail && typeof detail === "object") {
    return new ApiError(status, detail.code || "error", detail.message || `HTTP ${status}`, detail);
  }
  const text = typeof detail === "string" && detail ? detail : `HTTP ${status}`;
  return new ApiError(status, status === 404 ? "not_found" : "error", text, detail);
}

/** Tell the page whether the server answered ("ride-pool:contact" with {ok}): the driver page's
 *  connection line follows it. */
function contact(ok, date = null) {
  if (typeof window !== "undefined") window.dispatchEvent(new CustomEvent("ride-pool:contact", { detail: { ok, date } }));
}

/**
 * Call the API. body: sent as JSON (a FormData body is sent as is, as multipart/form-data);
 * form: an object sent as application/x-www-form-urlencoded.
 * Returns the parsed JSON (null for an empty answer); throws ApiError.
 */
export async function api(path, { method, body, form, headers, signal } = {}) {
  // the server's messages in the page's language (German unless the rider switched to English)
  const h = { Accept: "application/json", "Accept-Language": getLanguage(), ...(headers || {}) };
  const token = getToken();
  if (token && !("Authorization" in h)) h.Authorization = `Bearer ${token}`;
  if (h.Authorization === "") delete h.Authorization;      // explicitly without the token
  let payload;
  if (form !== undefined) {
    payload = new URLSearchParams(form).toString();
    h["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (typeof FormData !== "undefined" && body instanceof FormData) {
    payload = body;                                        // multipart: the browser sets Content-Type with the boundary
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, { method: method || (payload !== undefined ? "POST" : "GET"), headers: h, body: payload, signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    contact(false);
    throw new ApiError(0, "network", String(err && err.message ? err.message : err));
  }
  contact(true, response.headers.get("Date"));
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = text; }
  }
  if (!response.ok) {
    const err = problemFrom(response.status, data);
    if (response.status === 401 && token) {
      setToken(null);
      window.dispatchEvent(new CustomEvent("ride-pool:logged-out", { detail: err }));
    }
    throw err;
  }
  return data;
}

/** Log in (OAuth2 password form); keeps the token; returns {access_token, role, user_id}. */
export async function login(email, password) {
  const data = await api("/api/v1/auth/token", { method: "POST", form: { username: email, password }, headers: { Authorization: "" } });
  setToken(data.access_token, data.role);
  return data;
}

/** Register a rider account: the server mails a confirmation code (see confirmEmail). */
export async function register(email, password, name) {
  return api("/api/v1/auth/register", { method: "POST", body: { email, password, name }, headers: { Authorization: "" } });
}

/** Confirm the e-mail address with the code from the mail. */
export async function confirmEmail(email, code) {
  return api("/api/v1/auth/confirm", { method: "POST", body: { email, code }, headers: { Authorization: "" } });
}

/** Ask for a new confirmation code. */
export async function resendCode(email) {
  return api("/api/v1/auth/confirm/resend", { method: "POST", body: { email }, headers: { Authorization: "" } });
}

/**
 * Log out: the server ends this token (POST /api/v1/auth/logout), and the page forgets it at once
 * (also when the server cannot be reached). Returns a promise that settles when the server answered.
 */
export function logout() {
  const token = getToken();
  setToken(null);
  if (!token) return Promise.resolve();
  return fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } })
    .then(() => undefined, () => undefined);
}

/** The logged-in account {id, email, name, role}, or null when not logged in. */
export async function me() {
  if (!getToken()) return null;
  try {
    return await api("/api/v1/auth/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

function sentence(text) {
  text = String(text || "").trim();
  if (!text) return "";
  text = text[0].toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : text + ".";
}

/** How long to wait, in words ("3 Minuten", "einer Minute", "45 Sekunden"); "einen Moment" if unknown. */
export function waitWords(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return t("wait.moment");
  if (s < 60) return s === 1 ? t("wait.second") : t("wait.seconds", { n: Math.ceil(s) });
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return minutes === 1 ? t("wait.minute") : t("wait.minutes", { n: minutes });
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? t("wait.hour") : t("wait.hours", { n: hours });
}

/** A plain sentence for the user, in the current language, for any error. */
export function errorSentence(err) {
  if (!(err instanceof ApiError)) {
    return t("err.generic", { message: String(err && err.message ? err.message : err) });
  }
  if (err.status === 0) return t("err.network");
  const key = `err.${err.code}`;
  if (has(key)) return t(key, { message: sentence(err.message), wait: waitWords(err.detail && err.detail.retry_after_s) });
  if (err.status >= 500) return t("err.internal_error");
  if (err.status === 401) return t("err.not_authenticated");
  // the API's own message (in the page's language, see Accept-Language above) says what to fix
  return sentence(err.message) || t("err.generic", { message: "" });
}

/**
 * Server-sent events of path (e.g. /api/v1/driver/events); onMessage(data, event) for every
 * message ("hello" on connect, "change" on every change). Returns a handle with .close().
 *
 * Tokens never go into a URL: each connection first gets a single-use ticket for this stream
 * (POST <path>/ticket, valid about a minute) and opens the stream with ?ticket=. The browser's own
 * reconnect would reuse the spent ticket, so on an error the stream is closed and opened again
 * with a new ticket (after RECONNECT_MS, longer after repeated failures).
 */
const RECONNECT_MS = 3000;
const RECONNECT_MAX_MS = 60000;

export function subscribe(path, onMessage, { onError, onOpen } = {}) {
  let source = null;
  let closed = false;
  let timer = 0;
  let delay = RECONNECT_MS;
  const handle = (event) => {
    let data = event.data;
    try { data = JSON.parse(event.data); } catch (e) { /* plain text */ }
    onMessage(data, event);
  };
  const retry = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  };
  async function connect() {
    if (closed) return;
    let ticket;
    try {
      ticket = await api(`${path}/ticket`, { method: "POST" });
    } catch (err) {
      if (onError) onError(err);
      // not logged in (any more) or no such stream: trying again will not help
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429) retry();
      return;
    }
    if (closed) return;
    source = new EventSource(ticket.url);
    source.addEventListener("hello", handle);
    source.addEventListener("change", handle);
    source.addEventListener("message", handle);
    source.addEventListener("open", (event) => { delay = RECONNECT_MS; if (onOpen) onOpen(event); });
    source.addEventListener("error", (event) => {
      if (source) { source.close(); source = null; }
      if (onError) onError(event);
      retry();
    });
  }
  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (source) { source.close(); source = null; }
    },
  };
}

/** A fresh idempotency key (crypto.randomUUID, with a fallback for old browsers / plain http). */
export function newIdempotencyKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
