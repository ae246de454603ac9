// The route as cards (driver page): one card per step (a stop with who boards or leaves, or a
// planned break), next stop first, with the riders, the report buttons, what waits to be sent or
// was refused, navigation in the phone's map app and the map.
//
//   stepCard(step, index, view) → <li>
//
// view: {next (index of the next step), newKeys, bookingView(id, kind) → see driver.js,
//        breakView(step), onReport(step, id, report, button), onDismiss(seq), onMap(step, button),
//        now() (ms on the server's clock)}

import { el } from "/static/js/dom.js";
import { formatTime, t } from "/static/js/i18n.js";
import { refusalSentence } from "/static/js/driver/messages.js";

const NO_SHOW_WAIT_S = 180;        // the service's default rule (no_show_wait_s) when the route does not say

/** A mobility need's words ("rollator" -> "Rollator"); an unknown code as it is. */
function needText(code) {
  const key = `driver.need.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

/** Who a booking is, from the route step's riders (older servers name only phone callers):
 *  {name, phone, phoneBooking, passengers, wheelchairs, needs, arrivedAt, noShowFrom, status}. */
export function riderOf(step, id) {
  const r = (Array.isArray(step.riders) ? step.riders.find((x) => x && x.booking_id === id) : null) || {};
  const caller = step.callers && step.callers[id];
  const needs = r.needs ?? r.mobility_needs ?? null;
  const single = (step.booking_ids || []).length === 1;
  return {
    name: r.name || caller || null,
    phone: r.phone || null,
    phoneBooking: r.channel === "phone" || (!r.channel && !!caller),
    passengers: r.passengers ?? (single ? step.passengers : null),
    wheelchairs: r.wheelchairs ?? (single ? step.wheelchairs : null),
    needs: Array.isArray(needs) ? needs.filter(Boolean).map(needText).join(", ") : needs || "",
    fareCents: r.fare_cents ?? null,
    arrivedAt: r.arrived_at || null,
    noShowFrom: r.no_show_from || null,
    status: r.status || null,
  };
}

/** A link that opens the phone's map app with directions to the step: Apple Maps on iPhone and
 *  iPad, Google Maps' navigation on Android (with a geo: link for any other map app), a geo: link
 *  elsewhere. */
export function navigationLinks(step) {
  const ua = navigator.userAgent || "";
  const apple = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
  const android = /Android/.test(ua);
  const at = `${step.lat},${step.lon}`;
  const name = encodeURIComponent(step.stop_name || "");
  const geo = `geo:${at}?q=${at}(${name})`;
  if (apple) return [{ href: `https://maps.apple.com/?daddr=${at}&dirflg=d&q=${name}`, key: "driver.navigate", app: "apple" }];
  if (android) {
    return [{ href: `google.navigation:q=${at}&mode=d`, key: "driver.navigate", app: "google" },
      { href: geo, key: "driver.navigate_other", app: "geo" }];
  }
  return [{ href: geo, key: "driver.navigate", app: "geo" }];
}

/** When serving a pickup begins: the planned arrival, or the window's start if the vehicle is early. */
export function serviceTime(step) {
  return early(step) ? step.window_earliest : step.planned_arrival;
}

function early(step) {
  return step.kind === "pickup" && new Date(step.planned_arrival) < new Date(step.window_earliest);
}

function kindLabel(kind) {
  return t(kind === "pickup" ? "driver.pickup" : kind === "break" ? "driver.break" : "driver.dropoff");
}

export function stepCard(step, index, view) {
  if (step.kind === "break") return breakCard(step, index, view);
  const pickup = step.kind === "pickup";
  const isNew = step.booking_ids.some((id) => view.newKeys && view.newKeys.has(`${id}:${step.kind}`));
  const done = view.stepDone(step);
  const who = pickup ? t("driver.boards", { passengers: step.passengers }) : t("driver.leave", { passengers: step.passengers });
  const wheel = step.wheelchairs ? ` · ${t("driver.wheelchairs", { count: step.wheelchairs })}` : "";
  const isNext = index === view.next;
  if (done) return doneCard(step, index, view);
  const links = step.lat !== undefined && step.lat !== null ? navigationLinks(step) : [];
  return el("li", {}, el("article", {
    class: `card step${isNext ? " next" : ""}${isNew ? " new-step" : ""}${done ? " step-done" : ""}`,
    dataset: { kind: step.kind, bookingIds: step.booking_ids.join(" "), index: String(index) },
    "aria-label": `${isNext ? t("driver.next") + ": " : ""}${kindLabel(step.kind)} ${step.stop_name} ${formatTime(step.planned_arrival)}`,
  },
    el("div", { class: "step-head" },
      el("span", { class: "step-time" }, formatTime(serviceTime(step))),
      isNext ? el("span", { class: "next-label" }, t("driver.next")) : null,
      el("span", { class: "step-kind" }, kindLabel(step.kind))),
    el("div", { class: "step-stop" }, step.stop_name),
    el("div", { class: "step-who" }, who + wheel),
    el("div", { class: "small muted" }, pickup
      ? t("driver.window", { from: formatTime(step.window_earliest), to: formatTime(step.window_latest) })
        + (early(step) ? " · " + t("driver.arrival", { time: formatTime(step.planned_arrival) }) : "")
      : t("driver.latest", { time: formatTime(step.window_latest) })),
    el("div", { class: "btn-row step-navigate" },
      links.map((l, i) => el("a", { class: i === 0 ? "btn" : "btn btn-secondary-link", href: l.href, dataset: { app: l.app },
        "aria-label": t(`${l.key}_to`, { stop: step.stop_name }) }, t(l.key))),
      el("button", { type: "button", class: "btn-map", dataset: { map: String(index) },
        "aria-label": t("driver.show_on_map_to", { stop: step.stop_name }),
        onclick: (e) => view.onMap(step, e.currentTarget) }, t("driver.show_on_map"))),
    step.booking_ids.map((id) => bookingSection(step, id, view))));
}

