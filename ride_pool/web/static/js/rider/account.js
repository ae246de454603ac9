// The rider's account view (#/account): download my data (GET /api/v1/me/export) and delete my
// account (POST /api/v1/me/delete with the password, after a clear warning).
//
// Test hooks: #export starts the download (a JSON file); #delete-form deletes; after deleting,
// the page logs out and shows rider.deleted_info.

import { api, logout } from "/static/js/api.js";
import { t } from "/static/js/i18n.js";
import { $, clearMessages, info, showError } from "/static/js/rider/messages.js";

let onDeleted = () => {};

export function setUpAccount(options) {
  onDeleted = options.onDeleted;
  $("export").addEventListener("click", onExport);
  $("delete-form").addEventListener("submit", onDelete);
}

export function showAccount() {
  $("export-status").textContent = "";
  $("delete-password").value = "";
  $("delete-confirm").checked = false;
}

async function onExport() {
  clearMessages();
  const button = $("export");
  button.disabled = true;
  $("export-status").textContent = t("rider.export_running");
  try {
    const data = await api("/api/v1/me/export");
    const blob = new Blob([JSON.stringify(data, null, 1)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = `rufbus-meine-daten-${String(data.exported_at || "").slice(0, 10)}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    $("export-status").textContent = t("rider.export_done", { bookings: (data.bookings || []).length });
  } catch (err) {
    $("export-status").textContent = "";
    showError(err);
  } finally {
    button.disabled = false;
  }
}

async function onDelete(e) {
  e.preventDefault();
  clearMessages();
  const password = $("delete-password").value;
  if (!password) {
    $("delete-password").setAttribute("aria-invalid", "true");
    showError(t("rider.delete_need_password"));
    $("delete-password").focus();
    return;
  }
  $("delete-password").removeAttribute("aria-invalid");
  if (!$("delete-confirm").checked) {
    showError(t("rider.delete_need_confirm"));
    $("delete-confirm").focus();
    return;
  }
  if (!window.confirm(t("rider.delete_last_question"))) return;
  const button = $("delete");
  button.disabled = true;
  try {
    const result = await api("/api/v1/me/delete", { method: "POST", body: { password } });
    $("delete-password").value = "";
    logout();
    onDeleted(t("rider.deleted_info", { cancelled: (result.cancelled_bookings || []).length }));
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}
