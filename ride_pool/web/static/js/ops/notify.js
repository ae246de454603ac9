// The "Nachrichten" tab (issue 17): rides of series that could not be booked
// (GET /api/v1/ops/series/refusals) and the notifications to riders with their delivery state and
// tries (GET /api/v1/ops/outbox). Loaded when the tab opens.
//
// Test hooks: #refusals-table rows data-series-id/data-date; #outbox-table rows data-status.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDateTime, t } from "/static/js/i18n.js";
import { $, clearMessages, showError } from "/static/js/ops/common.js";

let refusals = [];
let outbox = { counts: {}, messages: [] };

export async function loadNotify() {
  const err = $("#notify-error");
  clearMessages(err);
  try {
    [refusals, outbox] = await Promise.all([api("/api/v1/ops/series/refusals"), api("/api/v1/ops/outbox?limit=100")]);
    renderNotify();
  } catch (e) { showError(err, e); }
}

export function renderNotify() {
  $("#refusals-empty").hidden = refusals.length > 0;
  $("#refusals-table").hidden = refusals.length === 0;
  $("#refusals-table tbody").replaceChildren(...refusals.map((r) =>
    el("tr", { dataset: { seriesId: String(r.series_id), date: r.date } },
      el("td", {}, String(r.series_id)), el("td", {}, r.date), el("td", {}, r.cause || ""))));
  const c = outbox.counts || {};
  $("#outbox-counts").textContent = t("ops.notify.counts", { sent: c.sent || 0, pending: c.pending || 0,
    unknown: c.unknown || 0, failed: c.failed || 0, skipped: c.skipped || 0 });
  $("#outbox-table tbody").replaceChildren(...(outbox.messages || []).map((m) =>
    el("tr", { dataset: { status: m.status, kind: m.kind } },
      el("td", {}, formatDateTime(new Date(m.created_at * 1000).toISOString())),
      el("td", {}, t(`ops.notify.kind.${m.kind}`)),
      el("td", {}, t(`ops.notify.state.${m.status}`), m.last_error ? el("div", { class: "small muted" }, errorText(m.last_error)) : null),
      el("td", {}, (m.tries || []).map((x) => `${x.channel}: ${x.outcome}`).join(", ")))));
}

/** The sender's codes in words; a channel's own error (e.g. from the mail server) as it came. */
function errorText(error) {
  const key = `ops.notify.error.${error}`;
  const text = t(key);
  return text !== key ? text : error;
}
