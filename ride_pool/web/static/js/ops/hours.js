// The service area tab's editor: operating hours per weekday (one or more intervals, e.g.
// "05:00–09:00, 14:00–20:00"; empty: closed), holidays without service, and every service rule
// with a German label and unit (PUT /api/v1/ops/service-area). Changes apply to new quotes; the
// promises already made stay (the form says so).

import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { $, announce, clearMessages, showError } from "/static/js/ops/common.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
// rule -> unit: "min" / "h" / "d" (shown in minutes, hours, days, stored in seconds), "s", "sx"
// (seconds, fractional), "n" (count), "x" (factor), "m" (metres), "hhmm" (a clock time), "choice",
// "state" (a German state), "json" (a structured rule edited as JSON: the tariff, the extra times per need)
export const RULES = [
  ["window_s", "min"], ["min_lead_s", "min"], ["horizon_s", "d"], ["early_trip_before", "hhmm"],
  ["early_trip_book_by", "hhmm"], ["max_ride_factor", "x"], ["max_ride_extra_s", "min"],
  ["max_active_bookings", "n"], ["max_seats_per_rider", "n"], ["unconfirmed_max_bookings", "n"],
  ["unconfirmed_max_seats", "n"], ["no_show_limit", "n"], ["offer_ttl_s", "min"], ["max_passengers", "n"],
  ["max_wheelchairs", "n"], ["boarding_s", "s"], ["alighting_s", "s"], ["wheelchair_extra_s", "s"],
  ["max_walk_m", "m"], ["door_to_door", "choice"], ["alternatives", "n"], ["early_arrival_s", "min"],
  ["early_boarding_s", "min"], ["no_show_wait_s", "min"], ["min_ride_fraction", "x"], ["report_clock_skew_s", "s"],
  ["report_max_age_s", "h"], ["reoptimise_every_s", "s"], ["reoptimise_time_limit_s", "sx"], ["delay_weight", "x"],
  ["transfer_buffer_s", "min"], ["holiday_state", "state"], ["need_extra_s", "json"], ["tariff", "json"],
];
// the German states (ISO 3166-2 without "DE-") whose public holidays a series may skip
const STATES = [["BW", "Baden-Württemberg"], ["BY", "Bayern"], ["BE", "Berlin"], ["BB", "Brandenburg"],
  ["HB", "Bremen"], ["HH", "Hamburg"], ["HE", "Hessen"], ["MV", "Mecklenburg-Vorpommern"], ["NI", "Niedersachsen"],
  ["NW", "Nordrhein-Westfalen"], ["RP", "Rheinland-Pfalz"], ["SL", "Saarland"], ["SN", "Sachsen"],
  ["ST", "Sachsen-Anhalt"], ["SH", "Schleswig-Holstein"], ["TH", "Thüringen"]];
const FACTOR = { min: 60, d: 86400, h: 3600, s: 1, sx: 1, n: 1, x: 1, m: 1 };
const FRACTIONAL = new Set(["x", "sx"]);
const DOOR_TO_DOOR = ["all", "wheelchair", "none"];

let rules = null;

export function setUpHours() {
  $("#hours-form").addEventListener("submit", onSave);
}

function spansOf(span) {
  if (!span) return [];
  return typeof span[0] === "string" ? [span] : span;
}

function germanDate(iso) { const [y, m, d] = iso.split("-"); return `${d}.${m}.${y}`; }

/** Fill the form from the rules of GET /api/v1/ops/service-area. */
export function showHours(r) {
  rules = r;
  renderHours();
}

export function renderHours() {
  if (!rules) return;
  const r = rules;
  const hours = $("#hours-fields");
  const typed = Object.fromEntries([...hours.querySelectorAll("input")].map((i) => [i.name, i.value]));
  hours.replaceChildren(...DAYS.map((d) => {
    const id = `hours-${d}`;
    const value = typed[d] ?? spansOf(r.operating_hours[d]).map(([a, b]) => `${a}–${b}`).join(", ");
    return el("div", { class: "hours-row", dataset: { day: d } },
      el("label", { for: id }, t(`ops.day.${d}`)),
      el("input", { id, name: d, value, placeholder: t("ops.area.closed"), autocomplete: "off", inputmode: "numeric" }));
  }));
  $("#holidays").value = (r.holidays || []).map(germanDate).join("\n");
  const fields = $("#rules-fields");
  fields.replaceChildren(...RULES.map(([name, unit]) => {
    const id = `rule-${name}`;
    let value = r[name];
    if (unit === "choice") {
      const select = el("select", { id, name }, ...DOOR_TO_DOOR.map((v) => el("option", { value: v }, t(`ops.door.${v}`))));
      select.value = value;
      return el("div", { class: "rule-row", dataset: { rule: name } },
        el("label", { for: id }, t(`ops.rule.${name}`)), select, el("span", { class: "unit" }, ""));
    }
    if (unit === "state") {
      const select = el("select", { id, name }, ...STATES.map(([code, label]) => el("option", { value: code }, `${label} (${code})`)));
      select.value = value;
      return el("div", { class: "rule-row", dataset: { rule: name } },
        el("label", { for: id }, t(`ops.rule.${name}`)), select, el("span", { class: "unit" }, ""));
    }
    if (unit === "json") {
      return el("div", { class: "rule-row rule-json", dataset: { rule: name } },
        el("label", { for: id }, t(`ops.rule.${name}`)),
        el("textarea", { id, name, rows: "5", spellcheck: "false" }, JSON.stringify(value ?? {}, null, 1)),
        el("span", { class: "unit" }, "JSON"));
    }
    if (unit === "hhmm") value = value || "";
    else if (value !== null && value !== undefined) value = String(Math.round((value / FACTOR[unit]) * 100) / 100);
    return el("div", { class: "rule-row", dataset: { rule: name } },
      el("label", { for: id }, t(`ops.rule.${name}`)),
      el("input", { id, name, value, type: unit === "hhmm" ? "time" : "number",
        step: FRACTIONAL.has(unit) ? "0.05" : "any", min: "0" }),
      el("span", { class: "unit" }, unit === "hhmm" ? "" : t(`ops.units.${unit}`)));
  }));
}

