// The rider page's two message lines: #alert (errors, role=alert) and #info (role=status).

import { ApiError, errorSentence } from "/static/js/api.js";

export const $ = (id) => document.getElementById(id);

/** Show an error (an ApiError, any error or a sentence) in #alert. */
export function showError(err) {
  $("alert").textContent = typeof err === "string" ? err : errorSentence(err);
  if (err instanceof ApiError || typeof err === "string") $("alert").scrollIntoView({ block: "nearest" });
}

export function info(text) { $("info").textContent = text; }

export function clearMessages() { $("alert").textContent = ""; $("info").textContent = ""; }
