// Translations: German first, English as a switch (kept in localStorage, <html lang> follows).
//
//   import { t, addTranslations, setLanguage, getLanguage, applyTranslations,
//            formatTime, formatTimeSeconds, formatDateTime, onLanguageChange, languageSwitch } from "/static/js/i18n.js";
//
// The texts live in i18n/<page>.js (plain data: {de: {...}, en: {...}}); a page adds its own with
// addTranslations(texts), the shared ones (i18n/common.js) are added here.
//
// t("key", {name: "x"}) replaces {name} in the text; a missing key falls back to German, then to
// the key itself. applyTranslations(root) fills elements with data-i18n (text), data-i18n-html
// is not supported on purpose (no HTML from translations), data-i18n-placeholder,
// data-i18n-aria-label and data-i18n-title.

import commonTexts from "/static/js/i18n/common.js";

const STORAGE_KEY = "ride_pool.lang";
export const LANGUAGES = ["de", "en"];
export const TIME_ZONE = "Europe/Berlin";

const dictionaries = { de: {}, en: {} };
addTranslations(commonTexts);
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

/** The day part of formatDateTime: "Di., 3. März" (today: "heute"). */
export function formatDay(iso) {
  return formatDateTime(iso).replace(/,\s*[^,]*$/, "");
}

/** Minutes from now until iso (negative when past), rounded. */
export function minutesUntil(iso) {
  const d = asDate(iso);
  return d ? Math.round((d.getTime() - Date.now()) / 60000) : null;
}

/** A span of minutes in words: "8 Std. 12 Min." / "8 h 12 min", "2 Tage 3 Std." (not "492 Min."). */
export function durationWords(minutes) {
  const total = Math.max(0, Math.round(Number(minutes) || 0));
  const days = Math.floor(total / 1440), hours = Math.floor((total % 1440) / 60), mins = total % 60;
  const parts = [];
  if (days) parts.push(t(days === 1 ? "duration.day" : "duration.days", { n: days }));
  if (hours) parts.push(t("duration.hours", { n: hours }));
  if (mins || !parts.length) parts.push(t("duration.minutes", { n: mins }));
  return parts.slice(0, 2).join(" ");
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
