// Small shared UI pieces: labelled fields, error boxes, busy buttons, tables, copy buttons.

import { h, replace, uid } from './dom.js';
import { describeError } from './lib/errors.js';
import { t, currentLocale } from './lib/i18n.js';

/**
 * @typedef {object} FieldOpts
 * @property {string} label
 * @property {string} name
 * @property {string} [type]           input type, 'select', 'textarea' or 'checkbox'
 * @property {string} [value]
 * @property {boolean} [checked]
 * @property {boolean} [required]
 * @property {string} [hint]
 * @property {string} [autocomplete]
 * @property {string} [placeholder]
 * @property {string} [inputmode]
 * @property {{value: string, label: string}[]} [options]
 * @property {Record<string, unknown>} [attrs]
 */

/**
 * A labelled control with an optional hint and an error slot, both wired with aria-describedby.
 * @param {FieldOpts} o
 * @returns {{wrap: HTMLElement, input: HTMLInputElement & HTMLSelectElement & HTMLTextAreaElement, error: HTMLElement}}
 */
export function field(o) {
  const id = uid(`f-${o.name}`);
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy = [o.hint ? hintId : '', errId].filter(Boolean).join(' ');
  /** @type {any} */
  let input;
  const common = { id, name: o.name, required: o.required, 'aria-describedby': describedBy, autocomplete: o.autocomplete, ...(o.attrs ?? {}) };
  if (o.type === 'select') {
    // dir=auto: a list of coins ("USD — United States Dollar") reads left to right and is cut at
    // its end, not its start, in a right-to-left page; a list of Arabic words stays right to left
    input = h('select', { dir: 'auto', ...common }, (o.options ?? []).map((op) => h('option', { value: op.value, selected: op.value === o.value }, op.label)));
  } else if (o.type === 'textarea') {
    input = h('textarea', { ...common, placeholder: o.placeholder }, o.value ?? '');
  } else if (o.type === 'checkbox') {
    input = h('input', { ...common, type: 'checkbox', checked: Boolean(o.checked) });
  } else {
    input = h('input', { ...common, type: o.type ?? 'text', value: o.value ?? '', placeholder: o.placeholder, inputmode: o.inputmode, spellcheck: 'false' });
  }
  // dir=auto: a message from the core (English) reads left to right inside a right-to-left page
  const error = h('p', { id: errId, class: 'field-error', dir: 'auto', hidden: true });
  const hint = o.hint ? h('p', { id: hintId, class: 'hint' }, o.hint) : null;
  const label = h('label', { for: id }, o.label);
  const wrap = o.type === 'checkbox'
    ? h('div', { class: 'field checkbox' }, input, label, hint, error)
    : h('div', { class: 'field' }, label, input, hint, error);
  return { wrap, input, error };
}

/**
 * Shows (or clears, with '') an error under a field and marks it invalid.
 * @param {{input: HTMLElement, error: HTMLElement}} f @param {string} message
 */
export function setFieldError(f, message) {
  f.error.textContent = message;
  f.error.hidden = !message;
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

/**
 * An error box (role=alert) for a bridge error.
 * @param {unknown} err
 * @param {{actions?: HTMLElement[], hint?: string}} [opts]  hint: what to do, in place of the code's general advice
 */
export function errorBox(err, opts = {}) {
  const d = describeError(err);
  if (opts.hint) d.hint = opts.hint;
  const detail = d.detail ? h('p', { class: 'notice-detail', dir: 'auto' }, d.detail) : null;
  // The core's own message for these codes is for whoever debugs it (an HTTP status, a socket
  // error, in English): the title and the advice say what it means and what to do, and the
  // message waits under "Technical details". Others (an API's refusal, a field's problem) are
  // the point of the box and stay in view.
  const technical = detail && d.hint && (TECHNICAL.includes(d.code) || d.technical);
  // tabindex=-1: a flow that ends in an error moves focus here (not to the top of the page)
  return h('div', { class: `notice error code-${d.code}`, role: 'alert', 'data-code': d.code, tabindex: '-1' },
    h('p', { class: 'notice-title' }, h('strong', null, d.title)),
    technical ? null : detail,
    d.hint ? h('p', { class: 'notice-hint' }, d.hint) : null,
    opts.actions?.length ? h('div', { class: 'actions' }, opts.actions) : null,
    technical ? h('details', { class: 'notice-more' }, h('summary', null, t('ui_technical_details')), detail) : null);
}

/** Codes whose message is technical (see errorBox). */
const TECHNICAL = ['outcome_unknown', 'transport', 'timeout', 'internal'];

/** @param {string} text @param {'ok'|'info'|'warn'} [kind] */
export function notice(text, kind = 'info') {
  return h('div', { class: `notice ${kind}`, role: kind === 'warn' ? 'alert' : 'status', tabindex: '-1' }, text);
}

/**
 * Moves keyboard focus to el (made focusable with tabindex=-1 when it is not), so focus never
 * falls back to the top of the page when the control that had it goes away.
 * @param {Element|null|undefined} el
 */
export function focusOn(el) {
  if (!(el instanceof HTMLElement)) return;
  if (!el.hasAttribute('tabindex') && !el.matches('a[href],button,input,select,textarea')) el.setAttribute('tabindex', '-1');
  el.focus();
}

/**
 * Runs fn while the button shows as busy (disabled, aria-busy). Returns fn's result.
 * @template T
 * @param {HTMLButtonElement} button @param {() => Promise<T>} fn @param {string} [busyText]
 * @returns {Promise<T>}
 */
export async function busy(button, fn, busyText) {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (busyText) button.textContent = busyText;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (busyText) button.textContent = old;
  }
}

