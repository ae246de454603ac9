// Translations: German first, English as a switch (kept in localStorage, <html lang> follows).
//
//   import { t, addTranslations, setLanguage, getLanguage, applyTranslations,
//            formatTime, formatTimeSeconds, formatDateTime, onLanguageChange, languageSwitch } from "/static/js/i18n.js";
//
// t("key", {name: "x"}) replaces {name} in the text; a missing key falls back to German, then to
// the key itself. applyTranslations(root) fills elements with data-i18n (text), data-i18n-html
// is not supported on purpose (no HTML from translations), data-i18n-placeholder,
// data-i18n-aria-label and data-i18n-title.

const STORAGE_KEY = "ride_pool.lang";
export const LANGUAGES = ["de", "en"];
export const TIME_ZONE = "Europe/Berlin";

const dictionaries = { de: {}, en: {} };
const listeners = [];

function initialLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (LANGUAGES.includes(stored)) return stored;
  } catch (e) { /* storage blocked */ }
  return "de";
}

let current = initialLanguage();
if (typeof document !== "undefined") document.documentElement.lang = current;

export function addTranslations(tables) {
  for (const [lang, entries] of Object.entries(tables)) {
    dictionaries[lang] = Object.assign(dictionaries[lang] || {}, entries);
  }
}

export function getLanguage() { return current; }

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = "de";
  current = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* storage blocked */ }
  document.documentElement.lang = lang;
  applyTranslations(document);
  for (const fn of listeners) {
    try { fn(lang); } catch (e) { console.error(e); }
  }
}

/** Call fn(lang) after every language change (to re-render dynamic content). */
export function onLanguageChange(fn) { listeners.push(fn); }

export function has(key) {
  return key in (dictionaries[current] || {}) || key in dictionaries.de;
}

