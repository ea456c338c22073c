// The extension's service worker: hosts the wasm core and answers the console's messages.
// Module worker: Go's wasm_exec.js is imported for its side effect (globalThis.Go). All
// listeners are registered synchronously at top level; the wasm starts loading at once but
// nothing waits for it here (top-level await is not allowed in service workers).
//
// What this worker may be asked: the Backend methods (web/backend.js), nothing else, and
// only by this extension's own pages.
//
// A restarted worker has a fresh Go instance: the Account re-applies the configuration from
// chrome.storage.session on the first message (the token carries on; through a gateway, the
// gateway token stored beside it), so nothing here waits for it.

import { BEGUN } from './sw-begun.js'; // first: its line runs before every other module's
import '../wasm/wasm_exec.js';
import { Account } from '../web/host/account.js';
import { startBridge, bridgeTimings } from '../web/host/wasm-loader.js';
import { CORE_URL, CORE_OPTS } from './core-location.js';
import { BRIDGE_METHODS, FREE_METHODS, STORE_METHODS, SENDING_METHODS } from '../web/backend.js';
import { toBridgeError } from '../web/lib/errors.js';
import { chromeKV } from './storage-chrome.js';
import { PORT_NAME, CHANNEL_OFFER, CHANNEL_READY } from './backend-sw.js';
import { paidAlerts } from './alerts.js';
import { noticeIfGone, noticeClicked, shown as noticesShown } from './money-notices.js';

// What this run of the worker did when, in milliseconds since it started (performance.now() is
// relative to the worker's start): its code began (before that: Chrome starting it), its modules
// evaluated, the wasm core ready, the first call answered. ping reports them, with the loader's
// own steps (the benchmark's cold-start rows).
/** @type {Record<string, number>} */
const startup = { begun: Math.round(BEGUN), script: Math.round(performance.now()) };

// Identifies this run of the worker (tests and the benchmark tell a restarted worker by it).
const INSTANCE = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const localKV = chromeKV(chrome.storage.local);
const account = new Account({
  getBridge: () => startBridge(CORE_URL, CORE_OPTS),
  sessionKV: chromeKV(chrome.storage.session),
  localKV,
  // the one host of the core: the pages only send it calls (nonce marks and call locks in memory)
  soleHost: true,
});
// Paid alerts: the alarm and the notification's click are registered at top level, so a worker
// that Chrome stopped is started again by them and handles them.
const alerts = paidAlerts({ account, localKV, locks: account.locks });
chrome.alarms.onAlarm.addListener((a) => { if (a.name === 'wk.watch') alerts.tick().catch(() => {}); });
chrome.notifications.onClicked.addListener((id) => {
  noticeClicked(id).then((ours) => { if (!ours) alerts.onNotificationClicked(id); }).catch(() => {});
});

// Each handler gets the page's store (msg.store) after its arguments: the store the page shows;
// then the way the call came ('port', 'channel' or 'message'), which ping reports.
/** @type {Record<string, (args: any[], store?: string, via?: string) => Promise<unknown>>} */
const handlers = {
  ping: async (_args, _store, via) => ({ pong: true, at: Date.now(), instance: INSTANCE, via, startup: { ...startup, ...bridgeTimings() } }),
  connect: ([p]) => account.connect(p),
  stores: () => account.stores(),
  switchStore: ([id]) => account.switchStore(id),
  renameStore: ([id, name]) => account.renameStore(id, name),
};
for (const m of STORE_METHODS) handlers[m] = (args, store) => /** @type {any} */ (account)[m](...args, store);
for (const m of BRIDGE_METHODS) handlers[m] = (args, store) => account.invoke(m, args, store);
for (const m of FREE_METHODS) handlers[m] = (args) => account.free(m, args);
handlers.alerts = async (_args, store) => alerts.state(store ?? await account.activeId());
handlers.setAlerts = async ([v], store) => alerts.set(store ?? await account.activeId(), v ?? {});
// a store connected or gone: the watch alarm follows
for (const m of ['connect', 'unlock', 'signOut', 'lock']) {
  const h = handlers[m];
  handlers[m] = async (args, store) => {
    try {
      return await h(args, store);
    } finally {
      alerts.arm().catch(() => {});
    }
  };
}

// Chrome stops an idle worker after about 30 s; a call to an extension API resets that timer.
// While a money request (or a payout step) is pending, touch one every 20 s so the worker lives
// as long as the request may take. (Chrome may still stop it; the page then reports an unknown
// outcome and the operation record, written before the request left, settles it.)
const KEEPALIVE_MS = 20_000;
let sending = 0;
/** @type {ReturnType<typeof setInterval>|undefined} */
let keepalive;
/** An extension API call: Chrome counts it as the worker being in use. */
const touch = () => { chrome.runtime.getPlatformInfo().catch(() => {}); };
/** @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
async function keptAlive(fn) {
  if (sending++ === 0) keepalive = setInterval(touch, KEEPALIVE_MS);
  try {
    return await fn();
  } finally {
    if (--sending === 0) clearInterval(keepalive);
  }
}
for (const m of SENDING_METHODS) {
  const h = handlers[m];
  handlers[m] = (args, store) => keptAlive(() => h(args, store));
}

// A payment the console created is watched at once (and found by the history scan otherwise).
{
  const h = handlers.createTransaction;
  handlers.createTransaction = async (args, store) => {
    const tx = await h(args, store);
    const id = store ?? await account.activeId();
    alerts.watchCreated(id, tx, args[0]).catch(() => {});
    return tx;
  };
}

const OWN_ORIGIN = chrome.runtime.getURL('');

/** Only this extension's own pages may call it. @param {chrome.runtime.MessageSender|undefined} sender */
function fromOwnPage(sender) {
  return sender?.id === chrome.runtime.id && String(sender?.url ?? '').startsWith(OWN_ORIGIN);
}

