// The operator's timetable upload (POST /api/v1/ops/timetable/import): a GTFS feed of the trains
// and buses the service connects to, whose departures riders choose under "Anschluss an Zug/Bus".

import { api } from "/static/js/api.js";
import { t } from "/static/js/i18n.js";
import { $, clearMessages, showError } from "/static/js/ops/common.js";
import "/static/js/connection.js";     // its translations hold this form's texts

export function setUpTimetable() {
  $("#timetable-form").addEventListener("submit", onUpload);
}

async function onUpload(event) {
  event.preventDefault();
  const err = $("#timetable-error");
  const status = $("#timetable-status");
  clearMessages(err, status);
  const file = $("#timetable-file").files[0];
  if (!file) { $("#timetable-file").focus(); showError(err, t("tt.none")); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  const button = event.currentTarget.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const result = await api("/api/v1/ops/timetable/import", { method: "POST", body: form });
    status.textContent = t("tt.done", { trips: result.trips, stops: result.stops, routes: result.routes });
    $("#timetable-file").value = "";
  } catch (e) {
    showError(err, e);
  } finally {
    button.disabled = false;
  }
}
