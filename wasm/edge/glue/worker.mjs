// wallexkit edge gateway: the Worker entry (one Go instance per isolate) and the EdgeState
// Durable Object. build.sh copies this file to build/worker.mjs next to app.wasm (the Go
// gateway) and wasm_exec.js (syumai/workers' Go runtime support, from workers-assets-gen).
//
// Why not the stock syumai/workers entry: it starts a new Go instance for every request (and its
// Serve ends the Go program after the first response), so every request pays the Go runtime's
// start-up and a cold token cache. Here the instance lives as long as the isolate and each
// request is one call into it: binding.handle(done, env, head, body, id).
import "./wasm_exec.js";
import wasmModule from "./app.wasm";
import { DurableObject } from "cloudflare:workers";

// A request is answered 504 after this long (EDGE_DEADLINE_MS overrides it, for tests); its Go
// context is cancelled then, which aborts its fetches.
const DEADLINE_MS = 28_000;

let current = null; // { go, context, binding } of the running Go instance
let nextId = 1;
const pending = new Map(); // request id -> fail(), for requests in flight in the current instance

function instance(env) {
  if (current) return current;
  current = startInstance(env);
  return current;
}

function startInstance(env) {
  const go = new Go();
  // syumai/workers' wasm_exec.js shows this object to Go as the global `context`.
  const context = { env, ctx: undefined, binding: {} };
  const wasm = new WebAssembly.Instance(wasmModule, go.importObject);
  const inst = { go, context, binding: context.binding };
  go.run(wasm, context).then(() => {
    // The Go program ended (a fatal error): fail what it was serving; the next request starts a
    // new instance.
    if (current === inst) current = null;
    console.error("edge: the Go instance stopped; starting a new one on the next request");
    for (const fail of pending.values()) fail();
  });
  if (typeof inst.binding.handle !== "function") {
    throw new Error("edge: app.wasm did not register its request handler");
  }
  return inst;
}

function jsonError(status, code, message, retryable) {
  return new Response(JSON.stringify({ error: message, code, retryable }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

// toResponse reads Go's answer: "name\nvalue\n" pairs, an empty line, then the body.
function toResponse(status, out) {
  const headers = new Headers();
  let i = 0;
  for (;;) {
    const j = out.indexOf("\n", i);
    if (j < 0 || j === i) {
      i = j < 0 ? out.length : j + 1;
      break;
    }
    const k = out.indexOf("\n", j + 1);
    headers.set(out.slice(i, j), out.slice(j + 1, k));
    i = k + 1;
  }
  const nullBody = status === 204 || status === 304 || status === 101;
  return new Response(nullBody ? null : out.slice(i), { status, headers });
}

const noBody = new Set(["GET", "HEAD", "OPTIONS"]);

// The largest body the gateway reads (the Go side checks it too: gateway.MaxBody).
const MAX_BODY = 64 * 1024;

// readBody returns the body (null when empty), or undefined when it is larger than MAX_BODY,
// without reading more than that.
async function readBody(request) {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > MAX_BODY) return undefined;
    const b = new Uint8Array(await request.arrayBuffer());
    return b.byteLength === 0 ? null : b.byteLength > MAX_BODY ? undefined : b;
  }
  const reader = request.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > MAX_BODY) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (n === 0) return null;
  const b = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    b.set(c, at);
    at += c.byteLength;
  }
  return b;
}

