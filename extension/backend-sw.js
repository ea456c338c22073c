// The Backend for extension pages: every call goes to the service worker, which hosts the wasm
// core. Reads and the console's own calls go over one line per page: a long-lived port
// (chrome.runtime.connect), and beside it a MessageChannel handed to the same worker, which the
// calls take once the worker has confirmed it on the channel itself (a call is then one
// postMessage each way straight between the page and the worker: 0.3 ms against 0.9 ms through
// the runtime port, measured). The runtime port stays open as the line's life: Chrome tells a
// page when its worker stopped only through it (onDisconnect), so the line, channel included,
// ends with it. A stopped worker is woken by the next call (the line is opened again then, never
// eagerly: Chrome may stop an idle worker, and a page must not keep waking it; the one wake a page
// sends as it opens, wake.js, only starts the worker's start earlier). A call whose
// answer was lost with its line (the worker stopped) is asked once more on a new line: none of
// them moves money.
//
// Money requests (and payout steps, which may send a batch) keep a chrome.runtime.sendMessage
// each, as before: the page names each one with an opId before it is posted (withOpId); the
// worker's bridge writes the operation record under that id before the request leaves. Chrome
// may stop the worker at any moment, which loses its answer: a lost answer is an unknown
// outcome, never a plain error and never sent again, so the console offers Reconcile
// (reconcileOp(opId)). Both ways reach the same handlers, and the core's one queue per key.

import { BRIDGE_METHODS, FREE_METHODS, STORE_METHODS, SENDING_METHODS, withOpId, storeView } from '../web/backend.js';

/**
 * What a lost answer means for a method that may have sent money.
 * @param {string} method @param {string|undefined} opId @param {string} why
 */
export function lostAnswer(method, opId, why) {
  if (method === 'payoutStep') {
    return {
      code: 'outcome_unknown', retryable: false, cmd: 'create_mass_withdrawal',
      message: "The extension's background worker stopped during a payout step: a batch may have been sent. Resume looks it up first and never pays a row twice.",
      detail: why,
    };
  }
  return {
    code: 'outcome_unknown', retryable: false, opId,
    message: "The extension's background worker stopped before it answered: the request may have been sent. Do not send it again: Reconcile finds out what happened.",
    detail: why, // Chrome's own words, for a bug report
  };
}

/** The port's name; the worker answers calls on ports of this name only. */
export const PORT_NAME = 'wk.calls';

/** The message that hands the worker a page's channel, and the worker's confirmation on it. */
export const CHANNEL_OFFER = 'wk.channel';
export const CHANNEL_READY = 'wk.channel.ready';

/**
 * A line to the worker: its runtime port, the channel once the worker confirmed it, and the
 * answers still owed on either.
 * @typedef {{port: chrome.runtime.Port, chan: MessagePort|null, owed: Map<number, {method: string, resolve: (m: any) => void, reject: (why: string) => void}>}} Line
 */

/** @type {Line|null} */
let line = null;
let seq = 0;
// The page's first answer of the core (a bridge method), as a performance mark: how long a page
// opened waits for its first data (the benchmark reads it).
let answered = false;

/** @returns {Line} */
function openLine() {
  const port = chrome.runtime.connect({ name: PORT_NAME });
  /** @type {Line} */
  const l = { port, chan: null, owed: new Map() };
  const settle = (/** @type {any} */ m) => {
    const w = l.owed.get(m?.id);
    if (!w) return;
    l.owed.delete(m.id);
    if (!answered && BRIDGE_METHODS.includes(w.method)) {
      answered = true;
      performance.mark('wk.first-core-answer');
    }
    w.resolve(m);
  };
  port.onMessage.addListener(settle);
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => {
    if (e.data?.type === CHANNEL_READY) {
      if (line === l) l.chan = ch.port1;
      return;
    }
    settle(e.data);
  };
  port.onDisconnect.addListener(() => {
    // the worker stopped (or crashed): every answer still owed on this line is lost
    const why = chrome.runtime.lastError?.message || 'the background worker stopped';
    if (line === l) line = null;
    l.chan = null;
    ch.port1.close();
    for (const w of l.owed.values()) w.reject(why);
    l.owed.clear();
  });
  // The worker that holds the port is the registration's active one (one runs at a time; had it
  // stopped meanwhile, the port's onDisconnect above ends this line and its channel with it).
  navigator.serviceWorker?.ready.then((reg) => {
    if (line === l) reg.active?.postMessage({ type: CHANNEL_OFFER }, [ch.port2]);
  }).catch(() => { /* no channel: the calls stay on the port */ });
  return l;
}

