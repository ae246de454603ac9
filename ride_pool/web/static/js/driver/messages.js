// The server's refusal of a driver report as a sentence in the page's language (German first):
// the code's own text from the i18n tables (i18n/driver.js "driver.err.<code>", then the shared
// "err.<code>"), filled with the times the answer carries; for a code without text a sentence by
// the kind of report and the HTTP status. The server's English message is never shown.

import { formatTime, has, t } from "/static/js/i18n.js";

/** An ISO time in the answer's detail (the first of the usual field names) as "14:23". */
function detailTime(detail) {
  if (!detail || typeof detail !== "object") return null;
  for (const name of ["possible_from", "possible_at", "no_show_from", "earliest", "time", "at", "from", "until",
    "window_opens", "shift_start", "received_at"]) {
    const value = detail[name];
    if (typeof value === "string" && Number.isFinite(Date.parse(value))) return formatTime(value);
  }
  return null;
}

export function refusalSentence(record) {
  const error = record.error || {};
  const code = error.code || "error";
  const detail = error.detail && typeof error.detail === "object" ? error.detail : {};
  const params = { time: detailTime(detail) || "–", reason: "" };
  // every time in the answer by its name: {reported_at}, {server_time}, {shift_started_at}, ...
  for (const [name, value] of Object.entries(detail)) {
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) params[name] = formatTime(value);
  }
  if (!params.reported_at) params.reported_at = formatTime(record.reported_at);
  if (detail.reason && has(`driver.reason.${detail.reason}`)) params.reason = t(`driver.reason.${detail.reason}`);
  for (const key of [`driver.err.${code}.${record.report}`, `driver.err.${code}`, `err.${code}`]) {
    if (has(key) && !t(key).includes("{message}")) return t(key, params);
  }
  if (error.status === 404) return t("driver.err.gone");
  if (error.status === 409) return t("driver.err.conflict_report", { what: t(`driver.report.${record.report}`) });
  return t("driver.err.refused_other", { what: t(`driver.report.${record.report}`), code });
}

/** Any other error of the page (loading, logging in) in the page's language, without English. */
export function pageErrorSentence(err, fallback) {
  if (err && err.code && has(`driver.err.${err.code}`)) return t(`driver.err.${err.code}`, { time: detailTime(err.detail) || "–" });
  return fallback(err);
}
