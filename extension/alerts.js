// Paid alerts in the extension's service worker: a chrome.alarms alarm wakes the worker (also
// after Chrome stopped it) and runs one tick of the watch (web/host/alerts.js); a payment core
// calls paid becomes a notification ("Paid: 12.50 USD — 0.16 LTCT — Blue mug") and counts in the
// badge until it is opened; clicking the notification opens the payment in a tab.
//
// The alarm fires every 30 s, Chrome's minimum for a packed extension (wk.tuning.watchPeriodMs
// may ask for less in tests: an unpacked extension is allowed 1 s). It is armed while a store is
// connected in this browser session, and cleared when none is.

import { watchTick, watchPayment, unseen, markSeen, alertSettings, setAlertSettings, K_UNSEEN } from '../web/host/alerts.js';
import { K_TUNING } from '../web/host/storage.js';

const ALARM = 'wk.watch';
const PERIOD_MIN = 0.5; // 30 s
const NOTIFY_PREFIX = 'wk.paid:';

/**
 * @param {{account: import('../web/host/account.js').Account, localKV: import('../web/host/kv.js').KV, locks: ReturnType<typeof import('../web/host/locks.js').lockManager>}} o
 */
export function paidAlerts(o) {
  const { account, localKV: kv } = o;
  /** @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
  const locked = async (fn) => {
    const release = await o.locks.acquire('wk.watch');
    try {
      return await fn();
    } finally {
      release();
    }
  };

  const setBadge = async () => {
    const n = (await unseen(kv)).length;
    await chrome.action.setBadgeBackgroundColor({ color: '#116b3a' });
    await chrome.action.setBadgeText({ text: n ? String(Math.min(n, 99)) : '' });
  };

  /** @param {{store: string, storeName: string, txn: string, text: string}} n */
  const notify = async (n) => {
    const u = (await unseen(kv)).filter((x) => !(x.store === n.store && x.txn === n.txn));
    u.push({ ...n, at: Date.now() });
    await kv.set(K_UNSEEN, u);
    await chrome.notifications.create(`${NOTIFY_PREFIX}${encodeURIComponent(n.store)}:${n.txn}`, {
      type: 'basic',
      iconUrl: chrome.runtime.getURL('ext/icons/paid-128.png'),
      title: n.text,
      message: `${n.storeName ? `${n.storeName} · ` : ''}payment ${n.txn}`,
      contextMessage: 'Click to open the payment',
      priority: 2,
    });
    await setBadge();
  };

  /** Runs one tick (one at a time). */
  const tick = () => locked(() => watchTick({ account, kv, notify }));

  /** Arms the alarm while a store is connected in this browser session; clears it when none is. */
  const arm = async () => {
    const { stores } = await account.sessionStores();
    if (!Object.keys(stores).length) {
      await chrome.alarms.clear(ALARM);
      return;
    }
    const t = await kv.get(K_TUNING);
    const ms = Number.isInteger(t?.watchPeriodMs) && t.watchPeriodMs >= 1000 ? t.watchPeriodMs : 0;
    const periodInMinutes = ms ? ms / 60_000 : PERIOD_MIN;
    const cur = await chrome.alarms.get(ALARM);
    if (cur?.periodInMinutes === periodInMinutes) return;
    await chrome.alarms.create(ALARM, { delayInMinutes: periodInMinutes, periodInMinutes });
  };

  /** @param {string} id */
  const opened = async (id) => {
    if (!id.startsWith(NOTIFY_PREFIX)) return;
    const rest = id.slice(NOTIFY_PREFIX.length);
    const cut = rest.lastIndexOf(':');
    const store = decodeURIComponent(rest.slice(0, cut));
    const txn = rest.slice(cut + 1);
    await chrome.tabs.create({ url: chrome.runtime.getURL(`ext/tab.html#payment?store=${encodeURIComponent(store)}&txn=${encodeURIComponent(txn)}`) });
    await markSeen(kv, store, txn);
    await chrome.notifications.clear(id);
    await setBadge();
  };

  return {
    tick,
    arm,
    setBadge,
    /** The notification's click (registered at the worker's top level). */
    onNotificationClicked: (/** @type {string} */ id) => opened(id).catch(() => {}),
    /** A payment the console created is watched at once. @param {string} store @param {any} tx @param {any} req */
    watchCreated: (store, tx, req) => locked(() => watchPayment(kv, store, {
      txn: tx.txn_id, at: Date.now(), price: req?.amount, currency1: req?.currency1, amount: tx.amount, coin: tx.currency || req?.currency2, item: req?.itemName,
    })).then(arm),
    /** For the console: this store's alert setting and its unseen paid payments. @param {string} store */
    async state(store) {
      return { ...(await alertSettings(kv, store)), unseen: (await unseen(kv)).filter((x) => x.store === store) };
    },
    /** @param {string} store @param {{muted?: boolean, seen?: string|true}} v */
    async set(store, v) {
      if (typeof v.muted === 'boolean') {
        const was = (await alertSettings(kv, store)).muted;
        await setAlertSettings(kv, store, { muted: v.muted });
        // on again: what was paid while they were off is settled quietly, not told now
        if (was && !v.muted) await locked(() => watchTick({ account, kv, notify, quiet: store })).catch(() => {});
      }
      if (v.seen) await markSeen(kv, store, v.seen === true ? undefined : v.seen);
      await setBadge();
      return this.state(store);
    },
  };
}