export default {
  async fetch(request, env) {
    let inst;
    try {
      // EDGE_INSTANCE_PER_REQUEST=1 (benchmarks only) starts a new Go instance for every request,
      // as the stock syumai/workers glue does, to measure what the shared instance saves.
      inst = env.EDGE_INSTANCE_PER_REQUEST === "1" ? startInstance(env) : instance(env);
    } catch (e) {
      console.error("edge: cannot start the Go instance: " + (e && e.message));
      return jsonError(500, "internal", "the gateway could not start", true);
    }
    inst.context.env = env;
    const method = request.method;
    let body = null;
    if (!noBody.has(method) && request.body !== null) {
      body = await readBody(request);
      if (body === undefined) return jsonError(413, "body_too_large", "the request body is larger than 64 KiB", false);
    }
    let head = method + "\n" + request.url + "\n";
    for (const [k, v] of request.headers) head += k + "\n" + v + "\n";
    const id = nextId++;
    return new Promise((resolve) => {
      let timer;
      const finish = (res) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(res);
      };
      timer = setTimeout(() => {
        // Answer first: cancelling runs the request's Go code at once, which then answers too late.
        finish(jsonError(504, "timeout", "the gateway did not answer in time", true));
        try {
          inst.binding.cancel(id);
        } catch {}
      }, Number(env.EDGE_DEADLINE_MS) > 0 ? Number(env.EDGE_DEADLINE_MS) : DEADLINE_MS);
      pending.set(id, () => finish(jsonError(500, "internal", "internal error", true)));
      try {
        inst.binding.handle((status, out) => finish(toResponse(status, out)), env, head, body, id);
      } catch (e) {
        console.error("edge: internal error: " + (e && e.message));
        finish(jsonError(500, "internal", "internal error", true));
      }
    });
  },
};

const enc = new TextEncoder();
const dec = new TextDecoder();
const pad = (n) => String(n).padStart(16, "0");

function hex(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += b.toString(16).padStart(2, "0");
  return s;
}

function headerLines(headers) {
  let s = "";
  for (const [k, v] of headers) s += k + ":" + v + "\n";
  return s;
}