/**
 * Runs one call and gives the reply to post back: {ok: true, value} or {ok: false, error}.
 * @param {any} msg @param {'port'|'channel'|'message'} via  the way it came (ping reports it)
 * @returns {Promise<{ok: true, value: unknown} | {ok: false, error: unknown}>}
 */
async function answer(msg, via) {
  const h = typeof msg?.method === 'string' && Object.hasOwn(handlers, msg.method) ? handlers[msg.method] : undefined;
  if (!h) return { ok: false, error: { code: 'invalid_input', message: `Unknown method ${String(msg?.method)}`, retryable: false } };
  // A page asks a call lost on its port or channel once more; a request that may move money goes
  // by its own message, whose lost answer is an unknown outcome, never asked again.
  if (via !== 'message' && SENDING_METHODS.has(msg.method)) {
    return { ok: false, error: { code: 'invalid_input', message: `${msg.method} may move money: send it as a wk.call message, not on a port. Nothing was sent.`, retryable: false } };
  }
  try {
    const value = await h(Array.isArray(msg.args) ? msg.args : [], typeof msg.store === 'string' && msg.store ? msg.store : undefined, via);
    return { ok: true, value: value ?? null };
  } catch (e) {
    return { ok: false, error: toBridgeError(e) };
  } finally {
    if (startup.firstAnswer === undefined) startup.firstAnswer = Math.round(performance.now());
  }
}

const REFUSED = { ok: false, error: { code: 'permission', message: 'Only the console pages of this extension may call it.', retryable: false } };

// The console's pages make their calls over one long-lived port each (extension/backend-sw.js):
// each call {id, method, args, store} is answered on the same port with {id, ok, value | error}.
// A page that went away meanwhile gets no answer.
chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== PORT_NAME) return;
  if (!fromOwnPage(port.sender)) {
    port.disconnect();
    return;
  }
  port.onMessage.addListener((/** @type {any} */ msg) => {
    answer(msg, 'port').then((reply) => {
      try {
        port.postMessage({ id: msg?.id, ...reply });
      } catch { /* the page went away */ }
    });
  });
});

// The page's channel beside its port (extension/backend-sw.js): the same calls, answered the same
// way, straight between the page and this worker. Chrome documents a port's messages and
// extension API calls as keeping the worker in use, not a channel's messages: each call on a
// channel touches an extension API (at most every 10 s) so that a worker answering calls is not
// stopped as idle.
let touched = 0;
function inUse() {
  const now = Date.now();
  if (now - touched < 10_000) return;
  touched = now;
  touch();
}
self.addEventListener('message', (/** @type {any} */ e) => {
  if (e.data?.type !== CHANNEL_OFFER || !e.ports?.[0]) return;
  const port = /** @type {MessagePort} */ (e.ports[0]);
  if (e.origin !== OWN_ORIGIN.replace(/\/$/, '') || !String(e.source?.url ?? '').startsWith(OWN_ORIGIN)) {
    port.close(); // only this extension's own pages may call it
    return;
  }
  port.onmessage = (m) => {
    inUse();
    answer(m.data, 'channel').then((reply) => {
      try {
        port.postMessage({ id: m.data?.id, ...reply });
      } catch { /* the page went away */ }
    });
  };
  port.postMessage({ type: CHANNEL_READY });
});

// The same calls as single messages ({type: 'wk.call', method, args, store}): the pages' money
// requests and payout steps (a lost answer is an unknown outcome, never sent again; the
// operation record written before the request left settles it), and the tests that call the
// worker past the screens.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.type !== 'wk.call') return false;
  if (!fromOwnPage(sender)) {
    sendResponse(REFUSED);
    return false;
  }
  answer(msg, 'message').then((reply) => {
    sendResponse(reply);
    // the page that asked may have closed meanwhile: then a notification says what became of it
    noticeIfGone(msg, sender, reply, storeName).catch(() => {});
  });
  return true; // answer asynchronously
});

/** A store's name for a notification (the active store's when none is named). @param {string|undefined} store */
async function storeName(store) {
  const id = store ?? await account.activeId();
  return (await account.stores()).find((s) => s.id === id)?.name ?? '';
}

// Start the core early so the first message waits less; errors surface on the first call.
startBridge(CORE_URL, CORE_OPTS).catch(() => {});
// The alarm and the badge as they should be for the stores of this browser session.
alerts.arm().catch(() => {});
alerts.setBadge().catch(() => {});
// Tests reach the notification's click through the same function the listener calls.
/** @type {any} */ (globalThis).wkAlerts = alerts;
/** @type {any} */ (globalThis).wkNotices = noticesShown;
