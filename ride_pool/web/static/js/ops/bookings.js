// The bookings tab, the operator's desk: the open bookings by pickup time (loaded with the live
// map, overview.js) or a search over every booking and refused request (GET
// /api/v1/ops/bookings/search: name, phone, booking id, stop, day, status) with the causes, CSV
// export; and for an open booking: move it to another vehicle (pinned or not), give it a new time,
// cancel it (POST .../assign, .../retime, .../cancel).
//
// Test hooks: rows have data-booking-id; the move panel is #move-form (data-booking-id).

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDay, formatTime, t } from "/static/js/i18n.js";
import { $, announce, callerText, clearMessages, localInput, showError } from "/static/js/ops/common.js";
import { connectionWarning } from "/static/js/connection.js";
import { euros } from "/static/js/trip-form.js";

let bookings = [];          // the open bookings (live)
let desk = null;            // search results, or null while the open bookings are shown
let current = null;         // the booking the move panel is open for

/** Show this list of open bookings (GET /api/v1/ops/bookings). */
export function showBookings(list) {
  bookings = list;
  if (current) {
    const fresh = list.find((b) => b.booking_id === current.booking_id);
    if (fresh) current = fresh;
  }
  if (desk) search();       // the search shows the bookings as they are now
  else renderBookings();
}

