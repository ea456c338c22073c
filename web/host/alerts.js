// Paid alerts: which payments of each store are watched, what a tick of the watch does, and the
// words of a "Paid" notification. Host-neutral (node tests run it); the extension's worker drives
// it from chrome.alarms and shows what it finds with chrome.notifications and the badge
// (extension/alerts.js).
//
// Local store:
//   wk.watch.<store id>     {since, open: {txn: entry}, done: [txn…], cursor?}: payments still open
//                           (created in the console, or found in the history since `since`), the
//                           ones already told about (never told twice), and for a gateway store
//                           where its event log was read up to
//   wk.alerts.settings      {<store id>: {muted: true}}: per store
//   wk.alerts.unseen        [{store, storeName, txn, text, at}]: paid payments not opened yet (the badge)
//   wk.alerts.lastTick      {at, stores: {<store id>: {checked, paid, error?}}}: what the last tick did
//
// Whether a payment is paid, failed or pending is core's rule (paymentState, generated from Go
// into codes.gen.js): never decided here.

import { paymentState } from '../lib/status.js';
import { displayAmount } from '../lib/money.js';

export const WATCH_PREFIX = 'wk.watch.';
export const K_ALERT_SETTINGS = 'wk.alerts.settings';
export const K_UNSEEN = 'wk.alerts.unseen';
export const K_LAST_TICK = 'wk.alerts.lastTick';
/** get_tx_info_multi takes at most 25 ids (spec §7.2). */
export const MULTI_MAX = 25;
/** A payment still open after this long is no longer watched (the API expires payments long before). */
const WATCH_MAX_MS = 48 * 3600e3;
/** How many told-about ids a store keeps, so the history scan never tells twice. */
const DONE_MAX = 500;

/**
 * @typedef {object} WatchEntry
 * @property {string} txn
 * @property {number} at          when it was created or found (Unix ms)
 * @property {string} [price]     the price, in currency1 (exact decimal text)
 * @property {string} [currency1]
 * @property {string} [amount]    what the buyer pays, in coin
 * @property {string} [coin]
 * @property {string} [item]
 */

/** @typedef {{since: number, open: Record<string, WatchEntry>, done: string[], cursor?: string}} Watch */

/** @param {import('./kv.js').KV} kv @param {string} store @returns {Promise<Watch>} */
export async function loadWatch(kv, store) {
  const w = await kv.get(WATCH_PREFIX + store);
  return {
    since: Number(w?.since) || Date.now(),
    open: w?.open && typeof w.open === 'object' ? w.open : {},
    done: Array.isArray(w?.done) ? w.done : [],
    cursor: typeof w?.cursor === 'string' ? w.cursor : undefined,
  };
}

/**
 * Watches a payment the console just created.
 * @param {import('./kv.js').KV} kv @param {string} store @param {WatchEntry} e
 */
export async function watchPayment(kv, store, e) {
  const w = await loadWatch(kv, store);
  if (!w.done.includes(e.txn)) w.open[e.txn] = { ...e };
  await kv.set(WATCH_PREFIX + store, w);
}

/** The entry of a payment from its full info (txInfo(txid, true)). @param {string} txn @param {any} info */
export function entryFromInfo(txn, info) {
  const ck = info?.checkout && typeof info.checkout === 'object' ? info.checkout : {};
  /** @type {WatchEntry} */
  const e = { txn, at: Date.parse(info?.time_created) || Date.now() };
  if (ck.amountf) e.price = String(ck.amountf);
  if (ck.currency) e.currency1 = String(ck.currency);
  if (info?.amount) e.amount = String(info.amount);
  if (info?.coin) e.coin = String(info.coin);
  if (ck.item_name) e.item = String(ck.item_name);
  return e;
}

/**
 * "Paid: 12.50 USD — 0.16 LTCT — Blue mug": the price, what was paid in coin, the item.
 * @param {WatchEntry} e @param {any} [info]  the payment's latest info (its amount and coin win)
 */
