// The bookings tab: the open bookings by pickup time (loaded with the live map, overview.js), with
// the caller of a phone booking, and cancelling one.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDay, formatTime, t } from "/static/js/i18n.js";
import { $, announce, callerText, clearMessages, showError } from "/static/js/ops/common.js";

let bookings = [];

/** Show this list of open bookings (GET /api/v1/ops/bookings). */
export function showBookings(list) {
  bookings = list;
  renderBookings();
}

export function renderBookings() {
  const body = $("#bookings-table tbody");
  body.replaceChildren();
  $("#bookings-empty").hidden = bookings.length > 0;
  $("#bookings-table").hidden = bookings.length === 0;
  for (const b of bookings) {
    const when = `${formatDay(b.pickup_earliest)}, ${formatTime(b.pickup_earliest)}–${formatTime(b.pickup_latest)}`;
    const caller = callerText(b.caller_name, b.caller_phone);     // phone bookings: whom it is for
    const cancel = el("button", {
      type: "button", class: "btn-small btn-danger",
      "aria-label": t("ops.bookings.cancel_label", { from: b.origin.name, to: b.destination.name, time: formatTime(b.pickup_earliest) }),
      onclick: () => cancelBooking(b),
    }, t("ops.bookings.cancel"));
    body.append(el("tr", { dataset: { bookingId: b.booking_id } },
      el("td", {}, when),
      el("td", {}, b.origin.name),
      el("td", {}, b.destination.name),
      el("td", {}, b.wheelchairs ? `${b.passengers} (♿ ${b.wheelchairs})` : String(b.passengers),
        b.needs && b.needs.length ? el("div", { class: "small needs" }, b.needs.map((n) => t(`ops.need.${n}`)).join(", ")) : null,
        b.fare_cents !== null && b.fare_cents !== undefined ? el("div", { class: "small fare" },
          new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "de-DE",
            { style: "currency", currency: "EUR" }).format(b.fare_cents / 100)) : null),
      el("td", {}, b.vehicle ? b.vehicle.label : "–"),
      el("td", {}, el("span", { class: "badge", "data-status": b.status }, t(`ops.status.${b.status}`))),
      el("td", {}, t(`ops.channel.${b.channel}`), caller ? el("div", { class: "small caller" }, caller) : null),
      el("td", {}, b.status === "confirmed" ? cancel : "")));
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