const SPAN = /^\s*(\d{1,2})[:.](\d{2})\s*[–-]\s*(\d{1,2})[:.](\d{2})\s*$/;

function pad(h, m) { return `${String(h).padStart(2, "0")}:${m}`; }

/** The hours typed for day as [[open, close], ...], or throws a German sentence. */
function parseDay(day, text) {
  if (!text.trim()) return null;
  const spans = text.split(/[,;]/).map((part) => {
    const m = SPAN.exec(part);
    const ok = m && [[m[1], m[2]], [m[3], m[4]]].every(([h, min]) => Number(min) < 60
      && (Number(h) < 24 || (Number(h) === 24 && Number(min) === 0)));
    if (!ok) throw new Error(t("ops.hours.bad", { day: t(`ops.day.${day}`), text: part.trim() }));
    if (Number(m[1]) * 60 + Number(m[2]) >= Number(m[3]) * 60 + Number(m[4])) {
      throw new Error(t("ops.hours.order", { day: t(`ops.day.${day}`), text: part.trim() }));
    }
    return [pad(m[1], m[2]), pad(m[3], m[4])];
  });
  spans.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] <= spans[i - 1][1]) throw new Error(t("ops.hours.overlap", { day: t(`ops.day.${day}`) }));
  }
  return spans;
}

function parseHolidays(text) {
  return text.split(/\s*[\n,;]\s*/).filter(Boolean).map((d) => {
    const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(d) || /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
    if (!m) throw new Error(t("ops.hours.bad_holiday", { text: d }));
    const iso = m[1].length === 4 ? `${m[1]}-${m[2]}-${m[3]}` : `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
    // a real day of the calendar (not 31.02.)
    const [y, mo, da] = iso.split("-").map(Number);
    const day = new Date(Date.UTC(y, mo - 1, da));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== da) {
      throw new Error(t("ops.hours.bad_holiday", { text: d }));
    }
    return iso;
  });
}

async function onSave(event) {
  event.preventDefault();
  const err = $("#hours-error");
  const status = $("#hours-status");
  clearMessages(err, status);
  const body = { operating_hours: {} };
  try {
    for (const d of DAYS) {
      const spans = parseDay(d, $(`#hours-${d}`).value);
      if (spans) body.operating_hours[d] = spans;
    }
    body.holidays = parseHolidays($("#holidays").value);
    for (const [name, unit] of RULES) {
      const input = $(`#rule-${name}`);
      const raw = input.value.trim();
      if (unit === "hhmm") { body[name] = raw || (name === "early_trip_before" ? null : rules[name]); continue; }
      if (unit === "choice" || unit === "state") { body[name] = raw; continue; }
      if (unit === "json") {
        let parsed;
        try { parsed = JSON.parse(raw); } catch (e) { parsed = null; }
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
          throw new Error(t("ops.rules.bad_json", { rule: t(`ops.rule.${name}`) }));
        }
        body[name] = parsed;
        continue;
      }
      if (raw === "") throw new Error(t("ops.rules.missing", { rule: t(`ops.rule.${name}`) }));
      const number = Number(raw.replace(",", "."));
      if (!Number.isFinite(number) || number < 0) throw new Error(t("ops.rules.bad", { rule: t(`ops.rule.${name}`), text: raw }));
      body[name] = FRACTIONAL.has(unit) ? number : Math.round(number * FACTOR[unit]);
    }
  } catch (e) {
    showError(err, e.message);
    return;
  }
  try {
    const area = await api("/api/v1/ops/service-area", { method: "PUT", body: { rules: body } });
    rules = area.rules;
    renderHours();
    status.textContent = t("ops.rules.saved");
    announce("rules-changed");
  } catch (e) {
    showError(err, e);
  }
}
