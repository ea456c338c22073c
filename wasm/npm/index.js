// @wallexkit/core: the wallexkit Go core (login, form-encoded calls, nonces, money rules,
// reconciliation, IPN verification) compiled to WebAssembly, for Node 20+, browsers and
// Cloudflare Workers. One Go instance serves every client; clients share nothing else.
import { Go } from './wasm_exec.mjs';

/** An error from the core: `code` says what kind (see ErrorCode), `retryable` whether the same
 * call may be made again; money calls add `opId`, `nonce`, `sentAtMs`, `deadlineMs`. */
export class WallexError extends Error {
  constructor(detail) {
    super(detail?.message ?? String(detail));
    this.name = 'WallexError';
    for (const [k, v] of Object.entries(detail ?? {})) {
      if (k !== 'message') this[k] = v;
    }
    this.code ??= 'internal';
    this.retryable ??= false;
  }
}

const toError = (e) => (e instanceof Error ? e : new WallexError(e));

let started = null;

/**
 * Starts the core once. Optional: every other function calls it. Pass `wasm` where the file
 * cannot be found next to this module: a WebAssembly.Module (Cloudflare Workers:
 * `import wasm from '@wallexkit/core/wallexkit.wasm'`), bytes, a Response, or a URL.
 * @param {{wasm?: WebAssembly.Module|BufferSource|Response|URL|string}} [options]
 */
export function init(options = {}) {
  started ??= start(options.wasm).catch((e) => {
    started = null;
    throw e;
  });
  return started;
}

async function bytesOf(source) {
  if (source === undefined) {
    let url;
    try {
      url = new URL('./wallexkit.wasm', import.meta.url);
    } catch {
      throw new WallexError({ code: 'invalid_input', message: 'cannot locate wallexkit.wasm next to the module here: call init({ wasm }) with the module or its bytes' });
    }
    source = url;
  }
  if (typeof source === 'string') source = new URL(source, import.meta.url);
  if (source instanceof URL) {
    if (source.protocol === 'file:') {
      const { readFile } = await import('node:fs/promises');
      return readFile(source);
    }
    source = await fetch(source);
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new WallexError({ code: 'transport', message: `cannot load wallexkit.wasm: HTTP ${source.status}` });
    return source.arrayBuffer();
  }
  return source;
}

async function start(wasm) {
  const go = new Go();
  const name = `__wallexkit_${Math.random().toString(36).slice(2)}`;
  go.env = { WALLEXKIT_GLOBAL: name };
  let instance;
  if (wasm instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(wasm, go.importObject);
  } else {
    ({ instance } = await WebAssembly.instantiate(await bytesOf(wasm), go.importObject));
  }
  go.run(instance); // runs until main blocks, having published the API under `name`
  const api = globalThis[name];
  delete globalThis[name];
  if (!api) throw new WallexError({ code: 'internal', message: 'the wallexkit core did not start' });
  return api;
}

function wrap(raw, names) {
  const out = {};
  for (const n of names) {
    out[n] = async (...args) => {
      try {
        return await raw[n](...args);
      } catch (e) {
        throw toError(e);
      }
    };
  }
  return out;
}

const CLIENT_METHODS = ['login', 'logout', 'session', 'basicInfo', 'balances', 'depositAddress', 'rates',
  'createTransaction', 'callbackAddress', 'txInfo', 'txInfoMulti', 'txIds', 'createTransfer', 'createWithdrawal',
  'createMassWithdrawal', 'convert', 'withdrawalHistory', 'withdrawalInfo', 'reconcile', 'reconcileOp', 'ops',
  'forgetOp', 'payoutStatus', 'payoutStep', 'statement', 'call'];

/**
 * A client for one API key (or one gateway token). Options as the core's configure: apiUrl,
 * publicKey, privateKey, storage (tokens, nonces, operation records; memory when omitted), ...
 * Nonces are on unless `nonce: false`.
 */
export async function createClient(options) {
  const api = await init();
  let raw;
  try {
    raw = await api.createClient(options);
  } catch (e) {
    throw toError(e);
  }
  const client = wrap(raw, CLIENT_METHODS);
  client.storeKey = raw.storeKey;
  /** Releases the client's functions in the core; it cannot be used afterwards. */
  client.close = () => raw.close();
  return client;
}

const call = (name) => async (...args) => {
  const api = await init();
  try {
    return await api[name](...args);
  } catch (e) {
    throw toError(e);
  }
};

/** Checks an IPN: the raw body as received, the HMAC header, your merchant ID and IPN secret. */
export const verifyIpn = call('verifyIpn');
/** Whether an address has the coin's format and checksum. */
export const checkAddress = call('checkAddress');
/** What a withdrawal takes from the balance and what its address receives, given the network fee. */
export const withdrawalSplit = call('withdrawalSplit');
/** A note for a withdrawal given none ("wk:" and 10 hex digits), as the CLI and the console send. */
export const newReference = call('newReference');
/** What a payment QR code should carry (BIP-21, EIP-681 or the address alone). */
export const paymentUri = call('paymentUri');
/** A coin amount in fiat at given rates, exactly. */
export const fiatValue = call('fiatValue');
/** fiatValue for many amounts. */
export const fiatValues = call('fiatValues');
/** The sum of fiatValues' values (an item with no value is left out of it). */
export const fiatTotal = call('fiatTotal');
/** Reads a mass-payout CSV file and lists every problem at once. */
export const payoutParse = call('payoutParse');

/** The core's version. */
export async function version() {
  return (await init()).version;
}
