// English and Spanish. Strings live in i18n/<lang>/<area>.json, one file per area so each part of
// the app keeps its own; a missing Spanish string falls back to English, never to the key.

const AREAS = ["common", "participant", "coordinator", "clinician"];
export const LANGUAGES = ["en", "es"];
const STORE_KEY = "tandem.language"; // a preference, not a secret: localStorage is fine for it

let current = "en";
const tables = { en: {}, es: {} };

async function load(lang) {
  if (Object.keys(tables[lang]).length) return;
  const parts = await Promise.all(AREAS.map(async (area) => {
    const reply = await fetch(`i18n/${lang}/${area}.json`, { cache: "no-cache" });
    return reply.ok ? [area, await reply.json()] : [area, {}];
  }));
  for (const [area, strings] of parts) {
    for (const [key, text] of Object.entries(strings)) tables[lang][`${area}.${key}`] = text;
  }
}

export function language() { return current; }

/** The language to start in: the saved choice, else the browser's, else English. */
export function initialLanguage() {
  const saved = localStorage.getItem(STORE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(browser) ? browser : "en";
}

export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = "en";
  await Promise.all([load("en"), load(lang)]);
  current = lang;
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
  translateStatic(document);
}

/** t("participant.week_title", {week: "2026-W49"}) */
export function t(key, vars = {}) {
  const text = tables[current][key] ?? tables.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Elements of the static page carry data-i18n (text) or data-i18n-aria-label. */
export function translateStatic(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
}

function locale() { return current === "es" ? "es-US" : "en-US"; }

/** "Mon, Dec 7, 6:00 PM" in the person's own zone. */
export function dateTime(iso, zone) {
  return new Intl.DateTimeFormat(locale(), { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: zone }).format(new Date(iso));
}

export function time(iso, zone) {
  return new Intl.DateTimeFormat(locale(), { hour: "numeric", minute: "2-digit", timeZone: zone }).format(new Date(iso));
}

export function day(iso, zone) {
  return new Intl.DateTimeFormat(locale(), { weekday: "long", month: "long", day: "numeric", timeZone: zone }).format(new Date(iso));
}

/** A decimal string of dollars ("12.50") as "$12.50". The API's amounts are exact decimals;
 * they are shown, never added up here. */
export function money(amount) {
  const [whole, cents = ""] = String(amount).split(".");
  const grouped = Number(whole).toLocaleString(locale());
  return `$${grouped}.${(cents + "00").slice(0, 2)}`;
}