/** A step whose every rider was reported (the reports may still wait to be sent): small, with
 *  who and what was reported, until the server's route no longer has it. */
function doneCard(step, index, view) {
  return el("li", {}, el("article", {
    class: "card step step-done", dataset: { kind: step.kind, bookingIds: step.booking_ids.join(" "), index: String(index) },
    "aria-label": `${kindLabel(step.kind)} ${step.stop_name}: ${t("driver.step_reported")}`,
  },
    el("div", { class: "step-head" },
      el("span", { class: "step-time-small" }, formatTime(serviceTime(step))),
      el("span", { class: "step-stop-small" }, step.stop_name),
      el("span", { class: "step-kind" }, kindLabel(step.kind))),
    step.booking_ids.map((id) => {
      const rider = riderOf(step, id);
      const b = view.bookingView(step, id, rider);
      return el("section", { class: "booking-actions booking-done", dataset: { booking: id, state: b.finalState || "open" } },
        el("p", { class: "rider-done" }, `${rider.name || t("driver.booking", { id: id.slice(0, 8) })}: ${t(`driver.report.${b.finalState}`)}`),
        b.records.map((record) => recordLine(record, view)));
    })));
}

function bookingSection(step, id, view) {
  const pickup = step.kind === "pickup";
  const rider = riderOf(step, id);
  const b = view.bookingView(step, id, rider);
  const section = el("section", { class: "booking-actions", dataset: { booking: id, state: b.finalState || "open" } });

  // who: "Erika M." (app) or "Erika Mustermann · 0351 123456" (phone booking), people, wheelchairs, needs
  const title = rider.name ? rider.name : t("driver.booking", { id: id.slice(0, 8) });
  const facts = [];
  if (step.booking_ids.length > 1 && rider.passengers !== null && rider.passengers !== undefined) {
    facts.push(t("driver.persons", { count: rider.passengers }));
  }
  if (step.booking_ids.length > 1 && rider.wheelchairs) facts.push(t("driver.wheelchairs_short", { count: rider.wheelchairs }));
  section.append(el("h3", { class: "rider" },
    el("span", { class: "rider-name" }, title),
    rider.phone ? el("a", { class: "rider-phone", href: `tel:${rider.phone.replace(/[^+\d]/g, "")}`,
      "aria-label": t("driver.call", { name: title, phone: rider.phone }) }, rider.phone) : null));
  if (facts.length) section.append(el("p", { class: "rider-facts" }, facts.join(" · ")));
  if (rider.needs) section.append(el("p", { class: "rider-needs" }, `${t("driver.needs")}: ${rider.needs}`));
  if (rider.fareCents) {
    const amount = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "de-DE",
      { style: "currency", currency: "EUR" }).format(rider.fareCents / 100);
    section.append(el("p", { class: "rider-fare", dataset: { cents: String(rider.fareCents) } },
      t("driver.collect_fare", { amount })));
  }

  // what the phone still has to send, and what the server refused
  for (const record of b.records) section.append(recordLine(record, view));

  // the buttons of what can still be reported
  const buttons = [];
  if (!b.finalState) {
    const arrived = b.arrived;
    buttons.push(el("button", { type: "button", class: arrived ? "btn-done" : "", dataset: { report: "arrived", booking: id },
      "aria-pressed": String(!!arrived), disabled: arrived ? true : null,
      onclick: (e) => view.onReport(step, id, "arrived", e.currentTarget) },
    arrived ? `✓ ${t("driver.done_arrived")}` : t("driver.arrived")));
    if (pickup) {
      buttons.push(el("button", { type: "button", class: "btn-success", dataset: { report: "boarded", booking: id },
        onclick: (e) => view.onReport(step, id, "boarded", e.currentTarget) }, t("driver.boarded")));
      const from = noShowFrom(step, rider, b);
      const possible = from === null || view.now() >= from;
      const hintId = `no-show-hint-${id}`;
      buttons.push(el("button", { type: "button", class: "btn-danger", dataset: { report: "no_show", booking: id },
        disabled: possible ? null : true, "aria-describedby": possible ? null : hintId,
        onclick: (e) => view.onReport(step, id, "no_show", e.currentTarget) }, t("driver.no_show")));
      section.append(el("div", { class: "btn-row" }, buttons));
      if (!possible) {
        section.append(el("p", { class: "small muted no-show-hint", id: hintId, dataset: { from: new Date(from).toISOString() } },
          t("driver.no_show_from", { time: formatTime(new Date(from)), minutes: Math.round(noShowWaitS(step, rider) / 60) })));
      }
    } else {
      buttons.push(el("button", { type: "button", class: "btn-success", dataset: { report: "dropped_off", booking: id },
        onclick: (e) => view.onReport(step, id, "dropped_off", e.currentTarget) }, t("driver.dropped_off")));
      section.append(el("div", { class: "btn-row" }, buttons));
    }
  }
  return section;
}

