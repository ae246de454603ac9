// Rider page: log in or register, choose a trip, take an offer, follow the booking live, cancel.
// Views are hash routes: #/book, #/bookings, #/bookings/<id> (the path /bookings/<id> opens the same).

import { api, ApiError, errorSentence, getToken, login, logout, me, newIdempotencyKey, register, subscribe } from "/static/js/api.js";
import { addTranslations, applyTranslations, berlinNowParts, formatDateTime, formatTime, languageSwitch, minutesUntil, onLanguageChange, t } from "/static/js/i18n.js";
import { createMap } from "/static/js/map.js";
import { el } from "/static/js/dom.js";

addTranslations({
  de: {
    "rider.brand": "Rufbus",
    "rider.welcome": "Rufbus bestellen",
    "rider.welcome_text": "Melden Sie sich an oder legen Sie ein Konto an, um eine Fahrt zu buchen.",
    "rider.login_title": "Anmelden",
    "rider.register_title": "Neues Konto",
    "rider.new_password": "Passwort (mindestens 8 Zeichen)",
    "rider.register": "Konto anlegen und anmelden",
    "rider.tab_book": "Neue Fahrt",
    "rider.tab_bookings": "Meine Fahrten",
    "rider.trip_title": "Wohin möchten Sie fahren?",
    "rider.from": "Von",
    "rider.to": "Nach",
    "rider.search_placeholder": "Haltestelle oder Ort suchen",
    "rider.results": "Gefundene Haltestellen",
    "rider.no_results": "Keine Haltestelle gefunden",
    "rider.my_location": "Mein Standort",
    "rider.pick_on_map": "Auf der Karte wählen",
    "rider.swap": "⇅ Tauschen",
    "rider.when": "Wann?",
    "rider.when_now": "So bald wie möglich",
    "rider.when_depart": "Abfahrt ab",
    "rider.when_arrive": "Ankunft bis",
    "rider.date": "Datum",
    "rider.time": "Uhrzeit",
    "rider.lead_hint": "Fahrten können frühestens {minutes} Minuten im Voraus gebucht werden.",
    "rider.passengers": "Personen",
    "rider.wheelchairs": "davon im Rollstuhl",
    "rider.find": "Fahrt suchen",
    "rider.map_hint": "Tippen Sie auf die Karte, um Start oder Ziel zu wählen.",
    "rider.map_hint_pick": "Tippen Sie jetzt auf die Karte: {which}.",
    "rider.offers": "Angebote",
    "rider.offer_window": "Abholung {from}–{to} Uhr",
    "rider.offer_arrival": "Ankunft spätestens {time} Uhr",
    "rider.offer_day": "am {day}",
    "rider.offer_direct": "Fahrzeit direkt etwa {minutes} Minuten",
    "rider.offer_valid": "Angebot gilt bis {time} Uhr",
    "rider.offer_alternative": "Ausweichzeit",
    "rider.book": "Diese Fahrt buchen",
    "rider.booking_in_progress": "Wird gebucht …",
    "rider.searching": "Suche Fahrten …",
    "rider.no_offer": "Für diese Anfrage gibt es leider kein Angebot.",
    "rider.need_origin": "Bitte wählen Sie, wo Sie abgeholt werden möchten.",
    "rider.need_destination": "Bitte wählen Sie Ihr Ziel.",
    "rider.need_time": "Bitte geben Sie Datum und Uhrzeit an.",
    "rider.wheelchairs_too_many": "Es können nicht mehr Rollstühle als Personen sein.",
    "rider.my_position": "Mein Standort",
    "rider.map_point": "Punkt auf der Karte ({lat}, {lon})",
    "rider.locating": "Standort wird bestimmt …",
    "rider.no_geolocation": "Ihr Standort ist nicht verfügbar. Bitte suchen Sie eine Haltestelle oder tippen Sie auf die Karte.",
    "rider.my_bookings": "Meine Fahrten",
    "rider.no_bookings": "Sie haben noch keine Fahrten gebucht.",
    "rider.your_ride": "Ihre Fahrt",
    "rider.cancel": "Fahrt stornieren",
    "rider.cancel_confirm": "Möchten Sie diese Fahrt wirklich stornieren?",
    "rider.cancelled_info": "Die Fahrt wurde storniert.",
    "rider.booked_info": "Ihre Fahrt ist gebucht.",
    "rider.all_bookings": "Alle Fahrten",
    "rider.not_found_title": "Fahrt nicht gefunden",
    "rider.not_found": "Diese Fahrt gibt es nicht oder sie gehört nicht zu Ihrem Konto.",
    "rider.status.confirmed": "Bestätigt",
    "rider.status.onboard": "Unterwegs",
    "rider.status.completed": "Abgeschlossen",
    "rider.status.cancelled": "Storniert",
    "rider.status.no_show": "Nicht erschienen",
    "rider.fact.from": "Von",
    "rider.fact.to": "Nach",
    "rider.fact.window": "Abholung",
    "rider.fact.arrival": "Ankunft spätestens",
    "rider.fact.people": "Personen",
    "rider.fact.vehicle": "Fahrzeug",
    "rider.fact.booking": "Buchungsnummer",
    "rider.fact.completed": "Angekommen",
    "rider.window_value": "{day}, {from}–{to} Uhr",
    "rider.people_value": "{passengers} (davon {wheelchairs} im Rollstuhl)",
    "rider.live_pickup": "Ihr Bus kommt voraussichtlich um {time} Uhr (in {minutes} Min.).",
    "rider.live_pickup_now": "Ihr Bus ist gleich da ({time} Uhr).",
    "rider.live_dropoff": "Sie sind unterwegs. Ankunft voraussichtlich {time} Uhr.",
    "rider.live_completed": "Fahrt abgeschlossen. Danke, dass Sie mit dem Rufbus gefahren sind!",
    "rider.live_cancelled": "Diese Fahrt wurde storniert.",
    "rider.live_no_show": "Sie wurden nicht angetroffen; die Fahrt ist beendet.",
    "rider.updated": "Stand: {time} Uhr",
    "rider.live_connected": "Live-Aktualisierung aktiv",
    "rider.origin_marker": "Start",
    "rider.destination_marker": "Ziel",
    "rider.logged_out": "Sie wurden abgemeldet.",
    "rider.vehicle_position": "Ihr Fahrzeug {vehicle} ist auf der Karte zu sehen (Position von {time} Uhr).",
    "rider.vehicle_no_position": "Ihr Fahrzeug {vehicle} hat noch keine Position gemeldet. Sobald es das tut, sehen Sie es hier auf der Karte.",
  },
  en: {
    "rider.brand": "Rufbus",
    "rider.welcome": "Book a Rufbus",
    "rider.welcome_text": "Log in or create an account to book a ride.",
    "rider.login_title": "Log in",
    "rider.register_title": "New account",
    "rider.new_password": "Password (at least 8 characters)",
    "rider.register": "Create account and log in",
    "rider.tab_book": "New ride",
    "rider.tab_bookings": "My rides",
    "rider.trip_title": "Where do you want to go?",
    "rider.from": "From",
    "rider.to": "To",
    "rider.search_placeholder": "Search a stop or town",
    "rider.results": "Stops found",
    "rider.no_results": "No stop found",
    "rider.my_location": "My location",
    "rider.pick_on_map": "Choose on the map",
    "rider.swap": "⇅ Swap",
    "rider.when": "When?",
    "rider.when_now": "As soon as possible",
    "rider.when_depart": "Leave after",
    "rider.when_arrive": "Arrive by",
    "rider.date": "Date",
    "rider.time": "Time",
    "rider.lead_hint": "Rides can be booked at the earliest {minutes} minutes ahead.",
    "rider.passengers": "People",
    "rider.wheelchairs": "of them in a wheelchair",
    "rider.find": "Find a ride",
    "rider.map_hint": "Tap the map to choose where you start or go.",
    "rider.map_hint_pick": "Now tap the map: {which}.",
    "rider.offers": "Offers",
    "rider.offer_window": "Pickup {from}–{to}",
    "rider.offer_arrival": "Arrival by {time} at the latest",
    "rider.offer_day": "on {day}",
    "rider.offer_direct": "Direct driving time about {minutes} minutes",
    "rider.offer_valid": "Offer valid until {time}",
    "rider.offer_alternative": "Other time",
    "rider.book": "Book this ride",
    "rider.booking_in_progress": "Booking …",
    "rider.searching": "Looking for rides …",
    "rider.no_offer": "Sorry, there is no offer for this request.",
    "rider.need_origin": "Please choose where you want to be picked up.",
    "rider.need_destination": "Please choose where you want to go.",
    "rider.need_time": "Please give a date and time.",
    "rider.wheelchairs_too_many": "There cannot be more wheelchairs than people.",
    "rider.my_position": "My location",
    "rider.map_point": "Point on the map ({lat}, {lon})",
    "rider.locating": "Finding your location …",
    "rider.no_geolocation": "Your location is not available. Please search a stop or tap the map.",
    "rider.my_bookings": "My rides",
    "rider.no_bookings": "You have not booked any rides yet.",
    "rider.your_ride": "Your ride",
    "rider.cancel": "Cancel ride",
    "rider.cancel_confirm": "Do you really want to cancel this ride?",
    "rider.cancelled_info": "The ride has been cancelled.",
    "rider.booked_info": "Your ride is booked.",
    "rider.all_bookings": "All rides",
    "rider.not_found_title": "Ride not found",
    "rider.not_found": "This ride does not exist or does not belong to your account.",
    "rider.status.confirmed": "Confirmed",
    "rider.status.onboard": "On the way",
    "rider.status.completed": "Completed",
    "rider.status.cancelled": "Cancelled",
    "rider.status.no_show": "No-show",
    "rider.fact.from": "From",
    "rider.fact.to": "To",
    "rider.fact.window": "Pickup",
    "rider.fact.arrival": "Arrival by",
    "rider.fact.people": "People",
    "rider.fact.vehicle": "Vehicle",
    "rider.fact.booking": "Booking number",
    "rider.fact.completed": "Arrived",
    "rider.window_value": "{day}, {from}–{to}",
    "rider.people_value": "{passengers} ({wheelchairs} in a wheelchair)",
    "rider.live_pickup": "Your bus is expected at {time} (in {minutes} min).",
    "rider.live_pickup_now": "Your bus is almost there ({time}).",
    "rider.live_dropoff": "You are on your way. Expected arrival {time}.",
    "rider.live_completed": "Ride completed. Thank you for riding the Rufbus!",
    "rider.live_cancelled": "This ride has been cancelled.",
    "rider.live_no_show": "You were not found at the stop; the ride is over.",
    "rider.updated": "Updated: {time}",
    "rider.live_connected": "Live updates on",
    "rider.origin_marker": "Start",
    "rider.destination_marker": "Destination",
    "rider.logged_out": "You have been logged out.",
    "rider.vehicle_position": "Your vehicle {vehicle} is shown on the map (position from {time}).",
    "rider.vehicle_no_position": "Your vehicle {vehicle} has not reported its position yet. As soon as it does, you will see it on the map here.",
  },
});

