// The rider's regular rides (#/series, issue 17): a series with the places chosen under
// "New ride", weekdays, pickup time and end date (POST /api/v1/series); the list with each
// ride's state (booked, could not be booked, public holiday) and pause / resume / end.
//
// Test hooks: #series-form, #series-status, #series-list li[data-series-id].

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { placeName } from "/static/js/trip-form.js";
import { $, clearMessages, showError } from "/static/js/rider/messages.js";
import { tripPlaces } from "/static/js/rider/trip.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let list = [];

export function setUpSeries() {
  $("series-form").addEventListener("submit", onCreate);
}

export async function showSeries() {
  renderPlaces();
  if (!$("series-until").value) {
    const until = new Date(Date.now() + 90 * 86400e3);
    $("series-until").value = until.toISOString().slice(0, 10);
  }
  try { list = await api("/api/v1/series"); } catch (err) { showError(err); return; }
  renderSeries();
}

function renderPlaces() {
  const { origin, destination } = tripPlaces();
  $("series-places").textContent = origin && destination
    ? t("rider.series_places", { from: placeName(origin), to: placeName(destination) }) : t("rider.series_need_places");
}

export function renderSeries() {
  renderPlaces();
  $("series-empty").hidden = list.length > 0;
  $("series-list").replaceChildren(...list.map((s) => {
    const days = s.weekdays.map((d) => t(`rider.day.${d}`)).join(", ");
    const occurrences = [...s.occurrences].sort((a, b) => a.date.localeCompare(b.date));
    return el("li", { dataset: { seriesId: String(s.id), status: s.status } }, el("article", { class: "card stack" },
      el("div", { class: "card-title" },
        el("strong", {}, t("rider.series_item", { days, time: s.pickup_time, until: localDate(s.until),
          from: placeName(s.origin), to: placeName(s.destination) })),
        el("span", { class: "badge" }, t(`rider.series_status.${s.status}`))),
      el("ul", { class: "plain small occurrences" }, ...occurrences.map((o) =>
        el("li", { dataset: { date: o.date, status: o.status } },
          `${localDate(o.date, true)}: ${t(`rider.series_occ.${o.status}`)}`))),
      s.status === "ended" ? null : el("div", { class: "btn-row" },
        el("button", { type: "button", class: "btn-small", onclick: () => change(s.id, s.status === "paused" ? "resume" : "pause") },
          t(s.status === "paused" ? "rider.series_resume" : "rider.series_pause")),
        el("button", { type: "button", class: "btn-small btn-danger", onclick: () => change(s.id, "end") },
          t("rider.series_end")))));
  }));
}

async function change(id, action) {
  clearMessages();
  if (action === "end" && !window.confirm(t("rider.series_end_confirm"))) return;
  try {
    await api(`/api/v1/series/${id}/${action}`, { method: "POST" });
    list = await api("/api/v1/series");
    renderSeries();
  } catch (err) { showError(err); }
}

async function onCreate(e) {
  e.preventDefault();
  clearMessages();
  const { origin, destination } = tripPlaces();
  if (!origin || !destination) { showError(t("rider.series_need_places")); return; }
  const weekdays = DAYS.filter((d) => $("series-days").querySelector(`input[value="${d}"]`).checked);
  const time = $("series-time").value, until = $("series-until").value;
  if (!weekdays.length || !time || !until) { showError(t("rider.series_need_days")); return; }
  const body = { origin: placeBody(origin), destination: placeBody(destination), weekdays, pickup_time: time, until };
  try {
    const created = await api("/api/v1/series", { method: "POST", body });
    const booked = created.occurrences.filter((o) => o.status === "booked").length;
    $("series-status").textContent = t("rider.series_created", { booked });
    list = await api("/api/v1/series");
    renderSeries();
  } catch (err) { showError(err); }
}

function placeBody(place) {
  if (place.stop_id) return { stop_id: place.stop_id };
  return { lat: place.lat, lon: place.lon, name: placeName(place) };
}

/** A calendar day (YYYY-MM-DD) as the page's language writes it: "Mo., 7. Dezember" / "Mon 7 December"
 * (with the weekday), or "05.01.2027" / "05/01/2027". */
function localDate(iso, weekday = false) {
  const [y, m, d] = iso.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d, 12));
  const locale = document.documentElement.lang === "en" ? "en-GB" : "de-DE";
  const options = weekday ? { weekday: "short", day: "numeric", month: "long" } : { day: "2-digit", month: "2-digit", year: "numeric" };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" }).format(day);
}