export function setUpBookings() {
  $("#desk-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  $("#desk-status").addEventListener("change", search);
  $("#desk-export").addEventListener("click", exportCsv);
  $("#move-form").addEventListener("submit", (e) => { e.preventDefault(); move(); });
  $("#retime-submit").addEventListener("click", retime);
  $("#move-close").addEventListener("click", closePanel);
}

function params() {
  const p = new URLSearchParams();
  const q = $("#desk-q").value.trim();
  const status = $("#desk-status").value;
  const date = $("#desk-date").value;
  if (q) p.set("q", q);
  if (status && status !== "open") p.set("status", status);
  if (date) p.set("date", date);
  return p;
}

async function search() {
  const err = $("#bookings-error");
  clearMessages(err);
  const status = $("#desk-status").value;
  if (status === "open" && !$("#desk-q").value.trim() && !$("#desk-date").value) {
    desk = null;
    renderBookings();
    return;
  }
  try {
    const rows = await api(`/api/v1/ops/bookings/search?${params()}`);
    desk = status === "open" ? rows.filter((r) => r.status === "confirmed" || r.status === "onboard") : rows;
    renderBookings();
  } catch (e) {
    showError(err, e);
  }
}

async function exportCsv() {
  const err = $("#bookings-error");
  clearMessages(err);
  try {
    const text = await api(`/api/v1/ops/bookings/export.csv?${params()}`, { headers: { Accept: "text/csv" } });
    // the byte-order mark tells a German Excel the file is UTF-8 (reading the answer as text drops it)
    const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" }));
    const a = el("a", { href: url, download: "buchungen.csv" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    $("#bookings-status").textContent = t("ops.desk.exported");
  } catch (e) {
    showError(err, e);
  }
}

function openRow(b) {
  const when = `${formatDay(b.pickup_earliest)}, ${formatTime(b.pickup_earliest)}–${formatTime(b.pickup_latest)}`;
  const caller = callerText(b.caller_name, b.caller_phone);
  const actions = el("td", { class: "actions" });
  if (b.status === "confirmed") {
    actions.append(
      el("button", { type: "button", class: "btn-small", onclick: () => openPanel(b),
        "aria-label": t("ops.move.label", { from: b.origin.name, time: formatTime(b.pickup_earliest) }) }, t("ops.move.open")),
      el("button", {
        type: "button", class: "btn-small btn-danger",
        "aria-label": t("ops.bookings.cancel_label", { from: b.origin.name, to: b.destination.name, time: formatTime(b.pickup_earliest) }),
        onclick: () => cancelBooking(b),
      }, t("ops.bookings.cancel")));
  }
  const vehicle = b.vehicle ? b.vehicle.label : t("ops.bookings.unplanned");
  return el("tr", { dataset: { bookingId: b.booking_id, status: b.status } },
    el("td", {}, when),
    el("td", {}, b.origin.name),
    el("td", {}, b.destination.name),
    el("td", {}, b.wheelchairs ? `${b.passengers} (♿ ${b.wheelchairs})` : String(b.passengers),
      b.needs && b.needs.length ? el("div", { class: "small needs" }, b.needs.map((n) => t(`ops.need.${n}`)).join(", ")) : null,
      b.fare_cents !== null && b.fare_cents !== undefined ? el("div", { class: "small fare" }, euros(b.fare_cents)) : null),
    el("td", { class: b.vehicle ? "" : "warning" }, vehicle,
      b.pinned ? el("span", { class: "badge", "data-pinned": "true", title: t("ops.bookings.pinned_title") },
        t("ops.bookings.pinned")) : null),
    el("td", {}, el("span", { class: "badge", "data-status": b.status }, t(`ops.status.${b.status}`)),
      b.connection && b.connection.at_risk ? el("span", { class: "badge badge-alert", "data-connection": "at_risk",
        title: connectionWarning(b.connection) }, t("conn.at_risk_badge")) : null),
    el("td", {}, t(`ops.channel.${b.channel}`), caller ? el("div", { class: "small caller" }, caller) : null),
    el("td", {}, ""),
    actions);
}

function deskRow(r) {
  const when = `${formatDay(r.pickup_earliest)}, ${formatTime(r.pickup_earliest)}`
    + (r.pickup_latest ? `–${formatTime(r.pickup_latest)}` : "");
  const who = r.rider_name || callerText(r.caller_name, r.caller_phone);
  const live = r.booking_id && bookings.find((b) => b.booking_id === r.booking_id);
  const actions = el("td", { class: "actions" });
  if (live && live.status === "confirmed") {
    actions.append(el("button", { type: "button", class: "btn-small", onclick: () => openPanel(live) }, t("ops.move.open")));
  }
  return el("tr", { dataset: { bookingId: r.booking_id || "", status: r.status } },
    el("td", {}, when),
    el("td", {}, r.origin || "–"),
    el("td", {}, r.destination || "–"),
    el("td", {}, r.passengers ? String(r.passengers) : "–"),
    el("td", {}, r.vehicle || "–"),
    el("td", {}, el("span", { class: "badge", "data-status": r.status }, t(`ops.status.${r.status}`)),
      who ? el("div", { class: "small" }, who) : null),
    el("td", {}, r.channel ? t(`ops.channel.${r.channel}`) : "–"),
    el("td", {}, r.cause_text || ""),
    actions);
}

export function renderBookings() {
  const body = $("#bookings-table tbody");
  body.replaceChildren();
  const rows = desk ? desk.map(deskRow) : bookings.map(openRow);
  body.append(...rows);
  $("#bookings-empty").hidden = rows.length > 0;
  $("#bookings-table").hidden = rows.length === 0;
  if (current) renderPanel();
}

// ------------------------------------------------------------------ moving and re-timing
let shiftOptions = [];

async function openPanel(b) {
  current = b;
  const form = $("#move-form");
  clearMessages($("#move-error"), $("#bookings-status"));
  form.hidden = false;
  form.dataset.bookingId = b.booking_id;
  form.dataset.ready = "false";
  $("#retime-time").value = localInput(b.pickup_earliest);
  try {
    shiftOptions = (await api("/api/v1/ops/shifts")).filter((s) => !s.ended);
  } catch (e) {
    showError($("#move-error"), e);
  }
  renderPanel();
  form.dataset.ready = "true";
  loadHistory(b);
  $("#move-shift").focus();
}

function renderPanel() {
  const b = current;
  if (!b) return;
  $("#move-title").textContent = t("ops.move.title", {
    from: b.origin.name, to: b.destination.name, time: `${formatTime(b.pickup_earliest)}–${formatTime(b.pickup_latest)}`,
    vehicle: b.vehicle ? b.vehicle.label : t("ops.bookings.unplanned"),
  });
  const select = $("#move-shift");
  const keep = select.value;
  // only shifts running during the promised pickup window can keep it; each named with its day,
  // so that the same vehicle's shifts on other days cannot be mistaken for today's
  const ms = (x) => new Date(x).getTime();
  const fitting = shiftOptions.filter((s) => ms(s.start) <= ms(b.pickup_latest) && ms(s.end) >= ms(b.pickup_earliest));
  const shown = fitting.length ? fitting : shiftOptions;
  const span = (s) => {
    const end = formatDay(s.end) === formatDay(s.start) ? formatTime(s.end) : `${formatDay(s.end)}, ${formatTime(s.end)}`;
    return `${formatDay(s.start)}, ${formatTime(s.start)}–${end}`;
  };
  select.replaceChildren(...shown.map((s) => el("option", { value: s.id },
    `${s.vehicle_label} (${span(s)})`
    + (b.vehicle && s.vehicle_id === b.vehicle.vehicle_id ? ` – ${t("ops.move.now_here")}` : ""))));
  if (keep && shown.some((s) => String(s.id) === keep)) select.value = keep;
  else {
    const other = shown.find((s) => !b.vehicle || s.vehicle_id !== b.vehicle.vehicle_id);
    if (other) select.value = String(other.id);
  }
  $("#move-pin").checked = Boolean(b.pinned);
}

async function loadHistory(b) {
  const list = $("#move-history");
  list.replaceChildren();
  try {
    const changes = await api(`/api/v1/bookings/${encodeURIComponent(b.booking_id)}/changes`);
    list.append(...changes.map((c) => el("li", {}, changeText(c))));
  } catch (e) { /* the history is a help, not needed */ }
}

/** One change of a booking in words (the rider page shows the same). */
export function changeText(c) {
  const who = t(`ops.change.by.${c.cause}`);
  const what = t(`ops.change.${c.change}`, {
    old_vehicle: c.old_vehicle || "–", new_vehicle: c.new_vehicle || "–",
    old_time: c.old_pickup_earliest ? formatTime(c.old_pickup_earliest) : "–",
    new_time: c.new_pickup_earliest ? formatTime(c.new_pickup_earliest) : "–",
  });
  return `${formatTime(c.time)} ${who}: ${what}`;
}

function closePanel() {
  current = null;
  $("#move-form").hidden = true;
}

async function move() {
  const b = current;
  const err = $("#move-error");
  clearMessages(err);
  const shift = Number($("#move-shift").value);
  if (!shift) { showError(err, t("ops.shifts.no_vehicle")); return; }
  try {
    const moved = await api(`/api/v1/ops/bookings/${encodeURIComponent(b.booking_id)}/assign`,
      { method: "POST", body: { shift_id: shift, pin: $("#move-pin").checked } });
    current = null;
    $("#move-form").hidden = true;
    $("#bookings-status").textContent = t("ops.move.done", { vehicle: moved.vehicle ? moved.vehicle.label : "–",
      time: formatTime(moved.planned_pickup || moved.pickup_earliest) });
    announce("bookings-changed");
  } catch (e) {
    showError(err, e);
  }
}

async function retime() {
  const b = current;
  const err = $("#move-error");
  clearMessages(err);
  const value = $("#retime-time").value;
  if (!value) { showError(err, t("ops.retime.missing")); return; }
  const mode = document.querySelector("input[name=retime_mode]:checked").value;
  try {
    const changed = await api(`/api/v1/ops/bookings/${encodeURIComponent(b.booking_id)}/retime`,
      { method: "POST", body: { [mode]: value } });
    current = null;
    $("#move-form").hidden = true;
    $("#bookings-status").textContent = t("ops.retime.done", {
      time: `${formatTime(changed.pickup_earliest)}–${formatTime(changed.pickup_latest)}`,
      vehicle: changed.vehicle ? changed.vehicle.label : "–" });
    announce("bookings-changed");
  } catch (e) {
    showError(err, e);
  }
}

async function cancelBooking(b) {
  const err = $("#bookings-error");
  clearMessages(err);
  const question = t("ops.bookings.confirm_cancel", { from: b.origin.name, to: b.destination.name, time: formatTime(b.pickup_earliest) });
  if (!window.confirm(question)) return;
  try {
    await api(`/api/v1/ops/bookings/${encodeURIComponent(b.booking_id)}/cancel`, { method: "POST" });
    announce("bookings-changed");
  } catch (e) {
    showError(err, e);
  }
}
