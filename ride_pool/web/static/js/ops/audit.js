// The audit tab ("Protokoll"): the operators' changes, newest first (GET /api/v1/ops/audit), with a
// filter by area and account and "load older entries". Loaded when the tab opens.
//
// Test hooks: each row has data-audit-id and data-action (the API's action, e.g.
// "POST /api/v1/ops/shifts").

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDateTime, has, t } from "/static/js/i18n.js";
import { $, clearMessages, showError } from "/static/js/ops/common.js";

const PAGE = 100;

let entries = [];
let complete = false;

export function setUpAudit() {
  $("#audit-filter").addEventListener("submit", (e) => { e.preventDefault(); loadAudit(); });
  $("#audit-more").addEventListener("click", () => loadAudit(true));
}

function query(older) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  const kind = $("#audit-kind").value;
  const actor = $("#audit-actor").value.trim();
  if (kind) params.set("target_kind", kind);
  if (actor) params.set("actor", actor);
  if (older && entries.length) params.set("before_id", String(entries[entries.length - 1].id));
  return params;
}

/** Load the newest entries (or, with older, the next page after the ones shown). */
export async function loadAudit(older = false) {
  const err = $("#audit-error");
  clearMessages(err);
  try {
    const page = await api(`/api/v1/ops/audit?${query(older)}`);
    entries = older ? entries.concat(page) : page;
    complete = page.length < PAGE;
    renderAudit();
  } catch (e) {
    showError(err, e);
  }
}

/** "Schicht angelegt" for "POST /api/v1/ops/shifts"; the action itself when there is no text. */
function actionText(action) {
  const key = `ops.audit.action.${action}`;
  return has(key) ? t(key) : action;
}

function targetText(e) {
  const kind = has(`ops.audit.target.${e.target_kind}`) ? t(`ops.audit.target.${e.target_kind}`) : e.target_kind;
  return e.target_id ? `${kind} ${e.target_id.length > 12 ? e.target_id.slice(0, 8) + "…" : e.target_id}` : kind;
}

function detailsText(details) {
  const body = details && details.body;
  if (!body || typeof body !== "object") return "";
  if (body.bytes !== undefined && body.content_type !== undefined) {
    const result = details.result && details.result.imported !== undefined ? t("ops.audit.imported", { count: details.result.imported }) : "";
    return `${t("ops.audit.file", { bytes: body.bytes })}${result ? `, ${result}` : ""}`;
  }
  return Object.entries(body).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

export function renderAudit() {
  const body = $("#audit-table tbody");
  body.replaceChildren();
  $("#audit-empty").hidden = entries.length > 0;
  $("#audit-table").hidden = entries.length === 0;
  $("#audit-more").hidden = complete || entries.length === 0;
  for (const e of entries) {
    const who = e.actor_email || (e.actor_id !== null ? `#${e.actor_id}` : "–");
    const role = has(`ops.role.${e.actor_role}`) ? t(`ops.role.${e.actor_role}`) : e.actor_role;
    body.append(el("tr", { dataset: { auditId: e.id, action: e.action } },
      el("td", { class: "nowrap" }, formatDateTime(e.time)),
      el("td", {}, who, el("div", { class: "small muted" }, role)),
      el("td", {}, actionText(e.action)),
      el("td", { class: "code" }, targetText(e)),
      el("td", { class: "small details" }, detailsText(e.details))));
  }
}
