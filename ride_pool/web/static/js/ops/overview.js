// The top of the dashboard: the KPI tiles of today (GET /api/v1/ops/kpis) and the live map with the
// vehicles on shift, their next stops and the open bookings (GET /api/v1/ops/live and
// /api/v1/ops/bookings, whose list the bookings tab shows). The map also takes a click to choose a
// position for the vehicle and stop forms, and shows the service area's outline.

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { formatDateTime, formatTime, t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import { showBookings } from "/static/js/ops/bookings.js";
import { $, clearMessages, globalError, num, whenChanged } from "/static/js/ops/common.js";

const overview = {
  map: null,
  kpis: null,
  live: [], bookings: [], liveAt: null,
  outline: null,            // the service area's ring [[lat, lon], ...], drawn once the map is ready
  onPick: null,             // (lat, lon) => … while a form waits for a click on the map
};

export function setUpOverview() {
  whenChanged("bookings-changed", () => { refreshLive(); refreshKpis(); });
  whenChanged("rules-changed", refreshKpis);
  whenChanged("shifts-changed", refreshLive);
  whenChanged("quoted", refreshKpis);
}

/** Make the map (once, when the dashboard is first shown). */
export function showMap() {
  if (overview.map) return;
  overview.map = createMap($("#map"), { stops: false, label: t("ops.map.label") });
  overview.map.onClick(onMapClick);
  overview.map.ready.then(() => { renderLive(); drawOutline(); }).catch(() => {});
}

export function renderOverview() {
  renderKpis();
  renderLive();
  if (overview.liveAt) $("#live-updated").textContent = t("ops.live.updated", { time: formatTime(overview.liveAt) });
}

// ------------------------------------------------------------------ KPIs
function formatKpi(key, value) {
  if (value === null || value === undefined) return "–";
  if (key.endsWith("_s")) return t("ops.kpi.min", { value: num(value / 60, 1) });
  if (key === "direct_km_per_vehicle_km" || key === "detour_ratio") return num(value, 2);
  if (key.endsWith("_km")) return num(value, 1);
  if (key.endsWith("_eur")) return new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "de-DE",
    { style: "currency", currency: "EUR" }).format(value);
  return num(value, 0);
}

export async function refreshKpis() {
  try {
    overview.kpis = await api("/api/v1/ops/kpis");
    renderKpis();
  } catch (e) {
    globalError(e);
  }
}

function renderKpis() {
  const k = overview.kpis;
  if (!k) return;
  for (const tile of document.querySelectorAll("[data-kpi]")) {
    const key = tile.dataset.kpi;
    const value = k[key];
    tile.querySelector(".tile-value").textContent = formatKpi(key, value);
    tile.dataset.value = value === null || value === undefined ? "" : String(value);
  }
  const causes = Object.entries(k.rejections_by_cause || {});
  $("#kpi-rejections").textContent = causes
    .map(([code, n]) => `${n} × ${(k.cause_names || {})[code] || code.replaceAll("_", " ")}`).join(", ");
  $("#kpi-since").textContent = k.since ? t("ops.kpi.since", { time: formatDateTime(k.since) }) : "";
}

// ------------------------------------------------------------------ live map
export async function refreshLive() {
  try {
    const [live, bookings] = await Promise.all([api("/api/v1/ops/live"), api("/api/v1/ops/bookings")]);
    overview.live = live;
    overview.bookings = bookings;
    clearMessages($("#global-error"));
    renderLive();
    showBookings(bookings);
    overview.liveAt = new Date();
    $("#live-updated").textContent = t("ops.live.updated", { time: formatTime(overview.liveAt) });
  } catch (e) {
    globalError(e);
  }
}

function renderLive() {
  const map = overview.map;
  if (map) {
    // only vehicles whose shift started are drawn as vehicles; the others wait at their depot
    const started = overview.live.filter((v) => v.state !== "not_started");
    map.setVehicles(started.map((v) => ({
      id: v.vehicle_id, label: `${v.label} · ${t(`ops.state.${v.state}`)}`, lat: v.lat ?? v.anchor_lat, lon: v.lon ?? v.anchor_lon,
    })));
    map.setMarkers("parked", overview.live.filter((v) => v.state === "not_started").map((v) => ({
      lat: v.anchor_lat, lon: v.anchor_lon, label: `${v.label} (${t("ops.state.not_started")})`, kind: "parked",
    })));
    map.setMarkers("next", overview.live.flatMap((v) => v.next_stops.slice(0, 3).map((s) => ({
      lat: s.lat, lon: s.lon, label: `${v.label}: ${s.name} ${formatTime(s.time)}`, kind: s.kind,
    }))));
    map.setMarkers("bookings", overview.bookings.filter((b) => b.status === "confirmed").map((b) => ({
      lat: b.origin.lat, lon: b.origin.lon, label: `${b.origin.name} ${formatTime(b.pickup_earliest)}`, kind: "origin",
    })));
  }
  const list = $("#live-list");
  list.replaceChildren();
  if (!overview.live.length) {
    list.append(el("li", { class: "muted" }, t("ops.live.none")));
    return;
  }
  for (const v of overview.live) {
    const first = v.next_stops[0];
    const line = first
      ? t("ops.live.next", { name: `${first.name} (${t(`ops.live.${first.kind}`)})`, time: formatTime(first.time) })
      : t("ops.live.idle");
    list.append(el("li", { dataset: { vehicleId: v.vehicle_id } },
      el("strong", {}, v.label), " ",
      el("span", { class: "badge", "data-state": v.state, "data-status": v.started ? "onboard" : "" },
        t(`ops.state.${v.state}`)), " ",
      el("span", { class: "live-next" }, line)));
  }
}

// ------------------------------------------------------------------ the map as an input
/** The next click on the map calls onPicked(lat, lon) (rounded to 6 places) and marks the spot. */
export function pickOnMap(onPicked) {
  overview.onPick = onPicked;
  $("#map").scrollIntoView({ behavior: "smooth", block: "center" });
}

function onMapClick(lat, lon) {
  if (!overview.onPick) return;
  const onPicked = overview.onPick;
  overview.onPick = null;
  const la = Math.round(lat * 1e6) / 1e6;
  const lo = Math.round(lon * 1e6) / 1e6;
  overview.map.setMarkers("pick", [{ lat: la, lon: lo, label: "", kind: "warning" }]);
  onPicked(la, lo);
}

/** Draw the service area's ring ([[lat, lon], ...]) dashed on the map. */
export function showOutline(ring) {
  overview.outline = ring;
  drawOutline();
}

function drawOutline() {
  const map = overview.map;
  if (!map || !overview.outline || typeof map.setRoute !== "function") return;
  try { map.setRoute(overview.outline); } catch (e) { /* the outline is optional */ }
}