/**
 * Posts one call and resolves with the worker's reply ({ok, value} or {ok: false, error}), or
 * rejects with Chrome's words when the answer is lost.
 * @param {{method: string, args: unknown[], store?: string}} msg @returns {Promise<any>}
 */
function post(msg) {
  return new Promise((resolve, reject) => {
    for (let attempt = 0; ; attempt++) {
      const l = line ?? (line = openLine());
      const id = ++seq;
      l.owed.set(id, { method: msg.method, resolve, reject });
      try {
        (l.chan ?? l.port).postMessage({ ...msg, id });
        return;
      } catch (e) {
        // refused before it left (the port had just closed): nothing was sent; a new port once
        l.owed.delete(id);
        if (line === l) line = null;
        if (attempt > 0) { reject(String(/** @type {Error} */ (e)?.message ?? e)); return; }
      }
    }
  });
}

/**
 * @param {string} method @param {unknown[]} args @param {string} [store]  the store the call is for
 */
async function send(method, args, store) {
  const { args: sent, opId } = withOpId(method, args);
  const msg = { method, args: sent, store: store || undefined };
  const sending = SENDING_METHODS.has(method);
  let reply;
  try {
    if (sending) {
      reply = await chrome.runtime.sendMessage({ type: 'wk.call', ...msg });
    } else {
      // lost with its port (the worker stopped): once more, on a new port (this moves no money)
      reply = await post(msg).catch(() => post(msg));
    }
  } catch (e) {
    const why = String(/** @type {Error} */ (e)?.message ?? e);
    if (sending) throw lostAnswer(method, opId, why);
    throw { code: 'internal', message: `The extension's background worker did not answer: ${why}`, retryable: true };
  }
  if (!reply) {
    if (sending) throw lostAnswer(method, opId, 'no answer');
    throw { code: 'internal', message: "The extension's background worker gave no answer.", retryable: true };
  }
  if (!reply.ok) throw reply.error;
  return reply.value;
}

/** Match pattern for an API URL's host (patterns have no port). @param {string} apiUrl */
export function originPattern(apiUrl) {
  const u = new URL(apiUrl);
  return `${u.protocol}//${u.hostname}/*`;
}

/** @returns {import('../web/backend.js').Backend} */
export function swBackend() {
  /** @type {any} */
  const b = {
    kind: 'extension',
    /**
     * Must be called synchronously inside a click/submit handler (user gesture).
     * @param {string} apiUrl  the API URL, or a gateway's URL
     */
    requestAccess(apiUrl) {
      let origins;
      try {
        origins = [originPattern(apiUrl)];
      } catch {
        return Promise.resolve(true); // the Connect checks report the bad URL
      }
      return chrome.permissions.request({ origins }).catch(() => false);
    },
  };
  let store = '';
  b.useStore = (/** @type {string} */ id) => { store = id; };
  b.storeId = () => store;
  b.connect = async (/** @type {unknown} */ p) => { const s = await send('connect', [p]); store = s.storeId; return s; };
  b.switchStore = async (/** @type {string} */ id) => { const s = await send('switchStore', [id]); store = s.storeId; return s; };
  for (const m of ['stores', 'renameStore', 'ping', ...FREE_METHODS]) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args);
  }
  // paid alerts of this page's store: {muted, unseen}; setAlerts({muted?, seen?: txn | true})
  for (const m of ['alerts', 'setAlerts']) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args, store);
  }
  for (const m of STORE_METHODS) {
    b[m] = async (/** @type {unknown[]} */ ...args) => {
      let s = await send(m, args, store);
      // this page's store was signed out (perhaps in another window): show the active one
      if (m === 'session' && store && !s.storeId) s = await send('session', []);
      if (m === 'session' || m === 'signOut' || m === 'unlock') store = s?.storeId ?? store;
      return s;
    };
  }
  for (const m of BRIDGE_METHODS) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args, store);
  }
  b.inStore = (/** @type {string} */ id) => storeView(b, id, send);
  return b;
}