/**
 * A data table with a caption and header cells.
 * @param {{caption: string, columns: {label: string, num?: boolean}[], rows: (string|Node)[][], empty?: string, captionHidden?: boolean}} o
 */
export function table(o) {
  // numeric cells read left to right in every direction (ltr below)
  if (!o.rows.length && o.empty) return h('p', { class: 'empty' }, o.empty);
  // Under 520 px the CSS lays each row out as label: value lines (data-label), so no cell is cut
  // off. Wider, a table wider than its place scrolls inside its wrapper, which then becomes a
  // region named by the caption that a keyboard can focus (tabindex=0) and scroll; a table that
  // fits adds no tab stop.
  const tableEl = h('table', null,
    h('caption', { class: o.captionHidden ? 'visually-hidden' : undefined }, o.caption),
    h('thead', null, h('tr', null, o.columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label)))),
    h('tbody', null, o.rows.map((r) => h('tr', null, r.map((cell, i) => h('td', { class: o.columns[i]?.num ? 'num' : undefined, 'data-label': o.columns[i]?.label ?? '' }, o.columns[i]?.num && typeof cell === 'string' ? ltr(cell) : cell))))));
  const wrap = h('div', { class: 'table-wrap' }, tableEl);
  const mark = () => {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      wrap.setAttribute('role', 'region');
      wrap.setAttribute('tabindex', '0');
      wrap.setAttribute('aria-label', o.caption);
    } else {
      for (const a of ['role', 'tabindex', 'aria-label']) wrap.removeAttribute(a);
    }
  };
  if (typeof ResizeObserver !== 'undefined') {
    const ro = new ResizeObserver(mark);
    ro.observe(wrap);
    ro.observe(tableEl);
  }
  return wrap;
}

/**
 * A button that copies text and says so in a live region.
 * @param {() => string} get @param {string} label @param {(msg: string) => void} announce
 */
export function copyButton(get, label, announce) {
  const b = h('button', { type: 'button', class: 'secondary' }, label);
  b.addEventListener('click', async () => {
    const text = get();
    try {
      await navigator.clipboard.writeText(text);
      announce(t('ui_copied'));
    } catch {
      announce(t('ui_copy_failed'));
    }
  });
  return b;
}

/** Definition list from pairs. @param {[string, string|Node][]} pairs */
export function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

/** A section heading that takes focus on navigation. @param {string} text */
export function screenHeading(text) {
  return h('h2', { tabindex: '-1', class: 'screen-title' }, text);
}

/**
 * Text that must read left to right whatever the page's direction (an amount, an address, an
 * id, a URL): isolated in a <bdi dir="ltr">, so its digits and characters never flip in RTL.
 * @param {string|Node} text @param {string} [cls]
 */
export function ltr(text, cls) {
  return h('bdi', { dir: 'ltr', class: cls }, text);
}

/** @param {HTMLElement} el @param {string} text */
export function say(el, text) {
  replace(el, text);
}

/** Milliseconds for unix seconds or an ISO time; 0 when unreadable. @param {unknown} t */
export function toMs(t) {
  if (t === undefined || t === null || t === '') return 0;
  const ms = typeof t === 'number' || /^\d+$/.test(String(t)) ? Number(t) * 1000 : Date.parse(String(t));
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** Local time for unix seconds or an ISO string. @param {unknown} t */
export function formatTime(t) {
  if (t === undefined || t === null || t === '') return '';
  const ms = toMs(t);
  if (!ms) return String(t);
  const d = new Date(ms);
  return d.toLocaleString(dateLocale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** The locale for dates: the console's, with Latin digits like the amounts beside them (the browser's own for English). */
export function dateLocale() {
  return currentLocale() === 'en' ? undefined : `${currentLocale()}-u-nu-latn`;
}

/** "4 min 05 s" for a number of seconds. @param {number} s */
export function formatDuration(s) {
  if (s <= 0) return t('dur_s', 0);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = Math.floor(s % 60);
  if (hh) return t('dur_h_min', hh, String(mm).padStart(2, '0'));
  if (mm) return t('dur_min_s', mm, String(ss).padStart(2, '0'));
  return t('dur_s', ss);
}

/** Whether this connection has nonces turned off (Connect → Advanced): then no money leaves. @param {{session: import('./backend.js').SessionState|null}} ctx */
export function noncesOff(ctx) {
  return ctx.session?.mode === 'keys' && ctx.session.nonces === false;
}

/** Why money needs nonces in a browser, in the merchant's words (also the Advanced hint). */
export function noncesWhy() { return t('nonces_why'); }

/**
 * While nonces are off (Connect → Advanced), screens that move money say that they send
 * nothing, why, and how to turn nonces on.
 * @param {{session: import('./backend.js').SessionState|null}} ctx
 */
export function noNonceWarning(ctx) {
  if (!noncesOff(ctx)) return null;
  return h('div', { class: 'notice warn', role: 'note', 'data-notice': 'nonces-off' },
    h('p', null, h('strong', null, t('nonces_off_title'))),
    h('p', null, `${noncesWhy()} ${t('nonces_off_still')}`),
    h('p', null, t('nonces_off_how')));
}
