// The phone booking: the dispatcher asks for offers for a caller (POST /api/v1/ops/quotes, the trip
// form of trip-form.js plus the caller's name, phone and optional rider account), books one
// (POST /api/v1/ops/bookings) and reads the confirmation (#phone-confirmation, with data-booking-id,
// data-pickup-earliest and data-pickup-latest) to the caller.

import { api, newIdempotencyKey } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDay, formatTime, t } from "/static/js/i18n.js";
import {
  accessSentence, quoteBody, readCounts, reasonSentence, renderOffers, samePlace, setBooking, stopPlace, stopSearch, timeChoice,
} from "/static/js/trip-form.js";
import { $, announce, callerText, clearMessages, showError } from "/static/js/ops/common.js";
import { connectionChoice } from "/static/js/connection.js";

const phone = {
  origin: null, destination: null,      // the stop searches
  when: null,
  offers: [],
  confirmation: null,                   // {booking, caller} of the last booking
};

export function setUpPhone() {
  const error = (e) => showError($("#phone-error"), e);
  const chosen = () => phone.connection && phone.connection.refresh();
  phone.origin = stopSearch($("#origin-input"), $("#origin-list"), { onError: error, onChoose: chosen });
  // the caller's destination near where the caller is picked up first ("Arzt": the doctor nearby)
  phone.destination = stopSearch($("#destination-input"), $("#destination-list"), {
    onError: error, onChoose: chosen, near: () => (phone.origin.selected ? stopPlace(phone.origin.selected) : null),
  });
  phone.when = timeChoice($("#phone-form"), "time_mode", { datetime: $("#trip-time"),
    onChange: () => phone.connection && phone.connection.refresh() });
  // "Anschluss an Zug/Bus": the caller names the train; the next departures of the stop are listed
  const selectedPlace = (search) => (search.selected ? stopPlace(search.selected) : null);
  phone.connection = connectionChoice($("#phone-connection"), {
    prefix: "phone", places: () => ({ origin: selectedPlace(phone.origin), destination: selectedPlace(phone.destination) }),
    after: () => (phone.when.mode() !== "now" ? phone.when.localTime() : null),
  });
  $("#phone-form").addEventListener("submit", onQuote);
  $("#series-create").addEventListener("click", onSeries);
  $("#series-until").value = new Date(Date.now() + 90 * 86400e3).toISOString().slice(0, 10);
}

/** A series for the caller (POST /api/v1/ops/series): the trip's places and people, the days,
 *  the time, the last date, holidays skipped or not; the answer says what was booked already. */
async function onSeries() {
  const err = $("#phone-error");
  clearMessages(err);
  const result = $("#series-result");
  result.textContent = "";
  const origin = phone.origin.selected, destination = phone.destination.selected;
  if (!origin) { invalid(phone.origin, "ops.phone.pick_origin"); return; }
  if (!destination) { invalid(phone.destination, "ops.phone.pick_destination"); return; }
  const weekdays = [...document.querySelectorAll("#series-days input:checked")].map((box) => box.value);
  const time = $("#series-time").value, until = $("#series-until").value;
  if (!weekdays.length || !time || !until) { showError(err, t("ops.series.need")); return; }
  const counts = readCounts($("#passengers"), $("#wheelchairs"));
  if (counts.problem) { counts.field.focus(); showError(err, t(counts.problem)); return; }
  const trip = quoteBody(stopPlace(origin), stopPlace(destination), counts, "now", null);
  const body = { origin: trip.origin, destination: trip.destination, passengers: counts.passengers,
    wheelchairs: counts.wheelchairs, weekdays, pickup_time: time, until, skip_holidays: $("#series-holidays").checked };
  const callerName = $("#caller-name").value.trim(), callerPhone = $("#caller-phone").value.trim();
  if (callerName) body.caller_name = callerName;
  if (callerPhone) body.caller_phone = callerPhone;
  if (callerPhone && $("#caller-sms-consent").checked) body.sms_consent = true;
  const needs = callerNeeds();
  if (needs.length) body.needs = needs;
  try {
    const series = await api("/api/v1/ops/series", { method: "POST", body });
    const count = (status) => series.occurrences.filter((o) => o.status === status).length;
    result.textContent = t("ops.series.created", { id: series.id, booked: count("booked"), refused: count("refused"),
      holidays: count("holiday") });
    result.dataset.seriesId = String(series.id);
    announce("bookings-changed");
  } catch (e) { showError(err, e); }
}

/** Redraw what depends on the language. */
export function renderPhone() {
  if (phone.connection) phone.connection.render();
  showOffers();
  renderConfirmation();
}

function invalid(search, key) {
  search.input.setAttribute("aria-invalid", "true");
  search.input.focus();
  showError($("#phone-error"), t(key));
}