export function paidText(e, info) {
  const parts = [];
  if (e.price && e.currency1) parts.push(`${displayAmount(e.price, { group: false })} ${e.currency1}`);
  const amount = info?.amount ?? e.amount;
  const coin = info?.coin ?? e.coin;
  if (amount && coin && coin !== e.currency1) parts.push(`${displayAmount(amount, { minDecimals: 0, group: false })} ${coin}`);
  if (e.item) parts.push(e.item);
  return `Paid: ${parts.join(' — ') || e.txn}`;
}

/** @template T @param {T[]} list @param {number} n @returns {T[][]} */
function chunks(list, n) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

/**
 * One tick of the watch, for every store connected in this browser session and not muted: look
 * for payments created elsewhere since the last tick (get_tx_ids), then ask for every open one
 * in calls of at most 25 ids (get_tx_info_multi). A payment core calls paid is told about once
 * (notify) and counted unseen; a failed one is dropped. A store that cannot be asked (locked, a
 * network error) is skipped and tried again next tick.
 * @param {object} o
 * @param {{sessionStores: () => Promise<{stores: Record<string, {name?: string, mode?: string}>}>, invoke: (m: string, a: unknown[], store: string) => Promise<any>, gatewayEvents?: (store: string, after: string) => Promise<{events: any[], next_cursor: string, has_more: boolean}|null>}} o.account
 * @param {import('./kv.js').KV} o.kv          the local store
 * @param {(n: {store: string, storeName: string, txn: string, text: string}) => Promise<void>} o.notify
 * @param {() => number} [o.now]
 * @param {string} [o.quiet]   this store only, and without telling: what was paid while its alerts were off is not news
 * @returns {Promise<{stores: Record<string, {checked: number, paid: number, error?: string}>}>}
 */
export async function watchTick(o) {
  const now = o.now ?? Date.now;
  const settings = (await o.kv.get(K_ALERT_SETTINGS)) ?? {};
  const { stores } = await o.account.sessionStores();
  /** @type {Record<string, {checked: number, paid: number, error?: string}>} */
  const report = {};
  for (const [store, cfg] of Object.entries(stores)) {
    if (o.quiet ? store !== o.quiet : settings[store]?.muted) continue;
    const r = (report[store] = { checked: 0, paid: 0 });
    const w = await loadWatch(o.kv, store);
    const started = now();
    try {
      if (cfg?.mode === 'gateway' && o.account.gatewayEvents) {
        // Through a gateway: its event log (the IPNs it took, core's paid rule applied) instead of
        // asking the API about each open payment.
        await gatewayTick(o, store, cfg, w, r);
      } else {
        // payments created elsewhere (a checkout, the CLI) since the last tick, a minute of overlap
        const ids = await o.account.invoke('txIds', [{ limit: MULTI_MAX, newer: Math.floor((w.since - 60_000) / 1000) }], store);
        for (const txn of ids) {
          if (w.open[txn] || w.done.includes(txn)) continue;
          const info = await o.account.invoke('txInfo', [txn, true], store);
          const e = entryFromInfo(txn, info);
          if (e.at < w.since - 60_000) continue; // older than the watch: not news
          w.open[txn] = e;
        }
        const open = Object.keys(w.open);
        for (const batch of chunks(open, MULTI_MAX)) {
          const res = await o.account.invoke('txInfoMulti', [batch], store);
          for (const txn of batch) {
            const info = res?.[txn]?.info;
            if (!info) continue; // asked again next tick
            r.checked++;
            const state = paymentState(Number(info.status));
            if (state === 'pending') {
              if (now() - (w.open[txn].at || 0) > WATCH_MAX_MS) delete w.open[txn];
              continue;
            }
            const e = w.open[txn];
            delete w.open[txn];
            w.done = [...w.done, txn].slice(-DONE_MAX);
            if (state === 'paid') {
              r.paid++;
              if (!o.quiet) await o.notify({ store, storeName: cfg?.name ?? '', txn, text: paidText(e, info) });
            }
          }
        }
      }
      w.since = started;
    } catch (e) {
      r.error = String(/** @type {any} */ (e)?.message ?? e);
    }
    // the watch list may have grown meanwhile (a payment created during the tick): merge
    const latest = await loadWatch(o.kv, store);
    for (const [txn, e] of Object.entries(latest.open)) if (!w.done.includes(txn) && !(txn in w.open)) w.open[txn] = e;
    await o.kv.set(WATCH_PREFIX + store, w);
  }
  if (!o.quiet) await o.kv.set(K_LAST_TICK, { at: now(), stores: report });
  return { stores: report };
}

