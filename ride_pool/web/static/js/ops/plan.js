// The weekly shift plan (in the shifts tab): templates such as Mon–Fri 05:00–13:00 with a 30-minute
// break (GET/POST/PATCH/DELETE /api/v1/ops/shift-templates), the preview of the shifts they ask for
// in the next weeks (…/plan) and generating them (…/generate).

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDay, formatTime, t } from "/static/js/i18n.js";
import { $, announce, clearMessages, showError, whenChanged } from "/static/js/ops/common.js";
import { vehicleList } from "/static/js/ops/vehicles.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let templates = [];
let planned = null;

export function setUpPlan() {
  $("#template-form").addEventListener("submit", onSubmit);
  $("#plan-preview").addEventListener("click", () => preview(false));
  $("#plan-generate").addEventListener("click", () => preview(true));
  whenChanged("vehicles-changed", renderPlan);
}

export async function loadPlan() {
  try {
    templates = await api("/api/v1/ops/shift-templates");
    renderPlan();
  } catch (e) {
    showError($("#plan-error"), e);
  }
}

function label(vehicleId) {
  const v = vehicleList().find((x) => x.id === vehicleId);
  return v ? v.label : `#${vehicleId}`;
}

function breakText(x) {
  if (!x.break_minutes) return "–";
  const from = x.break_start_earliest.length > 5 ? formatTime(x.break_start_earliest) : x.break_start_earliest;
  const to = x.break_start_latest.length > 5 ? formatTime(x.break_start_latest) : x.break_start_latest;
  return t("ops.plan.break_text", { minutes: x.break_minutes, from, to });
}

export function renderPlan() {
  const days = $("#template-days");
  if (!days.children.length || days.dataset.lang !== document.documentElement.lang) {
    const checked = new Set([...days.querySelectorAll("input:checked")].map((i) => i.value));
    days.replaceChildren(...DAYS.map((d, i) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "weekday", value: String(i), checked: checked.has(String(i)) }), " ",
      t(`ops.day.${d}`))));
    days.dataset.lang = document.documentElement.lang;
  }
  const select = $("#template-vehicle");
  const keep = select.value;
  select.replaceChildren(...vehicleList().filter((v) => v.active).map((v) => el("option", { value: v.id }, v.label)));
  if (keep) select.value = keep;
  const body = $("#templates-table tbody");
  body.replaceChildren(...templates.map((x) => el("tr", { dataset: { templateId: x.id } },
    el("th", { scope: "row" }, t(`ops.day.${DAYS[x.weekday]}`)),
    el("td", {}, label(x.vehicle_id)),
    el("td", {}, `${x.start}–${x.end}`),
    el("td", {}, breakText(x)),
    el("td", { class: "actions" },
      el("button", { type: "button", class: "btn-small", onclick: () => edit(x) }, t("ops.edit")),
      el("button", { type: "button", class: "btn-small btn-danger", onclick: () => remove(x) }, t("ops.plan.delete"))))));
  renderPreview();
}

function edit(x) {
  const form = $("#template-form");
  form.elements.id.value = x.id;
  form.elements.vehicle_id.value = x.vehicle_id;
  for (const box of form.querySelectorAll("input[name=weekday]")) box.checked = Number(box.value) === x.weekday;
  form.elements.start.value = x.start;
  form.elements.end.value = x.end;
  form.elements.break_start_earliest.value = x.break_start_earliest || "";
  form.elements.break_start_latest.value = x.break_start_latest || "";
  form.elements.break_minutes.value = x.break_minutes || 0;
  form.querySelector("h3").textContent = t("ops.plan.edit", { day: t(`ops.day.${DAYS[x.weekday]}`), label: label(x.vehicle_id) });
  form.elements.start.focus();
}

async function remove(x) {
  if (!window.confirm(t("ops.plan.confirm_delete", { day: t(`ops.day.${DAYS[x.weekday]}`), label: label(x.vehicle_id) }))) return;
  try {
    await api(`/api/v1/ops/shift-templates/${x.id}`, { method: "DELETE" });
    await loadPlan();
  } catch (e) {
    showError($("#template-error"), e);
  }
}

async function onSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#template-error");
  const status = $("#template-status");
  clearMessages(err, status);
  const days = [...form.querySelectorAll("input[name=weekday]:checked")].map((i) => Number(i.value));
  if (!days.length) { showError(err, t("ops.plan.no_days")); return; }
  if (!form.elements.start.value || !form.elements.end.value) { showError(err, t("ops.plan.no_times")); return; }
  const minutes = Number(form.elements.break_minutes.value || 0);
  const body = {
    vehicle_id: Number(form.elements.vehicle_id.value), start: form.elements.start.value, end: form.elements.end.value,
    break_minutes: minutes,
    break_start_earliest: minutes ? form.elements.break_start_earliest.value || null : null,
    break_start_latest: minutes ? form.elements.break_start_latest.value || null : null,
  };
  try {
    const id = form.elements.id.value;
    if (id) await api(`/api/v1/ops/shift-templates/${id}`, { method: "PATCH", body: { ...body, weekday: days[0] } });
    else await api("/api/v1/ops/shift-templates", { method: "POST", body: { ...body, weekdays: days } });
    form.reset();
    form.elements.id.value = "";
    form.querySelector("h3").textContent = t("ops.plan.new");
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadPlan();
  } catch (e) {
    showError(err, e);
  }
}

async function preview(generate) {
  const err = $("#plan-error");
  clearMessages(err, $("#plan-status"));
  const weeks = Number($("#plan-weeks").value || 2);
  try {
    planned = generate
      ? await api("/api/v1/ops/shift-templates/generate", { method: "POST", body: { weeks } })
      : await api(`/api/v1/ops/shift-templates/plan?weeks=${weeks}`);
    renderPreview();
    if (generate) {
      const made = planned.filter((p) => p.status === "created").length;
      $("#plan-status").textContent = t("ops.plan.generated", { n: made });
      announce("shifts-changed");
    }
  } catch (e) {
    showError(err, e);
  }
}

function renderPreview() {
  const table = $("#plan-table");
  if (!planned) { table.hidden = true; return; }
  table.hidden = false;
  table.querySelector("tbody").replaceChildren(...planned.map((p) => el("tr", { dataset: { status: p.status } },
    el("td", {}, formatDay(p.start)),
    el("td", {}, p.label),
    el("td", {}, `${formatTime(p.start)}–${formatTime(p.end)}`),
    el("td", {}, breakText(p)),
    el("td", {}, el("span", { class: "badge", "data-status": p.status }, t(`ops.plan.status.${p.status}`))))));
}
