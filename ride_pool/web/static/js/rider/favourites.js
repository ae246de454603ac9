// The rider's favourite places ("Zuhause", "Arzt", …): shown as buttons above each place field,
// one tap sets the place. Kept on the rider's account on the server (GET/POST/DELETE
// /api/v1/favourites) when the server has them, else in this browser's localStorage.
//
//   await loadFavourites();                 // once after logging in
//   renderFavourites(container, onPick);    // buttons; onPick({name, place})
//   await saveFavourite("Arzt", place);     // place: {stop_id?, lat, lon, name}
//   favouriteFor(place)                     // the favourite at that place, if any

import { api, ApiError } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { t } from "/static/js/i18n.js";
import { placeName, samePlace } from "/static/js/trip-form.js";

const STORAGE_KEY = "ride_pool.favourites";
const MAX = 12;

const state = { list: [], server: null, listeners: [] };

function stored() {
  try { return JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]"); } catch (e) { return []; }
}

function store(list) {
  try { localStorage.setItem(STORAGE_KEY, JSON.stringify(list)); } catch (e) { /* storage blocked */ }
}

function fromServer(f) {
  const place = { lat: f.lat, lon: f.lon, name: f.label };
  if (f.stop_id) place.stop_id = f.stop_id;
  return { id: f.id, name: f.name, place };
}

/** Load the favourites (from the account, else from this browser). */
export async function loadFavourites() {
  try {
    state.list = (await api("/api/v1/favourites")).map(fromServer);
    state.server = true;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    state.server = false;
    state.list = stored();
  }
  for (const fn of state.listeners) fn();
  return state.list;
}

export function onFavouritesChange(fn) { state.listeners.push(fn); }

export function favourites() { return state.list; }

export function favouriteFor(place) { return state.list.find((f) => samePlace(f.place, place)) || null; }

export async function saveFavourite(name, place) {
  name = String(name).slice(0, 60);
  if (state.server) {
    const body = { name, label: placeName(place).slice(0, 200), lat: place.lat, lon: place.lon };
    if (place.stop_id) body.stop_id = place.stop_id;
    const saved = await api("/api/v1/favourites", { method: "POST", body });
    state.list = state.list.filter((f) => f.id !== saved.id).concat([fromServer(saved)]);
  } else {
    const place_ = { lat: place.lat, lon: place.lon, name: placeName(place) };
    if (place.stop_id) place_.stop_id = place.stop_id;
    state.list = state.list.filter((f) => f.name !== name).concat([{ id: `local-${Date.now()}`, name, place: place_ }]).slice(-MAX);
    store(state.list);
  }
  for (const fn of state.listeners) fn();
}

export async function removeFavourite(fav) {
  if (state.server) await api(`/api/v1/favourites/${encodeURIComponent(fav.id)}`, { method: "DELETE" });
  state.list = state.list.filter((f) => f !== fav);
  if (!state.server) store(state.list);
  for (const fn of state.listeners) fn();
}

/** Buttons for the favourites in container; onPick(favourite) when one is pressed. */
export function renderFavourites(container, onPick) {
  if (!container) return;
  container.replaceChildren(...state.list.map((f) => el("button", {
    type: "button", class: "btn-small favourite", dataset: { favourite: f.name },
    title: placeName(f.place), "aria-label": t("rider.favourite_use", { name: f.name, place: placeName(f.place) }),
    onclick: () => onPick(f),
  }, "★ ", f.name)));
  container.hidden = !state.list.length;
}
