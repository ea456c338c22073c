// wallexkit edge gateway: the Worker entry (one Go instance per isolate) and the EdgeState
// Durable Object. build.sh copies this file to build/worker.mjs next to app.wasm (the Go
// gateway) and wasm_exec.js (syumai/workers' Go runtime support, from workers-assets-gen).
//
// Why not the stock syumai/workers entry: it starts a new Go instance for every request (and its
// Serve ends the Go program after the first response), so every request pays the Go runtime's
// start-up and a cold token cache. Here the instance lives as long as the isolate and each
// request is one call into it: binding.handle(done, env, head, body, id, softMs, hardMs).
import "./wasm_exec.js";
import wasmModule from "./app.wasm";
import { DurableObject } from "cloudflare:workers";

// A request's deadlines (EDGE_DEADLINE_MS overrides the hard one, for tests). At the soft one the
// glue cancels the request's upstream context (binding.cancel(id, true)): Go aborts its calls to
// the Wallex API and still answers what it knows (an unknown outcome with what reconcile needs).
// At the hard one the glue answers by itself and cancels the request. Both timers run in the
// request's own event, so the Go code they wake does its I/O for the right request.
const DEADLINE_MS = 28_000;
const MAX_MARGIN_MS = 3_000; // soft deadline = hard - min(3 s, hard / 4)

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
    const hardMs = Number(env.EDGE_DEADLINE_MS) > 0 ? Number(env.EDGE_DEADLINE_MS) : DEADLINE_MS;
    // EDGE_SOFT_MARGIN_MS (tests only) overrides the margin; a negative one turns the soft
    // deadline off, to test the hard one.
    const margin = env.EDGE_SOFT_MARGIN_MS !== undefined && env.EDGE_SOFT_MARGIN_MS !== "" ? Number(env.EDGE_SOFT_MARGIN_MS) : Math.min(MAX_MARGIN_MS, Math.floor(hardMs / 4));
    const softMs = margin < 0 ? hardMs : hardMs - margin;
    const arrived = Date.now();
    return new Promise((resolve) => {
      let hard, soft;
      let unsafe = false; // Go says whether the request may move money or create a payment
      const finish = (res) => {
        clearTimeout(hard);
        clearTimeout(soft);
        pending.delete(id);
        resolve(res);
      };
      if (margin >= 0) {
        soft = setTimeout(() => {
          try {
            inst.binding.cancel(id, true);
          } catch {}
        }, softMs);
      }
      hard = setTimeout(() => {
        // Answer first: cancelling runs the request's Go code at once, which then answers too late.
        finish(unsafe ? unknownOutcome(arrived, arrived + hardMs) : jsonError(504, "timeout", "the gateway did not answer in time", true));
        try {
          inst.binding.cancel(id);
        } catch {}
      }, hardMs);
      pending.set(id, () => finish(unsafe ? unknownOutcome(arrived, arrived + hardMs) : jsonError(500, "internal", "internal error", true)));
      try {
        unsafe = inst.binding.handle((status, out) => finish(toResponse(status, out)), env, head, body, id, softMs, hardMs) === true;
      } catch (e) {
        console.error("edge: internal error: " + (e && e.message));
        finish(jsonError(500, "internal", "internal error", true));
      }
    });
  },
};

// unknownOutcome is the glue's own answer for a request Go marked unsafe (it may move money or
// create a payment) that did not finish: it may have been carried out, so it must not be sent
// again before it is reconciled (POST /v1/reconcile with the request's own fields and these times).
function unknownOutcome(sentAt, deadline) {
  return new Response(
    JSON.stringify({
      error: "the gateway did not finish this request: it may have been carried out; do not send it again, reconcile first (POST /v1/reconcile with its fields, sent_at and deadline)",
      code: "outcome_unknown",
      retryable: false,
      sent_at: new Date(sentAt).toISOString(),
      deadline: new Date(deadline).toISOString(),
    }),
    { status: 502, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } },
  );
}