export function t(key, params = {}) {
  let text = (dictionaries[current] || {})[key];
  if (text === undefined) text = dictionaries.de[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

export function applyTranslations(root = document) {
  const scope = root.querySelectorAll ? root : document;
  for (const el of scope.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of scope.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of scope.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  for (const el of scope.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  if (scope === document && document.querySelector("title[data-i18n]") === null) {
    const title = document.querySelector("title");
    if (title && title.dataset.i18nTitleKey) title.textContent = t(title.dataset.i18nTitleKey);
  }
  for (const btn of document.querySelectorAll("[data-lang]")) {
    btn.setAttribute("aria-pressed", String(btn.dataset.lang === current));
  }
}

function locale() { return current === "de" ? "de-DE" : "en-GB"; }

function asDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "14:05" in Berlin time. */
export function formatTime(iso) {
  const d = asDate(iso);
  if (!d) return "–";
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit" }).format(d);
}

/** "14:05:30" in Berlin time (e.g. when a position was last sent). */
export function formatTimeSeconds(iso) {
  const d = asDate(iso);
  if (!d) return "–";
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(d);
}

/** "Di., 3. März, 14:05" (today: "heute, 14:05") in Berlin time. */
export function formatDateTime(iso) {
  const d = asDate(iso);
  if (!d) return "–";
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
  const today = day.format(new Date());
  const tomorrow = day.format(new Date(Date.now() + 86400000));
  const time = formatTime(d);
  if (day.format(d) === today) return `${t("common.today")}, ${time}`;
  if (day.format(d) === tomorrow) return `${t("common.tomorrow")}, ${time}`;
  const date = new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, weekday: "short", day: "numeric", month: "long" }).format(d);
  return `${date}, ${time}`;
}

/** Minutes from now until iso (negative when past), rounded. */
export function minutesUntil(iso) {
  const d = asDate(iso);
  return d ? Math.round((d.getTime() - Date.now()) / 60000) : null;
}

/** The current Berlin date and time as values for <input type="date"> and <input type="time">. */
export function berlinNowParts(offsetMinutes = 0) {
  const d = new Date(Date.now() + offsetMinutes * 60000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(d).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** Wire up buttons with data-lang="de|en" inside root as a language switch. */
export function languageSwitch(root = document) {
  for (const btn of root.querySelectorAll("[data-lang]")) {
    btn.addEventListener("click", () => setLanguage(btn.dataset.lang));
    btn.setAttribute("aria-pressed", String(btn.dataset.lang === current));
  }
}

// Texts shared by every page (pages add their own with addTranslations).
addTranslations({
  de: {
    "common.today": "heute",
    "common.tomorrow": "morgen",
    "common.login": "Anmelden",
    "common.logout": "Abmelden",
    "common.email": "E-Mail",
    "common.password": "Passwort",
    "common.name": "Name",
    "common.loading": "Wird geladen …",
    "common.close": "Schließen",
    "common.language": "Sprache",
    "common.retry": "Erneut versuchen",
    "common.skip": "Zum Inhalt springen",
    "common.logged_in_as": "Angemeldet als {name}",
    "map.label": "Karte",
    "map.zoom_in": "Karte vergrößern",
    "map.zoom_out": "Karte verkleinern",
    "map.loading": "Karte wird geladen …",
    "map.failed": "Die Karte konnte nicht geladen werden.",
    "map.synthetic": "Straßennetz: synthetisch (Demo)",
    "err.network": "Der Server ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
    "err.not_authenticated": "Bitte melden Sie sich (erneut) an.",
    "err.wrong_login": "E-Mail oder Passwort ist falsch.",
    "err.forbidden": "Dafür fehlt Ihrem Konto die Berechtigung.",
    "err.not_found": "Das wurde nicht gefunden.",
    "err.conflict": "Das geht gerade nicht: {message}",
    "err.invalid_request": "Bitte prüfen Sie Ihre Eingaben: {message}",
    "err.internal_error": "Auf dem Server ist ein Fehler aufgetreten. Bitte versuchen Sie es gleich noch einmal.",
    "err.too_many_requests": "Zu viele Anfragen. Bitte warten Sie einen Moment.",
    "err.generic": "Das hat nicht geklappt: {message}",
    "err.outside_service_area": "Dieser Ort liegt außerhalb des Bediengebiets.",
    "err.unknown_stop": "Diese Haltestelle gibt es nicht (mehr). Bitte wählen Sie eine andere.",
    "err.in_the_past": "Dieser Zeitpunkt liegt in der Vergangenheit. Bitte wählen Sie eine spätere Zeit.",
    "err.offer_expired": "Das Angebot ist abgelaufen. Bitte fragen Sie neu an.",
    "err.offer_unknown": "Das Angebot ist nicht mehr gültig. Bitte fragen Sie neu an.",
    "err.offer_no_longer_available": "Dieses Angebot ist inzwischen vergeben. Bitte fragen Sie neu an.",
    "err.offer_already_booked": "Dieses Angebot wurde schon gebucht.",
    "err.max_active_bookings": "Sie haben schon die höchste Zahl offener Buchungen.",
    "err.no_shift": "Sie haben gerade keine laufende Schicht.",
    "err.shift_over": "Diese Schicht ist schon vorbei.",
    "err.too_early": "Diese Schicht kann noch nicht begonnen werden: {message}",
    "err.taken": "Diese Schicht fährt schon jemand anderes.",
    "err.assigned_to_another_driver": "Diese Schicht ist für eine andere Person geplant. Bitte wenden Sie sich an die Disposition.",
    "err.not_on_route": "Diese Fahrt ist nicht (mehr) auf Ihrer Route. Die Route wird neu geladen.",
  },
  en: {
    "common.today": "today",
    "common.tomorrow": "tomorrow",
    "common.login": "Log in",
    "common.logout": "Log out",
    "common.email": "E-mail",
    "common.password": "Password",
    "common.name": "Name",
    "common.loading": "Loading …",
    "common.close": "Close",
    "common.language": "Language",
    "common.retry": "Try again",
    "common.skip": "Skip to content",
    "common.logged_in_as": "Logged in as {name}",
    "map.label": "Map",
    "map.zoom_in": "Zoom in",
    "map.zoom_out": "Zoom out",
    "map.loading": "Loading map …",
    "map.failed": "The map could not be loaded.",
    "map.synthetic": "Road network: synthetic (demo)",
    "err.network": "The server cannot be reached. Please check your connection and try again.",
    "err.not_authenticated": "Please log in (again).",
    "err.wrong_login": "E-mail or password is wrong.",
    "err.forbidden": "Your account is not allowed to do that.",
    "err.not_found": "That was not found.",
    "err.conflict": "That is not possible right now: {message}",
    "err.invalid_request": "Please check what you entered: {message}",
    "err.internal_error": "The server ran into an error. Please try again in a moment.",
    "err.too_many_requests": "Too many requests. Please wait a moment.",
    "err.generic": "That did not work: {message}",
    "err.outside_service_area": "This place is outside the service area.",
    "err.unknown_stop": "This stop does not exist (any more). Please choose another one.",
    "err.in_the_past": "This time has already passed. Please choose a later time.",
    "err.offer_expired": "The offer has expired. Please ask again.",
    "err.offer_unknown": "The offer is no longer valid. Please ask again.",
    "err.offer_no_longer_available": "This offer has been taken meanwhile. Please ask again.",
    "err.offer_already_booked": "This offer has already been booked.",
    "err.max_active_bookings": "You already have the largest number of open bookings.",
    "err.no_shift": "You have no running shift.",
    "err.shift_over": "This shift is over already.",
    "err.too_early": "This shift cannot be started yet: {message}",
    "err.taken": "Somebody else is already driving this shift.",
    "err.assigned_to_another_driver": "This shift is planned for someone else. Please ask the dispatcher.",
    "err.not_on_route": "This ride is not (or no longer) on your route. The route is reloaded.",
  },
});
