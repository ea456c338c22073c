// wallexkit edge gateway: the Worker entry (one Go instance per isolate). build.sh copies the glue
// modules to build/ next to app.wasm (the Go gateway) and wasm_exec.js (syumai/workers' Go runtime
// support, from workers-assets-gen). One module per role, one Durable Object class each, each with
// its own binding (wrangler.jsonc), matching Go's interfaces in internal/gateway/platform.go:
//   keys.mjs     KeyState (KEY_STATE): per API key, token, nonce mark and the nonce sequencer
//   ledger.mjs   Ledger (LEDGER): payments, orders, IPNs, events and their forwarding
//   limiter.mjs  Limiter (LIMITER): per client, a rate limit window
//
// Why not the stock syumai/workers entry: it starts a new Go instance for every request (and its
// Serve ends the Go program after the first response), so every request pays the Go runtime's
// start-up and a cold token cache. Here the instance lives as long as the isolate, and a request
// and its upstream calls cross between the glue and Go through the module's export wk_signal and
// the "wallexkit" imports below, with the bytes in Go's memory (main_js.go, exchange_js.go): no
// syscall/js function call and no JS value held by Go on a request's path, each of which costs Go
// a finalizer.
import "./wasm_exec.js";
// The Worker's env in the global scope (workerd 2025+), for the gateway's build at load (warmAtLoad).
import { env as loadEnv } from "cloudflare:workers";
import wasmModule from "./app.wasm";

export { KeyState } from "./keys.mjs";
export { Ledger } from "./ledger.mjs";
export { Limiter } from "./limiter.mjs";

// A request's deadlines (EDGE_DEADLINE_MS overrides the hard one, for tests). At the soft one the
// glue cancels the request's upstream context (a SIG_CANCEL signal): Go aborts its calls to
// the Wallex API and still answers what it knows (an unknown outcome with what reconcile needs).
// At the hard one the glue answers by itself and cancels the request. Both timers run in the
// request's own event, so the Go code they wake does its I/O for the right request.
const DEADLINE_MS = 28_000;
const MAX_MARGIN_MS = 3_000; // soft deadline = hard - min(3 s, hard / 4)

let current = null; // { go, context, binding, env, signal } of the running Go instance
let nextId = 1;
// Requests in flight: id -> { inst (the Go instance serving it), started(unsafe), respond(status, head, body), fail() }.
const pending = new Map();

// Signal kinds (exchange_js.go has the same numbers).
const SIG_REQUEST = 1;
const SIG_FETCHED = 2;
const SIG_CANCEL = 3;
const SIG_ENV = 4;
const SIG_WARM = 5;

// What Go says of a request before it runs it (gateway.UnsafeKind, through the started import):
// 0 nothing can move, 1 a money call, 2 a checkout. Each has its own failure answer (unknownOutcome).
const UNSAFE_CHECKOUT = 2;

function instance(env) {
  if (current) return current;
  current = startInstance(env);
  return current;
}

// Made when the module loads (global scope, before the first request: on Cloudflare while the TLS
// handshake of that request is still going on): the Go object, the instantiated module, and, at
// the end of this module (startAtLoad), the Go runtime's start, so that no request waits for it
// (about 30 ms of a cold start: docs/benchmarks.md, seventh round). Workers refuse two things
// Go's start asks for in the global scope, so while it runs there (loading):
// - random bytes: the runtime's seed (its map hashing, math/rand/v2) comes from Math.random,
//   V8's generator; nothing that must be unique is made from that seed (operation IDs, invoices,
//   claim tokens and nonce call IDs come from crypto.getRandomValues when each is made:
//   internal/idrand);
// - timers: one Go asks for at load (none does today) is not set; Go's scheduler runs whatever
//   is due when the first request's signal wakes it.
// The monotonic clock (nanotime1) is performance.timeOrigin + performance.now(), never going
// back, and at load no earlier than Date.now(): in the global scope workerd's performance.now()
// is 0 while Date.now() is the time; in a request both are the time.
let loading = false; // Go is starting in the global scope
let prepared = prepare();

