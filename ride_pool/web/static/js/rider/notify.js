// The rider's notification choices and needs (#/account, issue 17): channels (e-mail, SMS, push),
// phone number, quiet hours (PUT /api/v1/me/profile); Web Push on this device: the service worker
// /rider-sw.js, PushManager.subscribe with the deployment's VAPID key
// (GET /api/v1/push/public-key) and the subscription sent to POST /api/v1/me/push-subscriptions;
// mobility needs and the fare group (the default of every quote).
//
// Test hooks: #notify-form, #push-enable, #notify-status, #needs-form, #needs-status.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { $, showError } from "/static/js/rider/messages.js";

const NEEDS = ["rollator", "wheelchair_own", "wheelchair_transfer", "pushchair", "assistance", "guide_dog", "companion"];
let profile = null;

export function setUpNotify() {
  $("notify-form").addEventListener("submit", onSaveNotify);
  $("needs-form").addEventListener("submit", onSaveNeeds);
  $("push-enable").addEventListener("click", onPushEnable);
}

export async function showNotify() {
  $("notify-status").textContent = "";
  $("needs-status").textContent = "";
  try {
    profile = await api("/api/v1/me/profile");
  } catch (err) { showError(err); return; }
  renderNotify();
}

export function renderNotify() {
  if (!profile) return;
  for (const channel of ["email", "sms", "push"]) $(`notify-${channel}`).checked = profile.channels.includes(channel);
  $("notify-phone").value = profile.phone || "";
  $("quiet-from").value = profile.quiet_from || "";
  $("quiet-until").value = profile.quiet_until || "";
  $("needs-list").replaceChildren(...NEEDS.map((need) => el("label", { class: "choice" },
    el("input", { type: "checkbox", name: "need", value: need, id: `need-${need}`, checked: profile.needs.includes(need) }),
    " ", el("span", {}, t(`rider.need.${need}`)))));
  $("fare-ticket").checked = !!profile.fare_group.ticket;
  $("fare-reduced").checked = !!profile.fare_group.reduced;
}

async function save(body, status) {
  try {
    profile = await api("/api/v1/me/profile", { method: "PUT", body });
    renderNotify();
    $(status).textContent = t("rider.notify_saved");
  } catch (err) { showError(err); }
}

function onSaveNotify(e) {
  e.preventDefault();
  const channels = ["email", "sms", "push"].filter((c) => $(`notify-${c}`).checked);
  const from = $("quiet-from").value || null, until = $("quiet-until").value || null;
  save({ channels, phone: $("notify-phone").value.trim() || null, quiet_from: from, quiet_until: until }, "notify-status");
}

function onSaveNeeds(e) {
  e.preventDefault();
  const needs = NEEDS.filter((n) => $(`need-${n}`).checked);
  const group = {};
  if ($("fare-ticket").checked) group.ticket = 1;
  else if ($("fare-reduced").checked) group.reduced = 1;
  save({ needs, fare_group: group }, "needs-status");
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function onPushEnable() {
  const status = $("notify-status");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    status.textContent = t("rider.push_unsupported");
    return;
  }
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") { status.textContent = t("rider.push_denied"); return; }
    const registration = await navigator.serviceWorker.register("/rider-sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    const { public_key: key } = await api("/api/v1/push/public-key");
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    }
    await api("/api/v1/me/push-subscriptions", { method: "POST", body: subscription.toJSON() });
    profile = await api("/api/v1/me/profile");
    renderNotify();
    status.textContent = t("rider.push_on");
    document.body.dataset.push = "on";
  } catch (err) {
    showError(err);
  }
}