// EdgeState keeps every piece of state the gateway shares between requests and isolates. One
// class, three kinds of object (by the name the Worker derives the id from):
//
//   key:<api url>|<public key>  the key's bearer token (with a login lease so that isolates
//                               starting together log in once), its nonce high-water mark, and
//                               the nonce sequencer: in nonce mode every nonce-bearing call is
//                               sent from here, one at a time, in strictly increasing nonce order.
//   ledger                      payments created by the gateway (txn:<id>), IPN ids seen and the
//                               last status per payment (ipn.Tracker's store), the event log for
//                               /v1/events, and the forwarding queue driven by the alarm.
//   rl:<client>                 a fixed one-minute rate limit window.
//
// A Durable Object runs one event at a time and closes its input gate during storage calls, so
// each method below is atomic except across the awaits on fetch (where nonceCall holds its own
// queue).
export class EdgeState extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.serialQueue = Promise.resolve();
    this.leaseUntil = 0;
    this.tokenWaiters = [];
  }

  // ---- key: token -------------------------------------------------------------------------

  // loadToken returns the token while it is fresh. Otherwise the first caller gets null and logs
  // in (it holds a lease of leaseMs); callers during the lease wait for the token it saves, or
  // get null when the lease runs out. leaseMs = 0 reads the token as stored.
  async loadToken(leaseMs) {
    const t = await this.ctx.storage.get("token");
    if (!(leaseMs > 0)) return t ?? null;
    if (t && fresh(t)) return t;
    const now = Date.now();
    if (this.leaseUntil <= now) {
      this.leaseUntil = now + leaseMs; // this caller logs in; the next ones wait for its token
      return null;
    }
    return new Promise((resolve) => {
      const wake = (tok) => {
        clearTimeout(timer);
        resolve(tok);
      };
      const timer = setTimeout(() => {
        this.tokenWaiters = this.tokenWaiters.filter((w) => w !== wake);
        resolve(null); // the login did not finish in time: log in yourself
      }, this.leaseUntil - now);
      this.tokenWaiters.push(wake);
    });
  }

  async saveToken(tok) {
    await this.ctx.storage.put("token", tok);
    this.leaseUntil = 0;
    const waiters = this.tokenWaiters;
    this.tokenWaiters = [];
    for (const wake of waiters) wake(tok);
  }

  async deleteToken() {
    await this.ctx.storage.delete("token");
  }

  // ---- key: nonces ------------------------------------------------------------------------

  async loadNonce() {
    return (await this.ctx.storage.get("nonce")) ?? 0;
  }

  async saveNonce(n) {
    const cur = (await this.ctx.storage.get("nonce")) ?? 0;
    if (n > cur) await this.ctx.storage.put("nonce", n);
  }

  // nonceCall sends one nonce-bearing API request. Calls run one at a time (serial queue), so the
  // API never sees two nonce-bearing requests of this key at once. The nonce the client chose is
  // kept when it is above the last one sent; otherwise (another isolate sent a higher one first)
  // it is raised to max(last sent + 1, now in ms). The new mark is stored before the request
  // leaves, so a crash never reuses a nonce.
  nonceCall(url, headers, body) {
    return this.serial(async () => {
      let text = dec.decode(body);
      const m = /(^|&)nonce=(\d+)(?=&|$)/.exec(text);
      const [mark, sent] = await Promise.all([this.ctx.storage.get("nonce"), this.ctx.storage.get("nonce_sent")]);
      let n = m ? Number(m[2]) : 0;
      if (m && !(n > (sent ?? 0))) {
        n = Math.max((sent ?? 0) + 1, Date.now());
        text = text.slice(0, m.index) + m[1] + "nonce=" + n + text.slice(m.index + m[0].length);
      }
      if (m) await this.ctx.storage.put({ nonce: Math.max(mark ?? 0, n), nonce_sent: n });
      const res = await fetch(url, {
        method: "POST",
        headers,
        body: text,
        redirect: "manual",
        signal: AbortSignal.timeout(25_000),
      });
      const out = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, headers: headerLines(res.headers), body: out };
    });
  }

  serial(fn) {
    const run = this.serialQueue.then(() => fn());
    this.serialQueue = run.catch(() => {});
    return run;
  }

  // ---- ledger: payments --------------------------------------------------------------------

  async putTxn(id, rec) {
    await this.ctx.storage.put("txn:" + id, rec);
  }

  async getTxn(id) {
    return (await this.ctx.storage.get("txn:" + id)) ?? null;
  }

  // ---- ledger: ipn.TrackerStore -------------------------------------------------------------

  async seen(ipnId) {
    return (await this.ctx.storage.get("ipn:" + ipnId)) !== undefined;
  }

  async mark(ipnId) {
    await this.ctx.storage.put("ipn:" + ipnId, Date.now());
  }

  async lastStatus(key) {
    const v = await this.ctx.storage.get("st:" + key);
    return v === undefined ? null : v;
  }

  async setStatus(key, status) {
    await this.ctx.storage.put("st:" + key, status);
  }

  // ---- ledger: events and forwarding -------------------------------------------------------

  // recordEvent stores the event once per IPN id and queues its forwarding. Atomic: the read
  // and the writes only await storage, during which no other call is delivered.
  async recordEvent(ipnId, event, forward) {
    const existing = await this.ctx.storage.get("evid:" + ipnId);
    if (existing !== undefined) return { dup: true, cursor: existing };
    const seq = ((await this.ctx.storage.get("seq")) ?? 0) + 1;
    const ev = JSON.parse(event);
    ev.cursor = String(seq);
    ev.forward = forward ? { state: "pending", attempts: 0 } : { state: "off" };
    const writes = { seq, ["ev:" + pad(seq)]: ev, ["evid:" + ipnId]: seq };
    const now = Date.now();
    if (forward) writes["fq:" + pad(seq)] = { body: forward, attempts: 0, next: now };
    await this.ctx.storage.put(writes);
    if (forward) await this.armAlarm(now);
    return { dup: false, cursor: seq };
  }

  async events(after, limit) {
    const list = await this.ctx.storage.list({ prefix: "ev:", start: "ev:" + pad(after + 1), limit: limit + 1 });
    const events = [...list.values()];
    const hasMore = events.length > limit;
    if (hasMore) events.length = limit;
    const next = events.length ? events[events.length - 1].cursor : String(after);
    return JSON.stringify({ events, next_cursor: next, has_more: hasMore });
  }

  async armAlarm(at) {
    const cur = await this.ctx.storage.getAlarm();
    if (cur === null || cur > at) await this.ctx.storage.setAlarm(at);
  }

  // alarm delivers due forwards: POST FORWARD_URL with the event JSON, signed
  // X-Wallexkit-Signature: sha256=<hex HMAC-SHA256(body, FORWARD_SECRET)>. A 2xx answer is
  // delivery; anything else is retried with exponential backoff (FORWARD_RETRY_BASE_MS, default
  // 2 s, doubling, at most 5 min apart) up to FORWARD_MAX_ATTEMPTS (default 8) attempts, then
  // the event is marked failed. The queue is in storage, so retries survive restarts.
  async alarm() {
    const env = this.env;
    const base = Number(env.FORWARD_RETRY_BASE_MS) > 0 ? Number(env.FORWARD_RETRY_BASE_MS) : 2000;
    const maxAttempts = Number(env.FORWARD_MAX_ATTEMPTS) > 0 ? Number(env.FORWARD_MAX_ATTEMPTS) : 8;
    const queue = await this.ctx.storage.list({ prefix: "fq:" });
    let nextAt = Infinity;
    for (const [key, job] of queue) {
      const now = Date.now();
      if (job.next > now) {
        nextAt = Math.min(nextAt, job.next);
        continue;
      }
      let ok = false;
      let why = "";
      let status = 0;
      if (!env.FORWARD_URL || !env.FORWARD_SECRET) {
        why = "FORWARD_URL or FORWARD_SECRET is not set";
      } else {
        try {
          const res = await forward(env.FORWARD_URL, env.FORWARD_SECRET, job.body);
          status = res.status;
          ok = res.ok;
          why = "HTTP " + res.status;
        } catch (e) {
          why = String((e && e.message) || e).slice(0, 200);
        }
      }
      job.attempts++;
      const evKey = "ev:" + key.slice(3);
      const ev = await this.ctx.storage.get(evKey);
      let state;
      if (ok) {
        state = { state: "delivered", attempts: job.attempts, status, delivered_at: Math.floor(Date.now() / 1000) };
        await this.ctx.storage.delete(key);
      } else if (job.attempts >= maxAttempts) {
        state = { state: "failed", attempts: job.attempts, last_error: why };
        await this.ctx.storage.delete(key);
        console.error("edge: forwarding event " + key.slice(3).replace(/^0+/, "") + " failed for good: " + why);
      } else {
        job.next = Date.now() + Math.min(base * 2 ** (job.attempts - 1), 300_000);
        state = { state: "retrying", attempts: job.attempts, last_error: why, next_attempt_at: Math.floor(job.next / 1000) };
        await this.ctx.storage.put(key, job);
        nextAt = Math.min(nextAt, job.next);
      }
      if (ev) {
        ev.forward = state;
        await this.ctx.storage.put(evKey, ev);
      }
    }
    if (nextAt < Infinity) await this.ctx.storage.setAlarm(nextAt);
  }

  // ---- rl: rate limit -----------------------------------------------------------------------

  async hit(limit, windowMs) {
    const now = Date.now();
    let w = await this.ctx.storage.get("window");
    if (!w || now >= w.start + windowMs) w = { start: now, count: 0 };
    w.count++;
    await this.ctx.storage.put("window", w);
    if (w.count > limit) return { ok: false, retry_ms: w.start + windowMs - now };
    return { ok: true, retry_ms: 0 };
  }
}

// fresh is core's rule: a token is renewed a margin before it expires, 60 s but at most a tenth
// of its lifetime.
function fresh(t) {
  const life = t.expires_at - t.obtained_at;
  const margin = t.obtained_at > 0 && life > 0 ? Math.min(60_000, life / 10) : 60_000;
  return typeof t.access_token === "string" && t.access_token !== "" && Date.now() < t.expires_at - margin;
}

async function forward(url, secret, body) {
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = hex(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "wallexkit-edge/0.1",
      "x-wallexkit-signature": "sha256=" + sig,
      "x-wallexkit-timestamp": String(Math.floor(Date.now() / 1000)),
    },
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
  });
  try {
    await res.body?.cancel();
  } catch {}
  return res;
}