function prepare() {
  try {
    const go = new Go();
    const gojs = go.importObject.gojs;
    const origin = performance.timeOrigin || 0;
    let last = 0;
    gojs["runtime.nanotime1"] = (sp) => {
      sp >>>= 0;
      let t = origin + performance.now();
      if (loading) t = Math.max(t, Date.now());
      if (t > last) last = t;
      const v = last * 1000000;
      go.mem.setUint32(sp + 8, v, true);
      go.mem.setUint32(sp + 12, Math.floor(v / 4294967296), true);
    };
    const random = gojs["runtime.getRandomData"];
    gojs["runtime.getRandomData"] = (sp) => (loading ? seedAtLoad(go, sp >>> 0) : random(sp));
    const timer = gojs["runtime.scheduleTimeoutEvent"];
    gojs["runtime.scheduleTimeoutEvent"] = (sp) => (loading ? go.mem.setInt32((sp >>> 0) + 16, 0, true) : timer(sp));
    return { go, ...instantiate(go) };
  } catch (e) {
    console.error("edge: could not prepare the Go instance at load, the first request will: " + (e && e.message));
    return null;
  }
}

// seedAtLoad fills the byte slice Go passes at sp + 8 (pointer, length) from Math.random.
function seedAtLoad(go, sp) {
  const at = go.mem.getUint32(sp + 8, true) + go.mem.getUint32(sp + 12, true) * 4294967296;
  const n = go.mem.getUint32(sp + 16, true) + go.mem.getUint32(sp + 20, true) * 4294967296;
  const b = new Uint8Array(go.mem.buffer, at, n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256);
}

// startAtLoad starts the prepared instance's Go runtime in the global scope; when it cannot, the
// first request starts one, as it does after an instance stopped.
function startAtLoad() {
  if (!prepared) return null;
  loading = true;
  try {
    return startInstance(null);
  } catch (e) {
    console.error("edge: could not start the Go runtime at load, the first request will: " + errorText(e));
    return null;
  } finally {
    loading = false;
  }
}

function startInstance(env) {
  const ready = prepared; // used once; a later instance (after a crash, or one per request) is made anew
  prepared = null;
  const go = ready ? ready.go : new Go();
  const { io, wasm } = ready ?? instantiate(go);
  // syumai/workers' wasm_exec.js shows this object to Go as the global `context`: Go reads env
  // from it (when the glue signals SIG_ENV) and sets binding.headers.
  const context = { env, ctx: undefined, binding: {} };
  const inst = { go, io, context, binding: context.binding, env: null, signal: null, dead: false };
  inst.signal = (kind, id, a, b, slot, c) => {
    if (inst.dead) throw new Error("the Go instance has stopped");
    // The export only queues the signal; go._resume() then runs Go until every goroutine
    // waits again, the dispatcher's work and what it wakes included (exchange_js.go). A throw
    // out of either (a trap) leaves the instance unusable: it is stopped, and what it was
    // serving fails (outcome unknown where a request may have moved money).
    try {
      const ok = wasm.exports.wk_signal(kind, id, a, b, slot, c) === 1;
      if (ok) go._resume();
      return ok;
    } catch (e) {
      stopped(inst, errorText(e));
      throw e;
    }
  };
  // The Go program ended (a fatal error), or could not start (a trap).
  go.run(wasm, context).then(
    () => stopped(inst, "its program ended"),
    (e) => stopped(inst, errorText(e)),
  );
  // The headers Go reads, handed over at start (which also says that its request dispatcher
  // runs): of a request, and of an upstream answer.
  inst.wanted = headerNames(inst.binding.headers);
  inst.answerHeaders = headerNames(inst.binding.answerHeaders);
  io.upstream = (id, head, body) => upstream(inst, io, id, head, body);
  return inst;
}

// stopped retires a Go instance that ended or broke: what it was serving fails (each request by
// its own rule: outcome unknown where it may have moved money), and the next request starts a
// new instance.
function stopped(inst, why) {
  if (inst.dead) return;
  inst.dead = true;
  if (current === inst) current = null;
  console.error("edge: the Go instance stopped (" + why + "); starting a new one on the next request");
  for (const p of pending.values()) if (p.inst === inst) p.fail();
}