const $ = (id) => document.getElementById(id);
const ACTIVE = new Set(["confirmed", "onboard"]);
const POLL_MS = 15000;

const state = {
  user: null,
  trip: { origin: null, destination: null },     // {stop_id?, lat, lon, name}
  pick: null,                                    // "origin" | "destination" while picking on the map
  offers: [], reason: null,
  keys: new Map(),                               // offer_id -> Idempotency-Key (kept for retries)
  booking: null, bookingId: null, bookingMissing: false,
  source: null, poll: 0,
  list: [],
  minLeadMinutes: 30,
  mapTrip: null, mapBooking: null,
};

// ------------------------------------------------------------------ messages
function showError(err) {
  $("alert").textContent = typeof err === "string" ? err : errorSentence(err);
  if (err instanceof ApiError || typeof err === "string") $("alert").scrollIntoView({ block: "nearest" });
}
function clearMessages() { $("alert").textContent = ""; $("info").textContent = ""; }
function info(text) { $("info").textContent = text; }


function dayLabel(iso) {
  return formatDateTime(iso).split(",").slice(0, -1).join(",");
}

// ------------------------------------------------------------------ login
async function start() {
  languageSwitch();
  applyTranslations(document);
  onLanguageChange(() => {
    render();
    if (state.mapTrip) state.mapTrip.setLabel(t("rider.map_hint"));
    if (state.mapBooking) state.mapBooking.setLabel(t("rider.your_ride"));
  });
  $("login-form").addEventListener("submit", onLogin);
  $("register-form").addEventListener("submit", onRegister);
  $("logout").addEventListener("click", () => { logout(); state.user = null; stopLive(); info(t("rider.logged_out")); state.keepInfo = true; render(); });
  window.addEventListener("ride-pool:logged-out", () => { state.user = null; stopLive(); render(); });
  window.addEventListener("hashchange", () => route());
  setUpTripForm();
  if (location.pathname.startsWith("/bookings/")) {
    const id = decodeURIComponent(location.pathname.slice("/bookings/".length));
    history.replaceState(null, "", `/#/bookings/${encodeURIComponent(id)}`);
  }
  try {
    const config = await api("/api/v1/config");
    if (config && config.min_lead_s) state.minLeadMinutes = Math.round(config.min_lead_s / 60);
  } catch (e) { /* the default hint */ }
  try {
    state.user = getToken() ? await me() : null;
  } catch (err) {
    showError(err);
  }
  if (state.user && state.user.role === "driver") {
    state.user = null;   // a driver's token from the driver page: riders log in here
  }
  route();
}

