// The vehicles tab: the fleet (GET /api/v1/ops/vehicles) and the form to add or edit a vehicle
// (label, seats, wheelchair places, depot; the depot can be chosen on the map).

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { $, announce, clearMessages, globalError, showError } from "/static/js/ops/common.js";
import { missing, resetForm, setEditing, wireMapPick } from "/static/js/ops/edit-form.js";

let vehicles = [];

/** The vehicles as loaded last (the shifts tab offers them). */
export function vehicleList() { return vehicles; }

export function setUpVehicles() {
  const form = $("#vehicle-form");
  form.addEventListener("submit", onVehicleSubmit);
  $("#vehicle-form .cancel-edit").addEventListener("click", resetVehicleForm);
  wireMapPick(form, "depot_lat", "depot_lon", $("#vehicle-status"));
}

export async function loadVehicles() {
  try {
    vehicles = await api("/api/v1/ops/vehicles");
    renderVehicles();
    announce("vehicles-changed");
  } catch (e) {
    globalError(e);
  }
}

export function renderVehicles() {
  const body = $("#vehicles-table tbody");
  body.replaceChildren();
  for (const v of vehicles) {
    body.append(el("tr", { dataset: { vehicleId: v.id } },
      el("th", { scope: "row" }, v.label),
      el("td", {}, String(v.seats)),
      el("td", {}, String(v.wheelchair_places),
        v.features && v.features.length ? el("div", { class: "small" }, v.features.map((f) => t(`ops.feature.${f}`)).join(", ")) : null),
      el("td", { class: "coords" }, `${v.depot_lat.toFixed(4)}, ${v.depot_lon.toFixed(4)}`),
      el("td", {}, v.active ? t("ops.yes") : t("ops.no")),
      el("td", {}, el("button", {
        type: "button", class: "btn-small", "aria-label": t("ops.vehicles.edit", { label: v.label }),
        onclick: () => editVehicle(v),
      }, t("ops.edit")))));
  }
}

function editVehicle(v) {
  const form = $("#vehicle-form");
  clearMessages($("#vehicle-error"), $("#vehicle-status"));
  form.elements.id.value = v.id;
  form.elements.label.value = v.label;
  form.elements.seats.value = v.seats;
  form.elements.wheelchair_places.value = v.wheelchair_places;
  form.elements.depot_lat.value = v.depot_lat;
  form.elements.depot_lon.value = v.depot_lon;
  form.elements.active.checked = v.active;
  for (const box of form.querySelectorAll('input[name="feature"]')) box.checked = (v.features || []).includes(box.value);
  $("#vehicle-active-row").hidden = false;
  setEditing(form, "ops.vehicles.edit", { label: v.label });
  form.elements.label.focus();
}

async function onVehicleSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#vehicle-error");
  const status = $("#vehicle-status");
  clearMessages(err, status);
  const problem = missing(form, ["label", "seats", "depot_lat", "depot_lon"]);
  if (problem) { showError(err, problem); return; }
  const body = {
    label: form.elements.label.value.trim(),
    seats: Number(form.elements.seats.value),
    wheelchair_places: Number(form.elements.wheelchair_places.value || 0),
    depot_lat: Number(form.elements.depot_lat.value),
    depot_lon: Number(form.elements.depot_lon.value),
  };
  const id = form.elements.id.value;
  const features = [...form.querySelectorAll('input[name="feature"]:checked')].map((box) => box.value);
  try {
    let saved;
    if (id) {
      body.active = form.elements.active.checked;
      saved = await api(`/api/v1/ops/vehicles/${id}`, { method: "PATCH", body });
    } else {
      saved = await api("/api/v1/ops/vehicles", { method: "POST", body });
    }
    // what the vehicle offers for mobility needs (ramp, lift, low floor, pushchair space)
    await api(`/api/v1/ops/vehicles/${saved.id}/features`, { method: "PUT", body: { features } });
    resetVehicleForm();
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadVehicles();
  } catch (e) {
    showError(err, e);
  }
}

function resetVehicleForm() {
  resetForm($("#vehicle-form"), "ops.vehicles.new");
  $("#vehicle-active-row").hidden = true;
}
