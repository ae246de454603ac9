// The stops tab: the stops (filtered, at most STOP_ROWS rows shown), the form to add or edit one
// (the position can be chosen on the map) and the import of a GTFS stops.txt or CSV file.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { $, clearMessages, globalError, showError } from "/static/js/ops/common.js";
import { missing, resetForm, setEditing, wireMapPick } from "/static/js/ops/edit-form.js";

const STOP_ROWS = 200;      // a long table is slow to draw and to read; the filter finds the rest

let stops = [];

export function setUpStops() {
  const form = $("#stop-form");
  form.addEventListener("submit", onStopSubmit);
  $("#stop-form .cancel-edit").addEventListener("click", resetStopForm);
  wireMapPick(form, "lat", "lon", $("#stop-status"));
  $("#stops-filter").addEventListener("input", renderStops);
  $("#import-form").addEventListener("submit", onImport);
  $("#import-preview").addEventListener("click", onPreview);
}

export async function loadStops() {
  try {
    stops = await api("/api/v1/stops?limit=5000");
    renderStops();
  } catch (e) {
    globalError(e);
  }
}

export function renderStops() {
  const q = $("#stops-filter").value.trim().toLowerCase();
  const match = q ? stops.filter((s) => `${s.name} ${s.town} ${s.code || ""}`.toLowerCase().includes(q)) : stops;
  const body = $("#stops-table tbody");
  body.replaceChildren();
  for (const s of match.slice(0, STOP_ROWS)) {
    body.append(el("tr", { dataset: { stopId: s.id } },
      el("th", { scope: "row" }, s.name),
      el("td", {}, s.town || ""),
      el("td", { class: "code" }, s.code || ""),
      el("td", { class: "coords" }, `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`),
      el("td", {}, el("button", {
        type: "button", class: "btn-small", "aria-label": t("ops.stops.edit", { name: s.name }),
        onclick: () => editStop(s),
      }, t("ops.edit")))));
  }
  $("#stops-count").textContent = t("ops.stops.count", { shown: Math.min(match.length, STOP_ROWS), total: match.length });
}

function editStop(s) {
  const form = $("#stop-form");
  clearMessages($("#stop-error"), $("#stop-status"));
  form.elements.id.value = s.id;
  form.elements.name.value = s.name;
  form.elements.town.value = s.town || "";
  form.elements.code.value = s.code || "";
  form.elements.lat.value = s.lat;
  form.elements.lon.value = s.lon;
  form.dataset.original = JSON.stringify({ name: s.name, town: s.town || "", code: s.code || "", lat: String(s.lat), lon: String(s.lon) });
  setEditing(form, "ops.stops.edit", { name: s.name });
  form.elements.name.focus();
}

async function onStopSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#stop-error");
  const status = $("#stop-status");
  clearMessages(err, status);
  const problem = missing(form, ["name", "lat", "lon"]);
  if (problem) { showError(err, problem); return; }
  const values = {
    name: form.elements.name.value.trim(), town: form.elements.town.value.trim(), code: form.elements.code.value.trim(),
    lat: form.elements.lat.value, lon: form.elements.lon.value,
  };
  const id = form.elements.id.value;
  try {
    if (id) {
      const original = JSON.parse(form.dataset.original || "{}");
      const body = {};
      for (const k of ["name", "town", "code"]) if (values[k] !== original[k]) body[k] = values[k];
      for (const k of ["lat", "lon"]) if (values[k] !== original[k]) body[k] = Number(values[k]);
      if (Object.keys(body).length) await api(`/api/v1/ops/stops/${id}`, { method: "PATCH", body });
    } else {
      const body = { name: values.name, town: values.town, lat: Number(values.lat), lon: Number(values.lon) };
      if (values.code) body.code = values.code;
      await api("/api/v1/ops/stops", { method: "POST", body });
    }
    resetStopForm();
    status.textContent = id ? t("ops.saved") : t("ops.created");
    await loadStops();
  } catch (e) {
    showError(err, e);
  }
}

function resetStopForm() {
  const form = $("#stop-form");
  resetForm(form, "ops.stops.new");
  delete form.dataset.original;
}

async function onImport(event) {
  event.preventDefault();
  const err = $("#import-error");
  const status = $("#import-status");
  clearMessages(err, status);
  const file = $("#import-file").files[0];
  if (!file) { $("#import-file").focus(); showError(err, t("ops.import.none")); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  const button = event.currentTarget.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const result = await api("/api/v1/ops/stops/import", { method: "POST", body: form });
    status.textContent = t("ops.import.done", { imported: result.imported, outside: result.outside_area });
    $("#import-file").value = "";
    $("#import-preview-out").hidden = true;
    await loadStops();
  } catch (e) {
    showError(err, e);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ preview before importing
async function onPreview() {
  const err = $("#import-error");
  const status = $("#import-status");
  const out = $("#import-preview-out");
  clearMessages(err, status);
  const file = $("#import-file").files[0];
  if (!file) { $("#import-file").focus(); showError(err, t("ops.import.none")); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    const result = await api("/api/v1/ops/stops/import?preview=true", { method: "POST", body: form });
    out.hidden = false;
    if (result.errors && result.errors.length) {
      out.replaceChildren(el("p", { class: "alert" }, t("ops.import.preview_errors", { n: result.errors.length })),
        el("ul", { class: "errors" }, ...result.errors.map((e) => el("li", { dataset: { line: e.line ?? "" } },
          e.line ? t("ops.import.line", { line: e.line, message: e.message }) : e.message))));
      return;
    }
    const rows = result.stops.slice(0, 50).map((s) => el("tr", { class: s.inside ? "" : "muted" },
      el("td", {}, s.name), el("td", {}, s.town || ""), el("td", {}, s.code || ""),
      el("td", {}, `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`),
      el("td", {}, s.inside ? t("ops.import.inside") : t("ops.import.outside"))));
    out.replaceChildren(
      el("p", {}, t("ops.import.preview_ok", { n: result.stops.length, outside: result.outside_area })),
      el("table", { class: "data compact" },
        el("thead", {}, el("tr", {}, ...["ops.stops.name", "ops.stops.town", "ops.stops.code", "ops.stops.position",
          "ops.import.where"].map((k) => el("th", { scope: "col" }, t(k))))),
        el("tbody", {}, ...rows)));
  } catch (e) {
    showError(err, e);
  }
}