// next returns n's successor among the ids and slot numbers Go takes as an int32 (1 to 2^31-1).
const next = (n) => (n >= 0x7fffffff ? 1 : n + 1);

// instantiate makes go's instance of the module, with the glue's half of the exchange.
function instantiate(go) {
  const io = exchange();
  go.importObject.wallexkit = io.imports;
  const wasm = new WebAssembly.Instance(wasmModule, go.importObject);
  io.mem = wasm.exports.mem;
  return { io, wasm };
}

// exchange is the glue's half of the exchange with Go (exchange_js.go): the "wallexkit" imports
// Go calls, and the slots where bytes for Go wait until Go takes them. Go's pointers are into its
// memory (io.mem), read at each call (a call may have grown it). No import may throw: a throw
// would unwind through Go's stack and end the instance.
function exchange() {
  const view = (p, n) => new Uint8Array(io.mem.buffer, p >>> 0, n);
  const slots = new Map();
  let nextSlot = 1;
  const aborts = new Map(); // upstream call id -> its AbortController
  const io = {
    mem: null, // set by instantiate
    // hold keeps bytes for Go and returns their slot.
    hold(bytes) {
      const s = nextSlot;
      nextSlot = next(nextSlot);
      slots.set(s, bytes);
      return s;
    },
    forget(s) {
      slots.delete(s);
    },
    aborts,
    upstream: null, // set by startInstance
    imports: {
      slot_len: (s) => slots.get(s)?.byteLength ?? -1,
      slot_take: (s, p) => {
        const b = slots.get(s);
        slots.delete(s);
        if (b && b.byteLength) view(p, b.byteLength).set(b);
      },
      started: (id, unsafe) => pending.get(id)?.started(unsafe),
      respond: (id, status, hp, hn, bp, bn) => {
        const p = pending.get(id);
        if (status === 0) {
          p?.fail(); // Go's code failed (main_js.go failed): the request's own failure answer
          return;
        }
        try {
          p?.respond(status, text.decode(view(hp, hn)), bn ? view(bp, bn).slice() : null);
        } catch (e) {
          // An answer the Fetch API refuses (a header or status it does not take): the request's
          // own failure answer (outcome unknown when it may have moved money), not a throw into Go.
          console.error("edge: internal error: " + errorText(e));
          p?.fail();
        }
      },
      fetch: (id, hp, hn, bp, bn) => {
        try {
          io.upstream(id, text.decode(view(hp, hn)), bn ? view(bp, bn).slice() : null);
          return 0;
        } catch (e) {
          aborts.delete(id);
          return io.hold(encoder.encode(errorText(e)));
        }
      },
      abort: (id) => {
        try {
          aborts.get(id)?.abort();
        } catch {}
      },
    },
  };
  return io;
}

const text = new TextDecoder();
const encoder = new TextEncoder();

// headerNames reads a list of header names Go handed over ("a,b,c"), each a valid name, so that
// Headers.get never throws on one.
function headerNames(list) {
  if (typeof list !== "string") throw new Error("edge: app.wasm did not start its request dispatcher");
  const names = list.split(",").filter(Boolean);
  for (const n of names) {
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(n)) throw new Error("edge: app.wasm handed over an invalid header name: " + JSON.stringify(n));
  }
  return names;
}

