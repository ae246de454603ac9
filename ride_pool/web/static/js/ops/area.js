// The service area tab: operating hours per day, the booking rules and the area polygon
// (GET /api/v1/ops/service-area); the polygon is drawn dashed on the live map.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { TIME_ZONE, t } from "/static/js/i18n.js";
import { $, num, showError, whenChanged } from "/static/js/ops/common.js";
import { renderHours, showHours } from "/static/js/ops/hours.js";
import { showOutline } from "/static/js/ops/overview.js";

let area = null;

// the summary beside the editor shows the rules just saved (the editor announces the change)
whenChanged("rules-changed", () => loadArea());

export async function loadArea() {
  try {
    area = await api("/api/v1/ops/service-area");
    showHours(area.rules);
    renderArea();
  } catch (e) {
    showError($("#area-error"), e);
  }
}

function minutes(s) { return t("ops.unit.min", { n: num(s / 60, 0) }); }

export function renderArea() {
  const a = area;
  if (!a) return;
  renderHours();
  const r = a.rules;
  const body = $("#hours-table tbody");
  body.replaceChildren();
  for (const day of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) {
    const span = r.operating_hours ? r.operating_hours[day] : null;
    const spans = !span ? [] : typeof span[0] === "string" ? [span] : span;
    body.append(el("tr", { dataset: { day } }, el("th", { scope: "row" }, t(`ops.day.${day}`)),
      el("td", {}, spans.length ? spans.map((x) => `${x[0]}–${x[1]}`).join(", ") : t("ops.area.closed"))));
  }
  $("#area-timezone").textContent = t("ops.area.timezone", { tz: r.timezone || TIME_ZONE });
  const rules = [
    ["ops.rule.window_s", minutes(r.window_s)],
    ["ops.rule.min_lead_s", minutes(r.min_lead_s)],
    ["ops.rule.horizon_s", r.horizon_s % 86400 === 0 ? t("ops.unit.days", { n: r.horizon_s / 86400 }) : t("ops.unit.h", { n: num(r.horizon_s / 3600, 1) })],
    ["ops.rule.early_trip_label", r.early_trip_before ? t("ops.rule.early_trip", { before: r.early_trip_before, by: r.early_trip_book_by }) : "–"],
    ["ops.rule.max_ride", t("ops.rule.max_ride_value", { factor: num(r.max_ride_factor, 2), extra: num(r.max_ride_extra_s / 60, 0) })],
    ["ops.rule.max_active_bookings", String(r.max_active_bookings)],
    ["ops.rule.max_seats_per_rider", String(r.max_seats_per_rider)],
    ["ops.rule.unconfirmed", t("ops.rule.unconfirmed_value", { bookings: r.unconfirmed_max_bookings, seats: r.unconfirmed_max_seats })],
    ["ops.rule.no_show_limit", String(r.no_show_limit)],
    ["ops.rule.offer_ttl_s", minutes(r.offer_ttl_s)],
    ["ops.rule.max_passengers", String(r.max_passengers)],
  ];
  $("#rules-list").replaceChildren(...rules.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, v)]));
  const ring = polygonRing(a.polygon);
  $("#area-polygon").textContent = ring ? t("ops.area.points", { n: ring.length }) : t("ops.area.whole");
  if (ring) showOutline(ring.map(([lon, lat]) => [lat, lon]));
}

function polygonRing(polygon) {
  if (!polygon) return null;
  if (Array.isArray(polygon)) return polygon;
  if (polygon.coordinates && polygon.coordinates[0]) return polygon.coordinates[0];
  return null;
}
