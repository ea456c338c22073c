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
// start-up and a cold token cache. Here the instance lives as long as the isolate and each
// request is one call into it: binding.handle(env, head, body, id, softMs, hardMs), answered by
// Go's call of binding.respond(id, status, out).
import "./wasm_exec.js";
import wasmModule from "./app.wasm";

export { KeyState } from "./keys.mjs";
export { Ledger } from "./ledger.mjs";
export { Limiter } from "./limiter.mjs";

// A request's deadlines (EDGE_DEADLINE_MS overrides the hard one, for tests). At the soft one the
// glue cancels the request's upstream context (binding.cancel(id, true)): Go aborts its calls to
// the Wallex API and still answers what it knows (an unknown outcome with what reconcile needs).
// At the hard one the glue answers by itself and cancels the request. Both timers run in the
// request's own event, so the Go code they wake does its I/O for the right request.
const DEADLINE_MS = 28_000;
const MAX_MARGIN_MS = 3_000; // soft deadline = hard - min(3 s, hard / 4)

let current = null; // { go, context, binding, env } of the running Go instance
let nextId = 1;
// Requests in flight in the current instance: id -> { respond(status, out), fail() }.
const pending = new Map();

function instance(env) {
  if (current) return current;
  current = startInstance(env);
  return current;
}

// Prepared when the module loads (global scope, before the first request: on Cloudflare while
// the TLS handshake of that request is still going on): the Go object and the instantiated
// module, so the first request only starts the Go runtime. The runtime itself cannot start here:
// Workers refuse crypto.getRandomValues and timers in the global scope, and Go needs both to
// start. One thing in wasm_exec.js must not be fixed here: its monotonic clock's origin
// (Date.now() - performance.now(), taken when the Go object is made), since the clocks may stand
// still or start at 0 in the global scope; nanotime1 takes it on its first call instead (the
// runtime's start, in the first request).
let prepared = prepare();

function prepare() {
  try {
    const go = new Go();
    let origin;
    go.importObject.gojs["runtime.nanotime1"] = (sp) => {
      sp >>>= 0;
      origin ??= Date.now() - performance.now();
      const v = (origin + performance.now()) * 1000000;
      go.mem.setUint32(sp + 8, v, true);
      go.mem.setUint32(sp + 12, Math.floor(v / 4294967296), true);
    };
    return { go, wasm: new WebAssembly.Instance(wasmModule, go.importObject) };
  } catch (e) {
    console.error("edge: could not prepare the Go instance at load, the first request will: " + (e && e.message));
    return null;
  }
}

function startInstance(env) {
  const ready = prepared; // used once; a later instance (after a crash, or one per request) is made anew
  prepared = null;
  const go = ready ? ready.go : new Go();
  // syumai/workers' wasm_exec.js shows this object to Go as the global `context`. Go sets
  // binding.handle, binding.cancel and binding.fetched; the glue gives it binding.respond (a
  // request's answer), binding.fetch and binding.abort (the upstream transport, see below). Every
  // JS object or string handed to Go costs a finalizer there, so the functions Go calls are these
  // long-lived ones, and a request and its upstream call cross as packed strings.
  const aborts = new Map(); // upstream call id -> its AbortController
  const binding = {
    respond: (id, status, out) => pending.get(id)?.respond(status, out),
    fetch: (id, packed, body) => upstream(binding, aborts, id, packed, body),
    abort: (id) => aborts.get(id)?.abort(),
  };
  const context = { env, ctx: undefined, binding };
  const wasm = ready ? ready.wasm : new WebAssembly.Instance(wasmModule, go.importObject);
  const inst = { go, context, binding: context.binding, env: null };
  go.run(wasm, context).then(() => {
    // The Go program ended (a fatal error): fail what it was serving; the next request starts a
    // new instance.
    if (current === inst) current = null;
    console.error("edge: the Go instance stopped; starting a new one on the next request");
    for (const p of pending.values()) p.fail();
  });
  if (typeof inst.binding.handle !== "function") {
    throw new Error("edge: app.wasm did not register its request handler");
  }
  return inst;
}

// upstream is the gateway's transport to the Wallex API (Go's upstreamTransport in
// transport_js.go): one POST, not following redirects, abortable with binding.abort(id) (Go
// calls it from the request's own goroutine when the request's context ends). The request comes
// packed in one string, "url\n", then "name\nvalue\n" header lines, an empty line and the body
// (or the body as a Uint8Array when it is not UTF-8). The answer goes back in one call:
// binding.fetched(id, status, packed) with the header lines, an empty line and the body as text
// (binding.fetched(id, status, headerLines + "\n", bytes) when the body is not UTF-8), or
// binding.fetched(id, -1, message) when no answer came, (-2) when the body could not be read.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function upstream(binding, aborts, id, packed, bytes) {
  let i = packed.indexOf("\n");
  const url = packed.slice(0, i++);
  const headers = new Headers();
  for (;;) {
    const j = packed.indexOf("\n", i);
    if (j < 0 || j === i) {
      i = j < 0 ? packed.length : j + 1;
      break;
    }
    const k = packed.indexOf("\n", j + 1);
    headers.set(packed.slice(i, j), packed.slice(j + 1, k));
    i = k + 1;
  }
  const body = bytes ?? (i < packed.length ? packed.slice(i) : null);
  const ac = new AbortController();
  aborts.set(id, ac);
  // Throws synchronously (bad URL or init) before anything is sent: Go reports not sent.
  const p = fetch(url, { method: "POST", headers, body, redirect: "manual", signal: ac.signal });
  p.then(
    async (res) => {
      let out;
      try {
        out = await res.arrayBuffer();
      } catch (e) {
        aborts.delete(id);
        binding.fetched(id, -2, res.status + " " + errorText(e));
        return;
      }
      aborts.delete(id);
      let h = "";
      for (const [k, v] of res.headers) h += k + "\n" + v + "\n";
      let text;
      try {
        text = utf8.decode(out);
      } catch {
        binding.fetched(id, res.status, h + "\n", new Uint8Array(out));
        return;
      }
      binding.fetched(id, res.status, h + "\n" + text);
    },
    (e) => {
      aborts.delete(id);
      binding.fetched(id, -1, errorText(e));
    },
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
    // Only the headers Go reads cross (binding.headers, set by Go at start).
    inst.wanted ??= new Set(String(inst.binding.headers ?? "").split(","));
    let head = method + "\n" + request.url + "\n";
    for (const [k, v] of request.headers) if (inst.wanted.has(k)) head += k + "\n" + v + "\n";
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
      const failed = () => finish(unsafe ? unknownOutcome(arrived, arrived + hardMs) : jsonError(500, "internal", "internal error", true));
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
      pending.set(id, { respond: (status, out) => finish(toResponse(status, out)), fail: failed });
      // env crosses only when it is not the one Go already holds (workerd hands every request of
      // an isolate the same object).
      const newEnv = inst.env === env ? null : env;
      inst.env = env;
      try {
        unsafe = inst.binding.handle(newEnv, head, body, id, softMs, hardMs) === true;
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