const enc = new TextEncoder();
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
//   ledger                      payments created by the gateway (txn:<id>), storefront orders
//                               (order:<id>), IPN ids seen and the last status per payment, the
//                               event log for /v1/events, and the forwarding queue (the alarm).
//   rl:<client>                 a fixed one-minute rate limit window.
//
// Every decision is Go's (internal/gateway): token freshness, nonces, IPN order, order states.
// This class stores what Go decided, and makes the steps that must be atomic atomic. A Durable
// Object runs one event at a time and closes its input gate during storage calls, so each method
// below is atomic except across the awaits on fetch (where nonceCall holds its own queue) and
// the waits for a token.
export class EdgeState extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.serialQueue = Promise.resolve();
    this.leaseUntil = 0;
    this.leaseTimer = null;
    this.tokenWaiters = []; // {resolve, leaseMs, until}: callers waiting for a token, in order
    this.calls = new Map(); // nonce call id -> "queued" | "sent" | "abandoned"
    this.lastPrune = 0;
  }

  // ---- key: token -------------------------------------------------------------------------

  // loadToken returns the token while it is fresh (Date.now() before the refresh_at Go saved
  // with it). Otherwise the first caller gets null: it holds the login lease for leaseMs and
  // logs in. Later callers wait, in order, for the token it saves; when its login fails
  // (releaseLogin) or its lease runs out, exactly one waiter gets the lease (null) and the rest
  // keep waiting. until (epoch ms, 0 = none) is when the caller stops waiting: such a waiter is
  // never handed the lease. leaseMs = 0 reads the token as stored.
  async loadToken(leaseMs, until) {
    const t = await this.ctx.storage.get("token");
    if (!(leaseMs > 0)) return t ?? null;
    const now = Date.now();
    if (t && typeof t.access_token === "string" && t.access_token !== "" && now < t.refresh_at) return t;
    if (this.leaseUntil <= now) {
      this.grantLease(leaseMs);
      return null;
    }
    return new Promise((resolve) => this.tokenWaiters.push({ resolve, leaseMs, until: until > 0 ? until : Infinity }));
  }

  grantLease(leaseMs) {
    clearTimeout(this.leaseTimer);
    this.leaseUntil = Date.now() + leaseMs;
    this.leaseTimer = setTimeout(() => this.handOn(), leaseMs);
  }

  // handOn ends a lease that brought no token: the next waiter still waiting logs in.
  handOn() {
    clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    this.leaseUntil = 0;
    const now = Date.now();
    while (this.tokenWaiters.length) {
      const w = this.tokenWaiters.shift();
      if (w.until <= now) {
        w.resolve(null); // gone already: its answer is not used
        continue;
      }
      this.grantLease(w.leaseMs);
      w.resolve(null);
      return;
    }
  }

  // releaseLogin: the lease holder's login failed.
  releaseLogin() {
    this.handOn();
  }

  // saveToken stores {access_token, expires_at, obtained_at, refresh_at} (ms) and hands it to
  // every waiter.
  async saveToken(tok) {
    await this.ctx.storage.put("token", tok);
    clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    this.leaseUntil = 0;
    const waiters = this.tokenWaiters;
    this.tokenWaiters = [];
    for (const w of waiters) w.resolve(tok);
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

  // nonceCall sends one nonce-bearing API request: call = {id, url, headers, body, nonce,
  // deadline (epoch ms)}; body carries call.nonce, chosen by Go. Calls run one at a time in
  // arrival order (serial queue), so the API never sees two nonce-bearing requests of this key
  // at once. When its turn comes a call is
  //   - not sent, {not_sent}, if its caller abandoned it or its deadline passed;
  //   - not sent, {stale: last}, if its nonce is not above the last one sent (another isolate's
  //     call went first): Go chooses a higher one and queues again;
  //   - otherwise sent, after the new mark and the call's id are stored (a crash never reuses a
  //     nonce, and abandon() still knows it left), bounded by the time left to its deadline:
  //     {status, headers, body}, or {send_error} when no answer came back.
  nonceCall(call) {
    if (this.calls.get(call.id) === "abandoned") return { not_sent: "its caller stopped waiting" };
    this.calls.set(call.id, "queued");
    return this.serial(async () => {
      try {
        const [mark, sent, rec] = await Promise.all([
          this.ctx.storage.get("nonce"),
          this.ctx.storage.get("nonce_sent"),
          this.ctx.storage.get("call:" + call.id),
        ]);
        if (this.calls.get(call.id) === "abandoned" || rec !== undefined) return { not_sent: "its caller stopped waiting before its turn" };
        const now = Date.now();
        if (!(now < call.deadline)) return { not_sent: "its deadline passed before its turn" };
        if (!(call.nonce > (sent ?? 0))) return { stale: sent ?? 0 };
        this.calls.set(call.id, "sent");
        await this.ctx.storage.put({ nonce: Math.max(mark ?? 0, call.nonce), nonce_sent: call.nonce, ["call:" + call.id]: { at: now } });
        let res;
        try {
          res = await fetch(call.url, {
            method: "POST",
            headers: call.headers,
            body: call.body,
            redirect: "manual",
            signal: AbortSignal.timeout(Math.max(1, call.deadline - Date.now())),
          });
          const out = new Uint8Array(await res.arrayBuffer());
          return { status: res.status, headers: headerLines(res.headers), body: out };
        } catch (e) {
          return { send_error: "the request was sent but no answer came back: " + String((e && e.message) || e).slice(0, 200) };
        }
      } finally {
        this.calls.delete(call.id);
        await this.prune();
      }
    });
  }

  // abandon(id): the caller of nonce call id stopped waiting. {sent: false} means it never left
  // and never will (it is refused when its turn comes, or if it arrives later); {sent: true}
  // means it left (or may have).
  async abandon(id) {
    const st = this.calls.get(id);
    if (st === "queued" || st === "abandoned") {
      this.calls.set(id, "abandoned");
      return { sent: false };
    }
    if (st === "sent") return { sent: true };
    const rec = await this.ctx.storage.get("call:" + id);
    if (rec !== undefined) return { sent: !rec.abandoned };
    this.calls.set(id, "abandoned");
    await this.ctx.storage.put("call:" + id, { at: Date.now(), abandoned: true });
    return { sent: false };
  }

  // prune drops call records older than an hour, at most every ten minutes.
  async prune() {
    const now = Date.now();
    if (now - this.lastPrune < 600_000) return;
    this.lastPrune = now;
    const old = [];
    for (const [k, v] of await this.ctx.storage.list({ prefix: "call:", limit: 1000 })) {
      if (now - v.at > 3_600_000) old.push(k);
    }
    for (const id of this.calls.keys()) if (this.calls.get(id) === "abandoned") this.calls.delete(id);
    if (old.length) await this.ctx.storage.delete(old.slice(0, 128));
  }

  serial(fn) {
    const run = this.serialQueue.then(() => fn());
    this.serialQueue = run.catch(() => {});
    return run;
  }

  // ---- ledger: payments and orders ---------------------------------------------------------

  async putTxn(id, rec) {
    await this.ctx.storage.put("txn:" + id, rec);
  }

  async getTxn(id) {
    return (await this.ctx.storage.get("txn:" + id)) ?? null;
  }

  async getOrder(id) {
    const r = await this.ctx.storage.get("order:" + id);
    return r === undefined ? null : JSON.stringify(r);
  }

  // putOrder stores rec (JSON) as order id's record if its version is still expectV (0: none),
  // with version expectV + 1: a compare-and-set, so two requests for one order never both
  // create its payment.
  async putOrder(id, expectV, rec) {
    const cur = await this.ctx.storage.get("order:" + id);
    if ((cur?.v ?? 0) !== expectV) return { ok: false, current: cur === undefined ? null : JSON.stringify(cur) };
    const next = JSON.parse(rec);
    next.v = expectV + 1;
    await this.ctx.storage.put("order:" + id, next);
    return { ok: true, current: null };
  }

  // ---- ledger: IPNs --------------------------------------------------------------------------

  async seen(ipnId) {
    return (await this.ctx.storage.get("ipn:" + ipnId)) !== undefined;
  }

  async lastStatus(key) {
    const v = await this.ctx.storage.get("st:" + key);
    return v === undefined ? null : v;
  }

  // commitIpn records what Go's ipn.Tracker decided for one notification, atomically: its id,
  // the payment's new status (status null: unchanged), the event and its forwarding. Nothing is
  // written, and {dup} or {conflict} is answered, when the id was recorded meanwhile or the
  // payment's status is no longer expect (null: none), the one Go decided on.
  async commitIpn(ipnId, key, expect, status, event, forward) {
    if ((await this.ctx.storage.get("ipn:" + ipnId)) !== undefined) return { dup: true };
    if (key) {
      const cur = await this.ctx.storage.get("st:" + key);
      if ((cur ?? null) !== expect) return { conflict: true };
    }
    const seq = ((await this.ctx.storage.get("seq")) ?? 0) + 1;
    const now = Date.now();
    const ev = JSON.parse(event);
    ev.cursor = String(seq);
    ev.forward = forward ? { state: "pending", attempts: 0 } : { state: "off" };
    const writes = { seq, ["ev:" + pad(seq)]: ev, ["evid:" + ipnId]: seq, ["ipn:" + ipnId]: now };
    if (key && status !== null) writes["st:" + key] = status;
    if (forward) writes["fq:" + pad(seq)] = { body: forward, attempts: 0, next: now };
    await this.ctx.storage.put(writes);
    if (forward) await this.armAlarm(now);
    return { cursor: seq };
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

  // alarm delivers due forwards: POST FORWARD_URL with the event JSON, signed at each attempt
  // (see forward()). A 2xx answer is
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

// forward POSTs one event, signed as gateway.SignForward does (internal/gateway/forward.go, whose
// VerifyForward the edge tests run on these requests):
//   X-Wallexkit-Timestamp: <unix seconds>
//   X-Wallexkit-Signature: sha256=<hex HMAC-SHA256(FORWARD_SECRET, timestamp + "." + body)>
async function forward(url, secret, body) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = hex(await crypto.subtle.sign("HMAC", key, enc.encode(timestamp + "." + body)));
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "wallexkit-edge/0.1",
      "x-wallexkit-signature": "sha256=" + sig,
      "x-wallexkit-timestamp": timestamp,
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
