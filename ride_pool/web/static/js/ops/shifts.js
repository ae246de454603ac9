// The shifts tab: the shifts (GET /api/v1/ops/shifts, the ended ones on request), the form to plan
// or change one (vehicle, start, end, driver) and ending one now.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDateTime, t } from "/static/js/i18n.js";
import { $, announce, callerText, clearMessages, globalError, inputNow, localInput, showError, whenChanged } from "/static/js/ops/common.js";
import { missing, resetForm, setEditing } from "/static/js/ops/edit-form.js";
import { vehicleList } from "/static/js/ops/vehicles.js";

let shifts = [];
let drivers = [];

export function setUpShifts() {
  $("#shift-form").addEventListener("submit", onShiftSubmit);
  $("#shift-form .cancel-edit").addEventListener("click", resetShiftForm);
  $("#shifts-ended").addEventListener("change", loadShifts);
  $("#shift-start").placeholder = inputNow(60);
  whenChanged("vehicles-changed", renderShiftVehicleOptions);
}

export async function loadDrivers() {
  try {
    drivers = await api("/api/v1/ops/users?role=driver");
    renderDriverOptions();
  } catch (e) {
    globalError(e);
  }
}

export function renderDriverOptions() {
  const select = $("#shift-driver");
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, t("ops.shifts.no_driver")),
    ...drivers.map((d) => el("option", { value: d.email }, `${d.name} (${d.email})`)));
  select.value = keep;
}

export function renderShiftVehicleOptions() {
  const select = $("#shift-vehicle");
  const keep = select.value;
  select.replaceChildren(...vehicleList().filter((v) => v.active || String(v.id) === keep)
    .map((v) => el("option", { value: v.id }, v.label)));
  if (keep) select.value = keep;
}

export async function loadShifts() {
  try {
    const ended = $("#shifts-ended").checked;
    shifts = await api(`/api/v1/ops/shifts${ended ? "?include_ended=true" : ""}`);
    renderShifts();
  } catch (e) {
    globalError(e);
  }
}

function driverName(id) {
  const d = drivers.find((x) => x.id === id);
  return d ? d.name : (id ? `#${id}` : "–");
}

export function renderShifts() {
  const body = $("#shifts-table tbody");
  body.replaceChildren();
  for (const s of shifts) {
    const stateText = s.ended ? t("ops.shifts.ended") : s.started ? t("ops.shifts.running") : t("ops.shifts.planned");
    const actions = el("td", { class: "actions" });
    if (!s.ended) {
      actions.append(el("button", {
        type: "button", class: "btn-small", "aria-label": t("ops.shifts.edit", { id: s.id, label: s.vehicle_label }),
        onclick: () => editShift(s),
      }, t("ops.edit")));
    }
    if (!s.ended) {
      actions.append(el("button", {
        type: "button", class: "btn-small btn-danger", "aria-label": t("ops.shifts.end_label", { id: s.id, label: s.vehicle_label }),
        onclick: () => endShift(s),
      }, t("ops.shifts.end_now")));
      actions.append(el("button", {
        type: "button", class: "btn-small btn-danger", "data-action": "breakdown",
        "aria-label": t("ops.breakdown.label", { id: s.id, label: s.vehicle_label }),
        onclick: () => breakdown(s),
      }, t("ops.breakdown.button")));
    }
    body.append(el("tr", { dataset: { shiftId: s.id } },
      el("th", { scope: "row" }, s.vehicle_label),
      el("td", {}, formatDateTime(s.start)),
      el("td", {}, formatDateTime(s.end)),
      el("td", {}, driverName(s.driver_id)),
      el("td", {}, stateText),
      el("td", {}, String(s.planned_stops)),
      actions));
  }
}

function editShift(s) {
  const form = $("#shift-form");
  clearMessages($("#shift-error"), $("#shift-status"));
  form.elements.id.value = s.id;
  renderShiftVehicleOptions();
  form.elements.vehicle_id.value = s.vehicle_id;
  form.elements.vehicle_id.disabled = true;
  form.elements.start.value = localInput(s.start);
  form.elements.end.value = localInput(s.end);
  const driver = drivers.find((d) => d.id === s.driver_id);
  form.elements.driver_email.value = driver ? driver.email : "";
  // a running shift: only its end can move (and a shift with booked stops keeps its driver plan)
  form.elements.start.disabled = s.started;
  form.elements.driver_email.disabled = s.started;
  form.dataset.original = JSON.stringify({ start: form.elements.start.value, end: form.elements.end.value,
    driver: form.elements.driver_email.value });
  setEditing(form, "ops.shifts.edit", { id: s.id, label: s.vehicle_label });
  form.elements.start.focus();
}