async function onLogin(e) {
  e.preventDefault();
  clearMessages();
  const email = $("login-email").value.trim(), password = $("login-password").value;
  if (!email || !password) { showError(t("err.wrong_login")); return; }
  try {
    await login(email, password);
    state.user = await me();
    $("login-password").value = "";
    route();
  } catch (err) { showError(err); }
}

async function onRegister(e) {
  e.preventDefault();
  clearMessages();
  const name = $("register-name").value.trim(), email = $("register-email").value.trim(), password = $("register-password").value;
  if (password.length < 8) {
    $("register-password").setAttribute("aria-invalid", "true");
    showError(t("rider.new_password"));
    $("register-password").focus();
    return;
  }
  $("register-password").removeAttribute("aria-invalid");
  try {
    await register(email, password, name);
    state.user = await me();
    $("register-password").value = "";
    route();
  } catch (err) { showError(err); }
}

// ------------------------------------------------------------------ routing
function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const parts = hash.split("/").filter(Boolean);
  if (parts[0] === "bookings" && parts[1]) return { view: "booking", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "bookings") return { view: "bookings" };
  return { view: "book" };
}

function route() {
  const r = currentRoute();
  if (state.keepInfo) state.keepInfo = false;       // a message for the view opened now (e.g. "booked")
  else clearMessages();
  const loggedIn = !!state.user;
  $("auth").hidden = loggedIn;
  $("app").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
  $("user-name").hidden = !loggedIn;
  $("user-name").textContent = loggedIn ? state.user.name : "";
  $("lead-hint").textContent = t("rider.lead_hint", { minutes: state.minLeadMinutes });
  if (!loggedIn) { stopLive(); return; }
  for (const v of ["book", "bookings", "booking"]) $(`view-${v}`).hidden = v !== r.view;
  $("tab-book").toggleAttribute("aria-current", false);
  $("tab-bookings").toggleAttribute("aria-current", false);
  if (r.view === "book") $("tab-book").setAttribute("aria-current", "page");
  else $("tab-bookings").setAttribute("aria-current", "page");
  if (r.view !== "booking") stopLive();
  if (r.view === "book") showBook();
  else if (r.view === "bookings") loadBookings();
  else openBooking(r.id);
}