/** How many pages of a gateway's event log one tick reads at most (100 events a page). */
const EVENT_PAGES_MAX = 20;

/**
 * One tick for a gateway store: reads the gateway's event log from where the last tick stopped
 * (w.cursor). A payment event the gateway marks paid (core's rule, applied by the gateway) is
 * told about once; a failed one stops the watch of its payment. On the first tick, events from
 * before the watch began are not news.
 * @param {{account: any, notify: (n: {store: string, storeName: string, txn: string, text: string}) => Promise<void>, quiet?: string}} o
 * @param {string} store @param {any} cfg @param {Watch} w @param {{checked: number, paid: number}} r
 */
async function gatewayTick(o, store, cfg, w, r) {
  let after = w.cursor ?? '0';
  for (let page = 0; page < EVENT_PAGES_MAX; page++) {
    const got = await o.account.gatewayEvents(store, after);
    if (!got) return; // not connected any more
    for (const ev of got.events) {
      const txn = typeof ev?.txn_id === 'string' ? ev.txn_id : '';
      if (!txn || ev.type !== 'api' || w.done.includes(txn)) continue;
      const receivedMs = Number(ev.received_at) * 1000;
      if (!w.open[txn] && receivedMs < w.since - 60_000) continue; // older than the watch: not news
      r.checked++;
      const state = ev.paid === true ? 'paid' : paymentState(Number(ev.status));
      if (state === 'pending') continue;
      const f = ev.fields && typeof ev.fields === 'object' ? ev.fields : {};
      /** @type {WatchEntry} */
      const e = w.open[txn] ?? { txn, at: receivedMs || Date.now() };
      if (!e.price && f.amount1 && f.currency1) { e.price = String(f.amount1); e.currency1 = String(f.currency1); }
      if (!e.item && f.item_name) e.item = String(f.item_name);
      delete w.open[txn];
      w.done = [...w.done, txn].slice(-DONE_MAX);
      if (state === 'paid') {
        r.paid++;
        const info = f.amount2 && f.currency2 ? { amount: String(f.amount2), coin: String(f.currency2) } : undefined;
        if (!o.quiet) await o.notify({ store, storeName: cfg?.name ?? '', txn, text: paidText(e, info) });
      }
    }
    after = got.next_cursor;
    w.cursor = after;
    if (!got.has_more) return;
  }
}

/** @param {import('./kv.js').KV} kv @returns {Promise<{store: string, storeName: string, txn: string, text: string, at: number}[]>} */
export async function unseen(kv) {
  const u = await kv.get(K_UNSEEN);
  return Array.isArray(u) ? u : [];
}

/** Marks payments as seen (all of a store's when txn is omitted). @param {import('./kv.js').KV} kv @param {string} store @param {string} [txn] */
export async function markSeen(kv, store, txn) {
  const u = (await unseen(kv)).filter((x) => !(x.store === store && (!txn || x.txn === txn)));
  await kv.set(K_UNSEEN, u);
  return u;
}

/** @param {import('./kv.js').KV} kv @param {string} store */
export async function alertSettings(kv, store) {
  const s = (await kv.get(K_ALERT_SETTINGS)) ?? {};
  return { muted: Boolean(s[store]?.muted) };
}

/** @param {import('./kv.js').KV} kv @param {string} store @param {{muted: boolean}} v */
export async function setAlertSettings(kv, store, v) {
  const s = (await kv.get(K_ALERT_SETTINGS)) ?? {};
  s[store] = { muted: Boolean(v.muted) };
  await kv.set(K_ALERT_SETTINGS, s);
  return { muted: Boolean(v.muted) };
}