async function onQuote(event) {
  event.preventDefault();
  const err = $("#phone-error");
  clearMessages(err);
  phone.offers = [];
  showOffers();
  const origin = phone.origin.selected;
  const destination = phone.destination.selected;
  if (!origin) { invalid(phone.origin, "ops.phone.pick_origin"); return; }
  if (!destination) { invalid(phone.destination, "ops.phone.pick_destination"); return; }
  if (samePlace(stopPlace(origin), stopPlace(destination))) {
    phone.destination.input.focus(); showError(err, t("ops.phone.same_stop")); return;
  }
  const counts = readCounts($("#passengers"), $("#wheelchairs"));
  if (counts.problem) { counts.field.focus(); showError(err, t(counts.problem)); return; }
  const mode = phone.when.mode();
  const time = phone.when.localTime();
  if (mode !== "now" && !time) { $("#trip-time").focus(); showError(err, t("trip.need_time")); return; }
  const connection = phone.connection.value();
  if (connection && connection.problem) { showError(err, t(connection.problem)); return; }
  const body = quoteBody(stopPlace(origin), stopPlace(destination), counts, connection ? "now" : mode, time);
  if (connection) body.connection = connection;
  const callerName = $("#caller-name").value.trim();
  const callerPhone = $("#caller-phone").value.trim();
  if (callerName) body.caller_name = callerName;     // the server checks both and says what to fix
  if (callerPhone) body.caller_phone = callerPhone;
  if (callerPhone && $("#caller-sms-consent").checked) body.sms_consent = true;     // recorded with the booking
  const needs = callerNeeds();
  if (needs.length) body.needs = needs;
  const email = $("#caller-email").value.trim();
  if (email) body.rider_email = email;
  const button = $("#phone-quote");
  button.disabled = true;
  try {
    const quote = await api("/api/v1/ops/quotes", { method: "POST", body });
    announce("quoted");
    phone.offers = quote.offers;
    phone.timeReason = quote.time_reason || null;
    showOffers();
    if (!quote.offers.length) {
      const reason = quote.reason || { code: "no_vehicle_available", message: "" };
      showError(err, t("ops.phone.no_offer", { sentence: reasonSentence(reason) }));
    } else {
      $("#phone-offers button").focus();
    }
  } catch (e) {
    showError(err, e);
  } finally {
    button.disabled = false;
  }
}

function showOffers() {
  const box = $("#phone-offers");
  if (!phone.offers.length) { box.replaceChildren(); return; }
  const list = el("ul", { class: "offer-list" });
  renderOffers(list, phone.offers, { onBook: book, withPlan: true, timeReason: phone.timeReason });
  box.replaceChildren(el("h3", {}, t("ops.phone.offers")), list);
}

async function book(offer, button) {
  const err = $("#phone-error");
  clearMessages(err);
  const list = $("#phone-offers ul");
  setBooking(list, button, true);
  try {
    const booking = await api("/api/v1/ops/bookings", {
      method: "POST", body: { offer_id: offer.offer_id }, headers: { "Idempotency-Key": newIdempotencyKey() },
    });
    phone.confirmation = { booking, caller: callerText(booking.caller_name, booking.caller_phone) };
    phone.offers = [];
    showOffers();
    renderConfirmation();
    const box = $("#phone-confirmation");
    box.setAttribute("tabindex", "-1");
    box.focus();
    announce("bookings-changed");
  } catch (e) {
    showError(err, e);
    setBooking(list, button, false);
    button.focus();
  }
}

function renderConfirmation() {
  const box = $("#phone-confirmation");
  const c = phone.confirmation;
  if (!c) { box.hidden = true; return; }
  const b = c.booking;
  box.dataset.bookingId = b.booking_id;
  box.dataset.pickupEarliest = b.pickup_earliest;
  box.dataset.pickupLatest = b.pickup_latest;
  box.replaceChildren(
    el("p", { class: "big" }, t("ops.phone.booked", {
      caller: c.caller ? t("ops.phone.booked_for", { name: c.caller }) : "",
      date: formatDay(b.pickup_earliest), from: formatTime(b.pickup_earliest), to: formatTime(b.pickup_latest),
      origin: b.origin.name, destination: b.destination.name, latest: formatTime(b.dropoff_latest),
    })),
    el("p", {}, accessSentence(b.origin, "pickup")),
    el("p", {}, accessSentence(b.destination, "dropoff")),
    el("p", {}, t("ops.phone.booked_vehicle", { label: b.vehicle ? b.vehicle.label : "–", id: b.booking_id.slice(0, 8) })),
    el("p", { class: "muted" }, t("ops.phone.tell")),
    el("button", { type: "button", class: "btn-small", onclick: resetPhoneForm }, t("ops.phone.new")));
  box.hidden = false;
}

function resetPhoneForm() {
  phone.confirmation = null;
  $("#phone-form").reset();
  phone.origin.reset();
  phone.destination.reset();
  phone.when.sync();
  $("#phone-confirmation").hidden = true;
  $("#caller-name").focus();
}

/** The caller's mobility needs ticked in the phone form (the same for a single ride and a series). */
function callerNeeds() {
  return [...document.querySelectorAll("#phone-needs input[name=phone_need]:checked")].map((i) => i.value);
}