function render() {
  const r = currentRoute();
  if (!state.user) { route(); return; }
  if (r.view === "book") { renderPlaces(); renderOffers(); }
  else if (r.view === "bookings") renderBookings();
  else renderBooking();
  $("lead-hint").textContent = t("rider.lead_hint", { minutes: state.minLeadMinutes });
}

// ------------------------------------------------------------------ trip form
function setUpTripForm() {
  for (const which of ["origin", "destination"]) {
    const box = $(`place-${which}`);
    const input = $(`${which}-search`);
    const results = $(`${which}-results`);
    let timer = 0, seq = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (!q) { results.hidden = true; results.innerHTML = ""; return; }
      timer = setTimeout(async () => {
        const mine = ++seq;
        try {
          const stops = await api(`/api/v1/stops?q=${encodeURIComponent(q)}&limit=8`);
          if (mine !== seq) return;
          showResults(which, stops);
        } catch (err) { showError(err); }
      }, 180);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && !results.hidden) {
        const first = results.querySelector("button");
        if (first) { first.focus(); e.preventDefault(); }
      } else if (e.key === "Escape") { results.hidden = true; }
      else if (e.key === "Enter") {
        const first = results.querySelector("button");
        if (first && !results.hidden) { first.click(); e.preventDefault(); }
        else e.preventDefault();
      }
    });
    results.addEventListener("keydown", (e) => {
      const buttons = [...results.querySelectorAll("button")];
      const i = buttons.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < buttons.length - 1) { buttons[i + 1].focus(); e.preventDefault(); }
      if (e.key === "ArrowUp") { (i > 0 ? buttons[i - 1] : input).focus(); e.preventDefault(); }
      if (e.key === "Escape") { results.hidden = true; input.focus(); }
    });
    box.querySelector('[data-action="locate"]').addEventListener("click", () => locate(which));
    box.querySelector('[data-action="pick"]').addEventListener("click", () => {
      state.pick = state.pick === which ? null : which;
      renderPlaces();
      if (state.pick) $("map").querySelector("canvas")?.focus();
    });
  }
  $("swap").addEventListener("click", () => {
    const { origin, destination } = state.trip;
    state.trip = { origin: destination, destination: origin };
    clearOffers();
    renderPlaces();
  });
  for (const radio of document.querySelectorAll('input[name="when"]')) {
    radio.addEventListener("change", () => {
      const later = whenMode() !== "now";
      $("when-time").hidden = !later;
      if (later && !$("trip-date").value) {
        const p = berlinNowParts(60);
        $("trip-date").value = p.date;
        $("trip-time").value = p.time.slice(0, 3) + String(Math.ceil(+p.time.slice(3) / 5) * 5 % 60).padStart(2, "0");
      }
      clearOffers();
    });
  }
  for (const id of ["passengers", "wheelchairs", "trip-date", "trip-time"]) $(id).addEventListener("change", clearOffers);
  $("trip-form").addEventListener("submit", (e) => { e.preventDefault(); findOffers(); });
}