function noShowWaitS(step, rider) {
  return Number.isFinite(step.no_show_wait_s) ? step.no_show_wait_s : NO_SHOW_WAIT_S;
}

/** From when (ms) a no-show can be reported: the server's time when the route says it, else the
 *  pickup window's start (or the arrival reported, if later) plus the waiting time. */
export function noShowFrom(step, rider, b) {
  const given = rider.noShowFrom || step.no_show_from;
  if (given) return Date.parse(given);
  let start = Date.parse(step.window_earliest);
  if (!Number.isFinite(start)) return null;
  if (b.arrivedAt && Date.parse(b.arrivedAt) > start) start = Date.parse(b.arrivedAt);
  return start + noShowWaitS(step, rider) * 1000;
}

/** One report of the outbox on its card: "Eingestiegen – wird gesendet (getippt 14:05 Uhr)", or
 *  the server's refusal in German with a button to take note of it. */
export function recordLine(record, view) {
  const what = t(`driver.report.${record.report}`);
  const tapped = formatTime(record.reported_at);
  if (record.state === "refused") {
    return el("div", { class: "report-line report-refused", role: "alert", dataset: { reportState: "refused", report: record.report, seq: String(record.seq) } },
      el("p", { class: "report-what" }, t("driver.report_refused", { what, time: tapped })),
      el("p", { class: "report-reason" }, refusalSentence(record)),
      el("button", { type: "button", class: "btn-small", onclick: () => view.onDismiss(record.seq) }, t("driver.report_dismiss")));
  }
  const sending = view.sendingSeq === record.seq;
  // the server's route shows it applied (its answer was lost): said so, the confirmation follows
  const applied = view.appliedOnServer ? view.appliedOnServer(record) : false;
  const key = applied ? "driver.report_applied" : sending ? "driver.report_sending_now" : "driver.report_waiting";
  return el("p", { class: `report-line report-waiting${applied ? " report-applied" : ""}`,
    dataset: { reportState: "waiting", report: record.report, seq: String(record.seq), applied: String(applied) } },
  el("span", { class: "report-dot", "aria-hidden": "true" }),
  t(key, { what, time: tapped }));
}

function breakCard(step, index, view) {
  const b = view.breakView(step);
  const isNext = index === view.next;
  const minutes = step.break_minutes || 0;
  const from = step.window_earliest;
  const to = step.window_latest;
  const buttons = [];
  if (!b.started) {
    buttons.push(el("button", { type: "button", class: "btn-primary", dataset: { report: "break_start" },
      onclick: (e) => view.onBreak(step, "break_start", e.currentTarget) }, t("driver.break_start")));
  } else if (!b.ended) {
    buttons.push(el("button", { type: "button", class: "btn-success", dataset: { report: "break_end" },
      onclick: (e) => view.onBreak(step, "break_end", e.currentTarget) }, t("driver.break_end")));
  }
  return el("li", {}, el("article", {
    class: `card step step-break${isNext ? " next" : ""}${b.ended ? " step-done" : ""}`,
    dataset: { kind: "break", index: String(index), state: b.ended ? "ended" : b.started ? "started" : "planned" },
    "aria-label": `${isNext ? t("driver.next") + ": " : ""}${t("driver.break")} ${formatTime(step.planned_arrival)}`,
  },
    el("div", { class: "step-head" },
      el("span", { class: "step-time" }, formatTime(b.started && b.startedAt ? b.startedAt : step.planned_arrival)),
      isNext ? el("span", { class: "next-label" }, t("driver.next")) : null,
      el("span", { class: "step-kind" }, t("driver.break"))),
    el("div", { class: "step-stop" }, minutes ? t("driver.break_minutes", { minutes }) : t("driver.break")),
    from && to && !b.started ? el("div", { class: "small muted" }, t("driver.break_window", { from: formatTime(from), to: formatTime(to) })) : null,
    b.started && !b.ended && b.startedAt ? el("p", { class: "break-state" }, t("driver.break_since", { time: formatTime(b.startedAt) })) : null,
    b.records.map((r) => recordLine(r, view)),
    buttons.length ? el("div", { class: "btn-row booking-actions" }, buttons) : null));
}