async function onShiftSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#shift-error");
  const status = $("#shift-status");
  clearMessages(err, status);
  const id = form.elements.id.value;
  if (!id && !form.elements.vehicle_id.value) { showError(err, t("ops.shifts.no_vehicle")); return; }
  const problem = missing(form, ["start", "end"]);
  if (problem) { showError(err, problem); return; }
  const start = form.elements.start.value;
  const end = form.elements.end.value;
  const driver = form.elements.driver_email.value;
  try {
    if (id) {
      const original = JSON.parse(form.dataset.original || "{}");
      const body = {};
      if (start !== original.start) body.start = start;
      if (end !== original.end) body.end = end;
      if (driver !== original.driver) body.driver_email = driver || null;
      if (!Object.keys(body).length) { status.textContent = t("ops.shifts.unchanged"); return; }
      await api(`/api/v1/ops/shifts/${id}`, { method: "PATCH", body });
    } else {
      const body = { vehicle_id: Number(form.elements.vehicle_id.value), start, end };
      if (driver) body.driver_email = driver;
      await api("/api/v1/ops/shifts", { method: "POST", body });
    }
    resetShiftForm();
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadShifts();
    announce("shifts-changed");
  } catch (e) {
    showError(err, e);
  }
}

function resetShiftForm() {
  const form = $("#shift-form");
  resetForm(form, "ops.shifts.new");
  form.elements.vehicle_id.disabled = false;
  form.elements.start.disabled = false;
  form.elements.driver_email.disabled = false;
  delete form.dataset.original;
}

async function endShift(s) {
  const err = $("#shift-error");
  clearMessages(err, $("#shift-status"));
  if (!window.confirm(t("ops.shifts.confirm_end", { id: s.id, label: s.vehicle_label }))) return;
  try {
    await api(`/api/v1/ops/shifts/${s.id}/end`, { method: "POST" });
    await loadShifts();
    announce("shifts-changed");
  } catch (e) {
    showError(err, e);
  }
}

// ------------------------------------------------------------------ a breakdown
async function breakdown(s) {
  const err = $("#shift-error");
  clearMessages(err, $("#shift-status"));
  if (!window.confirm(t("ops.breakdown.confirm", { id: s.id, label: s.vehicle_label }))) return;
  try {
    const out = await api(`/api/v1/ops/shifts/${s.id}/breakdown`, { method: "POST" });
    showBreakdown(s, out);
    await loadShifts();
    announce("shifts-changed");
    announce("bookings-changed");
  } catch (e) {
    showError(err, e);
  }
}

function showBreakdown(s, out) {
  const box = $("#breakdown-result");
  const items = [];
  for (const m of out.moved) items.push(el("li", { dataset: { bookingId: m.booking_id, result: "moved" } },
    t("ops.breakdown.moved", { id: m.booking_id.slice(0, 8), label: m.label })));
  for (const u of out.unplaced) {
    const who = callerText(u.caller_name, u.caller_phone);
    items.push(el("li", { class: "warning", dataset: { bookingId: u.booking_id, result: "unplaced" } },
      t("ops.breakdown.unplaced", { id: u.booking_id.slice(0, 8), cause: u.message }), who ? ` – ${who}` : ""));
  }
  for (const o of out.on_board) items.push(el("li", { class: o.planned ? "" : "warning", dataset: { bookingId: o.booking_id, result: "on_board" } },
    t(o.planned ? "ops.breakdown.onboard_planned" : "ops.breakdown.onboard_open",
      { id: o.booking_id.slice(0, 8), n: o.passengers, lat: o.lat.toFixed(5), lon: o.lon.toFixed(5) })));
  box.replaceChildren(
    el("h3", {}, t("ops.breakdown.title", { label: s.vehicle_label })),
    el("p", {}, t("ops.breakdown.summary", { moved: out.moved.length, unplaced: out.unplaced.length, onboard: out.on_board.length })),
    items.length ? el("ul", {}, ...items) : el("p", { class: "muted" }, t("ops.breakdown.nobody")),
    el("button", { type: "button", class: "btn-ghost btn-small", onclick: () => { box.hidden = true; } }, t("ops.close")));
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}