// upstream is the gateway's transport to the Wallex API (Go's upstreamTransport in
// transport_js.go): one POST, not following redirects, abortable through the abort import (Go
// calls it from the request's own goroutine when the request's context ends). head is "url\n"
// then "name\nvalue\n" header lines; body is bytes or null. The answer goes back in one
// SIG_FETCHED signal: the status, the header lines in one slot and the body in another, or the
// status -1 (no answer came) or -2 (the body could not be read) and the message. It throws
// (before anything is sent) when fetch refuses the URL or init: the headers are made a Headers
// here, so that a name or value fetch would refuse throws now (Go: not sent) instead of
// rejecting the fetch's promise (Go: no answer, which may have been sent).
function upstream(inst, io, id, head, body) {
  const i = head.indexOf("\n");
  const url = head.slice(0, i);
  const headers = new Headers(headerLines(head, i + 1));
  const ac = new AbortController();
  const p = fetch(url, { method: "POST", headers, body, redirect: "manual", signal: ac.signal });
  io.aborts.set(id, ac);
  const fetched = (status, lines, bytes) => {
    io.aborts.delete(id);
    const slot = io.hold(encoder.encode(lines));
    const bodySlot = bytes?.byteLength ? io.hold(bytes) : 0;
    let taken = false;
    try {
      taken = inst.signal(SIG_FETCHED, id, status, 0, slot, bodySlot);
      if (!taken) console.error("edge: internal error: Go did not take an upstream answer"); // its request ends at its deadline
    } catch (e) {
      console.error("edge: internal error: " + errorText(e)); // the instance has stopped: its requests fail
    }
    if (!taken) {
      io.forget(slot);
      io.forget(bodySlot);
    }
  };
  p.then(
    async (res) => {
      let out;
      try {
        out = new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        fetched(-2, res.status + " " + errorText(e));
        return;
      }
      // Only the headers core reads (core.AnswerHeaders, handed over by Go at start): any other
      // would cost a copy on both sides for nothing.
      let h = "";
      for (const k of inst.answerHeaders) {
        const v = res.headers.get(k);
        if (v !== null) h += k + "\n" + v + "\n";
      }
      fetched(res.status, h, out);
    },
    (e) => fetched(-1, errorText(e)),
  );
}

function errorText(e) {
  let s = e && e.name ? e.name + ": " : "";
  s += String((e && e.message) || e);
  const c = e && e.cause;
  if (c && (c.code || c.message)) s += " (" + (c.code || c.message) + ")";
  return s;
}