function whenMode() {
  return document.querySelector('input[name="when"]:checked').value;
}

function showResults(which, stops) {
  const results = $(`${which}-results`);
  results.innerHTML = "";
  if (!stops.length) {
    results.append(el("li", { class: "muted", style: "padding:.5rem .75rem" }, t("rider.no_results")));
  }
  for (const s of stops) {
    results.append(el("li", {}, el("button", {
      type: "button", dataset: { stopId: String(s.id) },
      onclick: () => {
        choose(which, { stop_id: s.id, lat: s.lat, lon: s.lon, name: s.name });
        results.hidden = true;
        $(`${which}-search`).value = "";
        const next = which === "origin" && !state.trip.destination ? $("destination-search") : $("find");
        next.focus();
      },
    }, s.name, s.town && !s.name.startsWith(s.town) ? el("span", { class: "town" }, s.town) : null)));
  }
  results.hidden = false;
}

function choose(which, place) {
  state.trip[which] = place;
  state.pick = null;
  clearOffers();
  renderPlaces();
}

function locate(which) {
  clearMessages();
  if (!navigator.geolocation) { showError(t("rider.no_geolocation")); return; }
  info(t("rider.locating"));
  navigator.geolocation.getCurrentPosition((pos) => {
    info("");
    choose(which, { lat: +pos.coords.latitude.toFixed(6), lon: +pos.coords.longitude.toFixed(6), name: t("rider.my_position") });
    if (state.mapTrip) state.mapTrip.fitTo([[pos.coords.latitude, pos.coords.longitude]], { maxZoom: 14 });
  }, () => { info(""); showError(t("rider.no_geolocation")); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
}

function onMapClick(lat, lon, hit) {
  const which = state.pick || (!state.trip.origin ? "origin" : !state.trip.destination ? "destination" : null);
  if (!which) return;
  state.pickedOnMap = true;         // the map stays where the rider tapped
  if (hit && hit.stop) {
    const s = hit.stop;
    choose(which, { stop_id: s.id, lat: s.lat, lon: s.lon, name: s.name });
  } else {
    choose(which, { lat: +lat.toFixed(6), lon: +lon.toFixed(6), name: "" });
  }
}

function placeName(p) {
  if (!p) return "";
  return p.name || t("rider.map_point", { lat: p.lat.toFixed(4), lon: p.lon.toFixed(4) });
}

function renderPlaces() {
  for (const which of ["origin", "destination"]) {
    $(`${which}-chosen`).textContent = placeName(state.trip[which]);
    const pick = $(`place-${which}`).querySelector('[data-action="pick"]');
    pick.setAttribute("aria-pressed", String(state.pick === which));
  }
  $("map-hint").textContent = state.pick
    ? t("rider.map_hint_pick", { which: t(state.pick === "origin" ? "rider.from" : "rider.to") })
    : t("rider.map_hint");
  if (state.mapTrip) {
    const markers = [];
    if (state.trip.origin) markers.push({ ...state.trip.origin, label: "A", kind: "origin" });
    if (state.trip.destination) markers.push({ ...state.trip.destination, label: "B", kind: "destination" });
    state.mapTrip.setMarkers("trip", markers);
    const key = markers.map((m) => `${m.lat},${m.lon}`).join(";");
    if (markers.length === 2 && key !== state.fittedTrip && !state.pickedOnMap) {
      state.fittedTrip = key;
      const map = state.mapTrip;
      map.ready.then(() => map.fitTo(markers, { maxZoom: 14, padding: 50 }));
    }
    state.pickedOnMap = false;
  }
}

function showBook() {
  if (!state.mapTrip) {
    state.mapTrip = createMap($("map"), { stops: true, label: t("rider.map_hint") });
    state.mapTrip.onClick(onMapClick);
  }
  renderPlaces();
  renderOffers();
}

function clearOffers() {
  state.offers = []; state.reason = null;
  renderOffers();
}

function localIso() {
  const date = $("trip-date").value, time = $("trip-time").value;
  if (!date || !time) return null;
  return `${date}T${time}:00`;       // no offset: local time of the service area (Europe/Berlin)
}

async function findOffers() {
  clearMessages();
  const { origin, destination } = state.trip;
  if (!origin) { showError(t("rider.need_origin")); $("origin-search").focus(); return; }
  if (!destination) { showError(t("rider.need_destination")); $("destination-search").focus(); return; }
  const passengers = +$("passengers").value, wheelchairs = +$("wheelchairs").value;
  if (wheelchairs > passengers) { showError(t("rider.wheelchairs_too_many")); $("wheelchairs").focus(); return; }
  const body = { origin: placeBody(origin), destination: placeBody(destination), passengers, wheelchairs };
  const mode = whenMode();
  if (mode !== "now") {
    const when = localIso();
    if (!when) { showError(t("rider.need_time")); $("trip-date").focus(); return; }
    body[mode] = when;
  }
  const button = $("find");
  button.disabled = true;
  info(t("rider.searching"));
  try {
    const quote = await api("/api/v1/quotes", { method: "POST", body });
    state.offers = quote.offers || [];
    state.reason = quote.reason || null;
    info("");
    renderOffers();
    const first = $("offer-list").querySelector("button");
    if (first) first.focus(); else $("offers-reason").focus?.();
  } catch (err) {
    info("");
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function placeBody(p) {
  if (p.stop_id) return { stop_id: p.stop_id };
  const out = { lat: p.lat, lon: p.lon };
  if (p.name) out.name = p.name.slice(0, 200);
  return out;
}

function renderOffers() {
  const section = $("offers");
  const list = $("offer-list");
  list.innerHTML = "";
  const reason = $("offers-reason");
  section.hidden = !state.offers.length && !state.reason;
  reason.hidden = !state.reason || state.offers.length > 0;
  if (state.reason && !state.offers.length) {
    reason.textContent = `${t("rider.no_offer")} ${reasonSentence(state.reason)}`;
  }
  for (const o of state.offers) {
    const day = dayLabel(o.pickup_earliest);
    list.append(el("li", {}, el("article", { class: "card offer", dataset: { offerId: o.offer_id } },
      el("div", { class: "card-title" },
        el("span", { class: "window" }, t("rider.offer_window", { from: formatTime(o.pickup_earliest), to: formatTime(o.pickup_latest) })),
        o.alternative ? el("span", { class: "badge" }, t("rider.offer_alternative")) : null),
      el("span", { class: "muted" }, day),
      el("span", { class: "arrival" }, t("rider.offer_arrival", { time: formatTime(o.dropoff_latest) })),
      el("span", { class: "small muted" }, `${o.origin.name || placeName(o.origin)} → ${o.destination.name || placeName(o.destination)}`),
      el("span", { class: "small muted" }, t("rider.offer_direct", { minutes: Math.round(o.direct_minutes) }) + " · "
        + t("rider.offer_valid", { time: formatTime(o.expires_at) })),
      el("button", { type: "button", class: "btn-primary btn-block", onclick: (e) => book(o, e.currentTarget) }, t("rider.book")))));
  }
}

/** The quote's reason as a sentence: the German page translates known rule codes. */
function reasonSentence(reason) {
  const key = `reason.${reason.code}`;
  const text = t(key, { message: reason.message });
  if (text !== key) return text;
  const m = String(reason.message || "");
  return m ? m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".") : "";
}

addTranslations({
  de: {
    "reason.outside_service_area": "Der Ort liegt außerhalb des Bediengebiets.",
    "reason.same_place": "Start und Ziel sind derselbe Ort.",
    "reason.outside_operating_hours": "Zu dieser Zeit fährt der Rufbus nicht ({message}).",
    "reason.min_lead_time": "Die Fahrt muss früher im Voraus gebucht werden ({message}).",
    "reason.booking_horizon": "So weit im Voraus kann noch nicht gebucht werden ({message}).",
    "reason.early_morning_cutoff": "Fahrten vor 8 Uhr müssen bis 20 Uhr am Vorabend gebucht werden.",
    "reason.max_active_bookings": "Sie haben schon die höchste Zahl offener Buchungen.",
    "reason.no_show_limit": "Bitte buchen Sie telefonisch bei der Disposition (zu oft nicht erschienen).",
    "reason.too_many_passengers": "Für so viele Personen gibt es kein Fahrzeug.",
    "reason.no_vehicle_fits": "Kein Fahrzeug passt für diese Fahrt (Plätze oder Rollstuhlplätze).",
    "reason.no_vehicle_available": "Zu dieser Zeit ist kein Fahrzeug frei. Bitte versuchen Sie eine andere Zeit.",
    "err.offer_expired": "Das Angebot ist abgelaufen. Bitte suchen Sie die Fahrt neu.",
    "err.offer_no_longer_available": "Dieses Angebot ist inzwischen vergeben. Bitte suchen Sie die Fahrt neu.",
  },
  en: {
    "reason.outside_service_area": "The place is outside the service area.",
    "reason.same_place": "Start and destination are the same place.",
    "reason.outside_operating_hours": "The Rufbus does not run at that time ({message}).",
    "reason.min_lead_time": "The ride must be booked further ahead ({message}).",
    "reason.booking_horizon": "That is too far ahead to book yet ({message}).",
    "reason.early_morning_cutoff": "Rides before 8 am must be booked by 8 pm the evening before.",
    "reason.max_active_bookings": "You already have the largest number of open bookings.",
    "reason.no_show_limit": "Please book by phone with the dispatcher (too many no-shows).",
    "reason.too_many_passengers": "No vehicle takes that many people.",
    "reason.no_vehicle_fits": "No vehicle fits this ride (seats or wheelchair places).",
    "reason.no_vehicle_available": "No vehicle is free at that time. Please try another time.",
    "err.offer_expired": "The offer has expired. Please search the ride again.",
    "err.offer_no_longer_available": "This offer has been taken meanwhile. Please search the ride again.",
  },
});

async function book(offer, button) {
  clearMessages();
  let key = state.keys.get(offer.offer_id);
  if (!key) { key = newIdempotencyKey(); state.keys.set(offer.offer_id, key); }
  button.disabled = true;
  button.textContent = t("rider.booking_in_progress");
  try {
    const booking = await api("/api/v1/bookings", { method: "POST", body: { offer_id: offer.offer_id }, headers: { "Idempotency-Key": key } });
    state.booking = booking;
    state.bookingId = booking.booking_id;
    clearOffers();
    state.trip = { origin: null, destination: null };
    info(t("rider.booked_info"));
    state.keepInfo = true;
    location.hash = `#/bookings/${encodeURIComponent(booking.booking_id)}`;
  } catch (err) {
    showError(err);
    button.disabled = false;
    button.textContent = t("rider.book");
  }
}

// ------------------------------------------------------------------ my bookings
async function loadBookings() {
  try {
    state.list = await api("/api/v1/bookings?limit=50");
  } catch (err) { showError(err); state.list = []; }
  renderBookings();
}

function renderBookings() {
  const list = $("booking-list");
  list.innerHTML = "";
  $("bookings-empty").hidden = state.list.length > 0;
  for (const b of state.list) {
    list.append(el("li", { class: "booking-item" }, el("a", { href: `#/bookings/${encodeURIComponent(b.booking_id)}` },
      el("article", { class: "card", dataset: { bookingId: b.booking_id } },
        el("div", { class: "card-title" },
          el("span", { class: "route-line" }, `${placeName(b.origin)} → ${placeName(b.destination)}`),
          el("span", { class: "badge", dataset: { status: b.status } }, t(`rider.status.${b.status}`))),
        el("span", { class: "muted" }, t("rider.window_value", { day: dayLabel(b.pickup_earliest), from: formatTime(b.pickup_earliest), to: formatTime(b.pickup_latest) }))))));
  }
}

// ------------------------------------------------------------------ one booking, live
async function openBooking(id) {
  if (state.bookingId !== id) {
    stopLive();
    state.booking = null;
    state.bookingId = id;
    state.vehicleFitted = false;
  }
  state.bookingMissing = false;
  if (!state.mapBooking) state.mapBooking = createMap($("booking-map"), { stops: false, label: t("rider.your_ride") });
  renderBooking();
  await refreshBooking(true);
  startLive();
}

async function refreshBooking(fit = false) {
  const id = state.bookingId;
  if (!id) return;
  try {
    const b = await api(`/api/v1/bookings/${encodeURIComponent(id)}`);
    if (state.bookingId !== id) return;
    if (state.booking && state.booking.status !== b.status) $("info").textContent = "";
    state.booking = b;
    state.bookingMissing = false;
    state.updatedAt = new Date();
    renderBooking(fit);
    if (!ACTIVE.has(b.status)) stopLive();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 422)) {
      state.booking = null;
      state.bookingMissing = true;
      stopLive();
      renderBooking();
    } else {
      showError(err);
    }
  }
}

function startLive() {
  if (!state.booking || !ACTIVE.has(state.booking.status)) return;
  if (!state.source) {
    let timer = 0;
    state.source = subscribe(`/api/v1/bookings/${encodeURIComponent(state.bookingId)}/events`, (data, event) => {
      if (event.type === "hello") return;
      clearTimeout(timer);
      timer = setTimeout(() => refreshBooking(), 150);
    });
  }
  if (!state.poll) state.poll = setInterval(() => refreshBooking(), POLL_MS);
}

function stopLive() {
  if (state.source) { state.source.close(); state.source = null; }
  if (state.poll) { clearInterval(state.poll); state.poll = 0; }
}

function renderBooking(fit = false) {
  $("booking-missing").hidden = !state.bookingMissing;
  $("booking-card").hidden = state.bookingMissing;
  $("booking-map").hidden = state.bookingMissing;
  const b = state.booking;
  if (!b) {
    $("booking-status").textContent = "";
    $("booking-live").textContent = state.bookingMissing ? "" : t("common.loading");
    $("booking-facts").innerHTML = "";
    $("cancel").hidden = true;
    return;
  }
  const status = $("booking-status");
  status.dataset.status = b.status;
  status.textContent = t(`rider.status.${b.status}`);
  $("booking-live").textContent = liveSentence(b);
  const facts = [
    ["rider.fact.from", placeName(b.origin)],
    ["rider.fact.to", placeName(b.destination)],
    ["rider.fact.window", t("rider.window_value", { day: dayLabel(b.pickup_earliest), from: formatTime(b.pickup_earliest), to: formatTime(b.pickup_latest) })],
    ["rider.fact.arrival", formatTime(b.dropoff_latest)],
    ["rider.fact.people", b.wheelchairs ? t("rider.people_value", { passengers: b.passengers, wheelchairs: b.wheelchairs }) : String(b.passengers)],
  ];
  if (b.vehicle) facts.push(["rider.fact.vehicle", b.vehicle.label]);
  if (b.completed_at && b.status === "completed") facts.push(["rider.fact.completed", formatTime(b.completed_at)]);
  facts.push(["rider.fact.booking", b.booking_id.slice(0, 8)]);
  const dl = $("booking-facts");
  dl.innerHTML = "";
  for (const [key, value] of facts) {
    dl.append(el("dt", { dataset: { fact: key.split(".").pop() } }, t(key)), el("dd", { dataset: { fact: key.split(".").pop() } }, value));
  }
  $("booking-updated").textContent = state.updatedAt ? t("rider.updated", { time: formatTime(state.updatedAt) }) : "";
  $("cancel").hidden = b.status !== "confirmed";
  // the vehicle while the ride is open: on the map where it reported last, or plainly "not yet"
  const v = ACTIVE.has(b.status) ? b.vehicle : null;
  const located = !!(v && v.lat !== null && v.lat !== undefined && v.lon !== null && v.lon !== undefined);
  const note = $("vehicle-position");
  note.hidden = !v;
  note.dataset.located = String(located);
  note.textContent = !v ? "" : located
    ? t("rider.vehicle_position", { vehicle: v.label, time: positionTime(v.location_time) })
    : t("rider.vehicle_no_position", { vehicle: v.label });
  const map = state.mapBooking;
  if (map) {
    map.setMarkers("trip", [
      { ...b.origin, label: "A", kind: "origin" },
      { ...b.destination, label: "B", kind: "destination" },
    ]);
    map.setVehicles(located ? [{ id: v.vehicle_id, label: v.label, lat: v.lat, lon: v.lon }] : []);
    const el = $("booking-map");
    el.dataset.vehicleLat = located ? String(v.lat) : "";
    el.dataset.vehicleLon = located ? String(v.lon) : "";
    // fit on opening, and once more when the vehicle first appears
    if (fit || (located && !state.vehicleFitted)) {
      const points = [[b.origin.lat, b.origin.lon], [b.destination.lat, b.destination.lon]];
      if (located) { points.push([v.lat, v.lon]); state.vehicleFitted = true; }
      map.ready.then(() => map.fitTo(points, { maxZoom: 14 }));
    }
  }
}

/** "14:05", or with the day when the position is not from today. */
function positionTime(iso) {
  if (!iso) return "–";
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" });
  return day.format(new Date(iso)) === day.format(new Date()) ? formatTime(iso) : formatDateTime(iso);
}

function liveSentence(b) {
  if (b.status === "completed") return t("rider.live_completed");
  if (b.status === "cancelled") return t("rider.live_cancelled");
  if (b.status === "no_show") return t("rider.live_no_show");
  if (b.status === "onboard") return t("rider.live_dropoff", { time: formatTime(b.eta_dropoff || b.planned_dropoff || b.dropoff_latest) });
  const eta = b.eta_pickup || b.planned_pickup;
  if (!eta) return "";
  const minutes = minutesUntil(eta);
  return minutes <= 1 ? t("rider.live_pickup_now", { time: formatTime(eta) })
    : t("rider.live_pickup", { time: formatTime(eta), minutes });
}

$("cancel").addEventListener("click", async () => {
  if (!state.booking) return;
  if (!window.confirm(t("rider.cancel_confirm"))) return;
  clearMessages();
  try {
    state.booking = await api(`/api/v1/bookings/${encodeURIComponent(state.booking.booking_id)}/cancel`, { method: "POST" });
    info(t("rider.cancelled_info"));
    stopLive();
    renderBooking();
  } catch (err) { showError(err); }
});

start();
