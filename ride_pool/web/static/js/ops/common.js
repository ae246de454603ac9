// Small helpers of the operator dashboard's modules: messages, number and time formats, and the
// dashboard's own events (one module changes something, the others that show it reload).

import { errorSentence } from "/static/js/api.js";
import { berlinNowParts, getLanguage } from "/static/js/i18n.js";

export const $ = (sel, root = document) => root.querySelector(sel);

function sentence(err) {
  if (typeof err === "string") return err;
  try { return errorSentence(err); } catch (e) { return String(err && err.message || err); }
}

/** Show err (an error or a sentence) in the message element box and unhide it. */
export function showError(box, err) {
  box.textContent = sentence(err);
  box.hidden = false;
}

/** Empty the message elements; alerts are hidden too (status lines hide themselves when empty). */
export function clearMessages(...boxes) {
  for (const box of boxes) {
    if (!box) continue;
    box.textContent = "";
    if (box.getAttribute("role") === "alert") box.hidden = true;
  }
}

/** An error of a background load: shown above the dashboard; a lost session logs out. */
export function globalError(err) {
  if (err && err.status === 401) {
    window.dispatchEvent(new CustomEvent("ride-pool:logged-out", { detail: err }));
    return;
  }
  showError($("#global-error"), err);
}

/** The wall-clock part ("2026-03-03T09:30") of an ISO time with the service's offset. */
export function localInput(iso) {
  return iso ? String(iso).slice(0, 16) : "";
}

/** Now plus offsetMinutes as a value for <input type="datetime-local"> (Berlin time). */
export function inputNow(offsetMinutes) {
  const p = berlinNowParts(offsetMinutes);
  return `${p.date}T${p.time}`;
}

/** A number in the page's language with at most digits decimals; "–" for none. */
export function num(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return new Intl.NumberFormat(getLanguage() === "de" ? "de-DE" : "en-GB",
    { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
}

/** "Name, Tel. 03521 123456", "Name", "Tel. …" or "" (a phone booking's caller). */
export function callerText(name, phone) {
  if (name && phone) return `${name}, Tel. ${phone}`;
  return name || (phone ? `Tel. ${phone}` : "");
}

// The dashboard's events: "bookings-changed" (booked, cancelled), "quoted" (a request counted),
// "shifts-changed", "vehicles-changed".
const events = new EventTarget();

export function announce(what) { events.dispatchEvent(new Event(what)); }

export function whenChanged(what, fn) { events.addEventListener(what, () => fn()); }