function jsonError(status, code, message, retryable) {
  return new Response(JSON.stringify({ error: message, code, retryable }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

// headerLines reads the "name\nvalue\n" lines of s from i on (Go's joinHeaders writes them, one
// line per name) into a plain object (no prototype: any name is an own key), which fetch and
// Response take as they take Headers.
function headerLines(s, i = 0) {
  const headers = Object.create(null);
  while (i < s.length) {
    const j = s.indexOf("\n", i);
    const k = s.indexOf("\n", j + 1);
    headers[s.slice(i, j)] = s.slice(j + 1, k);
    i = k + 1;
  }
  return headers;
}

// toResponse reads Go's answer: its header lines, and the body.
function toResponse(status, head, body) {
  const headers = headerLines(head);
  const nullBody = status === 204 || status === 304 || status === 101;
  return new Response(nullBody ? null : body, { status, headers });
}

const noBody = new Set(["GET", "HEAD", "OPTIONS"]);

// The largest body the gateway reads (the Go side checks it too: gateway.MaxBody).
const MAX_BODY = 64 * 1024;

// readBody returns the body (null when empty), or undefined when it is larger than MAX_BODY,
// without reading more than that.
async function readBody(request) {
  const declared = request.headers.get("content-length");
  if (declared === "0") return null;
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
    // The env Go is handed: the one it was built from at load when the runtime offers it (the same
    // bindings as this request's env, in another object, which would make Go build it again).
    const goEnv = loadEnv ?? env;
    let inst;
    try {
      // EDGE_INSTANCE_PER_REQUEST=1 (benchmarks only) starts a new Go instance for every request,
      // as the stock syumai/workers glue does, to measure what the shared instance saves.
      inst = env.EDGE_INSTANCE_PER_REQUEST === "1" ? startInstance(goEnv) : instance(goEnv);
    } catch (e) {
      console.error("edge: cannot start the Go instance: " + (e && e.message));
      return jsonError(500, "internal", "the gateway could not start", true);
    }
    const method = request.method;
    let body = null;
    if (!noBody.has(method) && request.body !== null) {
      body = await readBody(request);
      if (body === undefined) return jsonError(413, "body_too_large", "the request body is larger than 64 KiB", false);
    }
    // Only the headers Go reads cross (gateway.RequestHeaders, handed over by Go at start).
    let head = method + "\n" + request.url + "\n";
    for (const k of inst.wanted) {
      const v = request.headers.get(k);
      if (v !== null) head += k + "\n" + v + "\n";
    }
    const id = nextId;
    nextId = next(nextId);
    const hardMs = Number(env.EDGE_DEADLINE_MS) > 0 ? Number(env.EDGE_DEADLINE_MS) : DEADLINE_MS;
    // EDGE_SOFT_MARGIN_MS (tests only) overrides the margin; a negative one turns the soft
    // deadline off, to test the hard one.
    const margin = env.EDGE_SOFT_MARGIN_MS !== undefined && env.EDGE_SOFT_MARGIN_MS !== "" ? Number(env.EDGE_SOFT_MARGIN_MS) : Math.min(MAX_MARGIN_MS, Math.floor(hardMs / 4));
    const softMs = margin < 0 ? hardMs : hardMs - margin;
    const arrived = Date.now();
    return new Promise((resolve) => {
      // One timer at a time: the soft deadline's, then the hard one's. A finished request's
      // timer is not cleared: clearing it cost about 100 µs of workerd's CPU a request (measured
      // side by side), workerd drops the timers of a request that has ended, and a callback of a
      // finished request does nothing.
      let unsafe = 0; // Go says whether the request may move money (1) or create a payment (2: a checkout)
      const finish = (res) => {
        if (!pending.has(id)) return; // answered already
        pending.delete(id);
        resolve(res);
      };
      const failed = () => finish(unsafe ? unknownOutcome(arrived, arrived + hardMs, unsafe) : jsonError(500, "internal", "internal error", true));
      const onHard = () => {
        if (!pending.has(id)) return;
        // Answer first: cancelling runs the request's Go code at once, which then answers too late.
        finish(unsafe ? unknownOutcome(arrived, arrived + hardMs, unsafe) : jsonError(504, "timeout", "the gateway did not answer in time", true));
        try {
          inst.signal(SIG_CANCEL, id, 0, 0, 0, 0);
        } catch {}
      };
      if (margin >= 0) {
        setTimeout(() => {
          if (!pending.has(id)) return;
          setTimeout(onHard, Math.max(0, arrived + hardMs - Date.now()));
          try {
            inst.signal(SIG_CANCEL, id, 1, 0, 0, 0);
          } catch {}
        }, softMs);
      } else {
        setTimeout(onHard, hardMs);
      }
      pending.set(id, {
        inst,
        started: (u) => (unsafe = u),
        respond: (status, head, out) => finish(toResponse(status, head, out)),
        fail: failed,
      });
      try {
        // Set right before the signal: another request may have come in while this one read its body.
        handEnv(inst, goEnv);
        const taken = signalRequest(inst, id, softMs, hardMs, head, body);
        body = null; // held for Go now; the timers' closures must not keep it
        if (!taken) throw new Error("Go did not take the request");
      } catch (e) {
        console.error("edge: internal error: " + (e && e.message));
        failed(); // outcome unknown when Go had said the request may move money
      }
    });
  },
};

// unknownOutcome is the glue's own answer for a request Go marked unsafe (gateway.UnsafeKind) that
// did not finish: it may have been carried out, so it must not be sent again as it is. A money
// call is reconciled first (POST /v1/reconcile with its own fields and these times); a checkout
// (kind 2) comes from a storefront, which holds no gateway token: it is sent again with the same
// order_id, which never makes a second payment.
function unknownOutcome(sentAt, deadline, kind) {
  return new Response(
    JSON.stringify({
      error: kind === UNSAFE_CHECKOUT
        ? "the gateway did not finish this checkout: its payment may have been created; do not start another payment for the order: with an order_id, send the same checkout again with the same order_id (the gateway answers the payment it made, never a second one); without one, ask the merchant to look for it"
        : "the gateway did not finish this request: it may have been carried out; do not send it again, reconcile first (POST /v1/reconcile with its fields, sent_at and deadline)",
      code: "outcome_unknown",
      retryable: false,
      sent_at: new Date(sentAt).toISOString(),
      deadline: new Date(deadline).toISOString(),
    }),
    { status: 502, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } },
  );
}

// warmAtLoad hands the started instance the Worker's env, then warms it up with work that never
// leaves the isolate:
// - WARM_REQUESTS requests through the exchange: GET /v1/health, and POST
//   /v1/call/get_basic_info with a bearer that is no gateway token (answered 401 by Go before
//   anything else: no Durable Object, no upstream call, no timer);
// - WARM_CALLS get_basic_info calls through a gateway of Go's own (SIG_WARM, gateway.WarmUp): its
//   own configuration and token, its key state in memory, an API answered with fixed bytes.
// So the first real request finds
// - state: the gateway built from its configuration (its problems logged at load), the request
//   goroutines made and their stacks grown, the heap grown;
// - its path's code optimised: V8 moves a wasm function from its baseline compiler (Liftoff) to
//   its optimising one (TurboFan) once it has run enough, and only optimised code survives what
//   every new isolate in a workerd process does: workerd's Worker::Isolate constructor sends V8 a
//   moderate memory-pressure notification (its comment: in production "every machine is
//   handling thousands of tenants"), and V8's wasm engine, one per process, then drops the
//   baseline code of every module. A single request leaves the code baseline.
// Measured (docs/benchmarks.md, tenth round): the first get_basic_info on a fresh instance about
// 11 ms faster (54 ms against 65 ms, medians of 24 alternating instances), for about 34 ms more at
// load (41-48 ms for the warm-up against 7-14 ms for one health check), most of it the first run of
// the call's code; with V8's tier-up turned off the gain is gone.
// It runs without the seed and timer stand-ins of Go's start: work that asked for random bytes
// or a timer here would throw, end this instance, and leave the first request to start a new one
// (fail closed: nothing unique is ever made from Math.random). Where the runtime has no env at
// load, the first request builds the gateway, as before.
function warmAtLoad(inst) {
  if (!inst || !loadEnv) return;
  try {
    handEnv(inst, loadEnv);
    for (let i = 0; i < WARM_REQUESTS && !inst.dead; i++) {
      const id = nextId;
      nextId = next(nextId);
      pending.set(id, { inst, started() {}, respond() {}, fail() {} });
      try {
        if (!signalRequest(inst, id, WARM_MS, WARM_MS, WARM_HEADS[i % WARM_HEADS.length], null)) break;
      } finally {
        pending.delete(id); // answered by now (neither waits on anything); a late answer finds no entry
      }
    }
    if (!inst.dead) inst.signal(SIG_WARM, 0, WARM_CALLS, 0, 0, 0);
  } catch (e) {
    console.error("edge: could not build or warm up the gateway at load, the first request will build it: " + errorText(e));
  }
}

const WARM_REQUESTS = 64;
const WARM_CALLS = 64;
const WARM_HEADS = [
  "GET\nhttp://load.invalid/v1/health\n",
  // A comma: GATEWAY_TOKENS is a comma-separated list, so no configured token can be this one.
  "POST\nhttp://load.invalid/v1/call/get_basic_info\nauthorization\nBearer load-time,warm-up\n",
];
const WARM_MS = 1000; // the load-time requests' deadlines: no timer enforces them (Workers set none at load)

// handEnv makes env the one Go holds, when it is not already: Go reads it on SIG_ENV and builds
// the gateway from it on its next request (workerd hands every request of an isolate the same
// object, so this happens once).
function handEnv(inst, env) {
  if (inst.env === env) return;
  inst.context.env = env;
  if (!inst.signal(SIG_ENV, 0, 0, 0, 0, 0)) throw new Error("Go did not take the environment");
  inst.env = env;
}

// signalRequest hands Go request id: its head ("METHOD\nURL\n" and header lines) and body
// (bytes, or null) in slots, its soft and hard deadlines in ms. False: Go did not take it (its
// slots are freed).
function signalRequest(inst, id, softMs, hardMs, head, body) {
  const headSlot = inst.io.hold(encoder.encode(head));
  const bodySlot = body ? inst.io.hold(body) : 0;
  if (inst.signal(SIG_REQUEST, id, softMs, hardMs, headSlot, bodySlot)) return true;
  inst.io.forget(headSlot);
  inst.io.forget(bodySlot);
  return false;
}

// Last, once every declaration above is made: Go's start, and the gateway's build, at load.
current = startAtLoad();
warmAtLoad(current);
