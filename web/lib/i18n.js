// The console's strings: one set of message files, web/_locales/<locale>/messages.json (Chrome's
// format), read two ways.
//
//   - In the extension, chrome.i18n (the build copies web/_locales to the extension's root and the
//     manifest says default_locale "en"): Chrome picks the browser's UI language.
//   - On the plain web page (no chrome.i18n), or when the page's URL has ?lang=xx (tests, and a
//     merchant who wants another language than the browser's), the same files are fetched:
//     English first, then the chosen locale over it (a key missing there falls back to English, as
//     in Chrome).
//
// initI18n() must be awaited once before anything calls t(); then t() is synchronous. Messages
// use Chrome's substitutions: $1 … $9 in the message text (or named placeholders whose content is
// $1 …), $$ for a dollar sign.

/** Locales with message files (web/_locales/<name>/messages.json). */
export const LOCALES = ['en', 'ar'];
const RTL = new Set(['ar', 'he', 'fa', 'ur']);

/** @type {Record<string, string>|null} fetched messages (null: chrome.i18n answers) */
let table = null;
let locale = 'en';

/** @returns {any} */
function chromeI18n() {
  const c = /** @type {any} */ (globalThis).chrome;
  return c?.i18n?.getMessage ? c.i18n : null;
}

/**
 * The best of LOCALES for a list of language tags ('ar-EG' → 'ar'); 'en' when none fits.
 * @param {readonly string[]} tags
 */
export function pickLocale(tags) {
  for (const tag of tags) {
    const base = String(tag || '').toLowerCase().split(/[-_]/)[0];
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

/**
 * Chrome's messages.json → key (lowercase, as Chrome matches keys) → message text with named
 * placeholders already replaced by their content.
 * @param {Record<string, {message: string, placeholders?: Record<string, {content: string}>}>} json
 */
export function compileMessages(json) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [key, m] of Object.entries(json)) {
    let text = String(m.message);
    const ph = m.placeholders ?? {};
    text = text.replace(/\$([A-Za-z0-9_@]+)\$/g, (all, name) => {
      const p = Object.entries(ph).find(([n]) => n.toLowerCase() === name.toLowerCase());
      return p ? p[1].content : all;
    });
    out[key.toLowerCase()] = text;
  }
  return out;
}

/**
 * Substitutes $1 … $9 (and $$) as chrome.i18n.getMessage does.
 * @param {string} text @param {readonly unknown[]} subs
 */
export function substitute(text, subs) {
  return text.replace(/\$(\$|[1-9])/g, (all, d) => (d === '$' ? '$' : subs[Number(d) - 1] === undefined ? '' : String(subs[Number(d) - 1])));
}

/** @param {string} loc */
async function fetchMessages(loc) {
  const c = /** @type {any} */ (globalThis).chrome;
  const url = c?.runtime?.getURL ? c.runtime.getURL(`_locales/${loc}/messages.json`) : new URL(`../_locales/${loc}/messages.json`, import.meta.url).href;
  const r = await fetch(url);
  if (!r.ok) throw new Error(`messages for ${loc}: HTTP ${r.status}`);
  return compileMessages(await r.json());
}

/**
 * Loads the strings and sets <html lang dir>. The locale: ?lang= in the page's URL when it names
 * one of LOCALES; else chrome.i18n's (the extension); else the browser's languages.
 * @param {{lang?: string|null}} [opts]
 */
export async function initI18n(opts = {}) {
  const asked = opts.lang ?? (typeof location !== 'undefined' ? new URLSearchParams(location.search).get('lang') : null);
  const i18n = chromeI18n();
  if (asked && LOCALES.includes(asked.toLowerCase())) {
    locale = asked.toLowerCase();
  } else if (i18n) {
    table = null;
    // the locale of the messages Chrome chose (each messages.json names its own: with --lang=ar
    // Chromium 156 answers Arabic messages while @@ui_locale still says en_US)
    locale = pickLocale([i18n.getMessage('locale_code'), i18n.getMessage('@@ui_locale')]);
    applyDocument();
    return locale;
  } else {
    locale = pickLocale(typeof navigator !== 'undefined' ? (navigator.languages?.length ? navigator.languages : [navigator.language]) : []);
  }
  const en = await fetchMessages('en');
  table = locale === 'en' ? en : { ...en, ...(await fetchMessages(locale).catch(() => ({}))) };
  applyDocument();
  return locale;
}

function applyDocument() {
  if (typeof document === 'undefined') return;
  document.documentElement.lang = locale;
  document.documentElement.dir = dir();
}

/** The locale in use ('en', 'ar'). */
export function currentLocale() {
  return locale;
}

/** 'rtl' or 'ltr' for the locale in use (chrome.i18n's @@bidi_dir in the extension). */
export function dir() {
  const i18n = chromeI18n();
  // @@bidi_dir is Chrome's own; locale_dir is the chosen messages' (see initI18n)
  if (!table && i18n) return i18n.getMessage('@@bidi_dir') === 'rtl' || i18n.getMessage('locale_dir') === 'rtl' ? 'rtl' : 'ltr';
  return RTL.has(locale) ? 'rtl' : 'ltr';
}

/**
 * The message for key with $1 … $9 substituted; the key itself when there is none (so a
 * missing string shows, and a test catches it). In a right-to-left locale each substitution is
 * a first-strong isolate (U+2068 … U+2069): "12.50 USD" or an address inside an Arabic sentence
 * keeps its own order, also where the text lands in a button or an attribute, not an element.
 * @param {string} key @param {...(string|number)} subs
 */
export function t(key, ...subs) {
  return message(key, dir() === 'rtl' ? subs.map((s) => `\u2068${s}\u2069`) : subs);
}

/** @param {string} key @param {readonly (string|number)[]} subs */
function message(key, subs) {
  if (key === '@@bidi_dir') return dir();
  if (key === '@@ui_locale') return locale;
  if (!table) {
    const i18n = chromeI18n();
    if (i18n) {
      const m = i18n.getMessage(key, subs.map(String));
      if (m) return m;
    }
    return key;
  }
  const m = table[key.toLowerCase()];
  return m === undefined ? key : substitute(m, subs);
}

/**
 * The message for key as parts, with subs (text or DOM nodes, e.g. an amount in a <bdi dir=ltr>)
 * put where $1 … $9 stand: for h()'s children, so an id or an amount inside a sentence keeps its
 * own element and direction.
 * @template T
 * @param {string} key @param {...T} subs
 * @returns {(string|T)[]}
 */
export function tParts(key, ...subs) {
  // the message with a marker in place of each substitution, then split at the markers
  const marks = subs.map((_, i) => String.fromCharCode(0xE000 + i));
  const text = message(key, marks);
  /** @type {(string|T)[]} */
  const out = [];
  let buf = '';
  for (const ch of text) {
    const i = ch.charCodeAt(0) - 0xE000;
    if (i >= 0 && i < subs.length) {
      if (buf) out.push(buf);
      buf = '';
      out.push(subs[i]);
    } else buf += ch;
  }
  if (buf) out.push(buf);
  return out;
}

/**
 * Uses a messages.json already read (node's unit tests, which have no fetch of files): the
 * same table initI18n() would build.
 * @param {Record<string, {message: string}>} json @param {string} [loc]
 */
export function useMessages(json, loc = 'en') {
  table = compileMessages(json);
  locale = loc;
}
