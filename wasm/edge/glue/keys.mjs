// The KeyState Durable Object (binding KEY_STATE): one object per API key, named
// "key:<api url>|<public key>" (core.Client.StoreKey). It holds the key's bearer token, with a
// login lease so that isolates starting together log in once, its nonce high-water mark, and the
// nonce sequencer: in nonce mode every nonce-bearing call of the key is sent from here, one at a
// time, in strictly increasing nonce order, whichever isolate made it. Go's side:
// gateway.KeyState (internal/gateway/platform.go), implemented in platform_js.go.
//
// Every decision is Go's: when a token needs renewal (refresh_at, saved with it), which nonce a
// call carries. This class stores what Go decided and keeps the order. A Durable Object runs one
// event at a time and closes its input gate during storage calls, so each method is atomic
// except across the awaits on fetch (where nonceCall holds its own queue) and the waits for a
// token.
import { DurableObject } from "cloudflare:workers";

export class KeyState extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.serialQueue = Promise.resolve();
    this.leaseUntil = 0;
    this.leaseTimer = null;
    this.tokenWaiters = []; // {resolve, leaseMs, until}: callers waiting for a token, in order
    this.calls = new Map(); // nonce call id -> "queued" | "sent" | "abandoned"
    this.lastPrune = 0;
  }

  // ---- token ---------------------------------------------------------------------------------

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

  // ---- nonces --------------------------------------------------------------------------------

  async loadNonce() {
    return (await this.ctx.storage.get("nonce")) ?? 0;
  }

  async saveNonce(n) {
    const cur = (await this.ctx.storage.get("nonce")) ?? 0;
    if (n > cur) await this.ctx.storage.put("nonce", n);
  }

  // nonceCall sends one nonce-bearing API request, in one call from Go: call = {id, url,
  // headers, head, tail, nonce, deadline (epoch ms)}. The body is head + the nonce + tail; nonce
  // is the one Go chose by core's rule (max(last + 1, unix ms), from what this isolate last saw),
  // the floor of the one sent. Calls run one at a time in arrival order (serial queue), so the
  // API never sees two nonce-bearing requests of this key at once. When its turn comes a call is
  //   - not sent, {not_sent}, if its caller abandoned it or its deadline passed;
  //   - otherwise sent with nonce max(Go's, the last one sent or stored + 1): strictly above every
  //     nonce this key sent, and no lower than Go's choice; the new mark, the nonce sent and the
  //     call's id are stored before the request leaves (a crash never reuses a nonce, and
  //     abandon() still knows it left). The fetch is bounded by the time left to its deadline:
  //     {status, headers, body, nonce}, or {send_error, nonce} when no answer came back.
  // One Durable Object call per nonce-bearing request: Go no longer reads and saves the mark
  // around it (loadNonce/saveNonce stay for isolates of an older deployment), and a call never
  // comes back to be queued again because another isolate's call took its nonce.
  //
  // call.body instead of head/tail (isolates of an older deployment): the body as it is, sent
  // only if its nonce is above the last one sent, else {stale: last}, and Go queues it again.
  nonceCall(call) {
    if (this.calls.get(call.id) === "abandoned") return { not_sent: "its caller stopped waiting" };
    this.calls.set(call.id, "queued");
    return this.serial(async () => {
      try {
        const [mark, sent, rec, fenced] = await Promise.all([
          this.ctx.storage.get("nonce"),
          this.ctx.storage.get("nonce_sent"),
          this.ctx.storage.get("call:" + call.id),
          this.ctx.storage.get("fenced"),
        ]);
        if (this.calls.get(call.id) === "abandoned" || rec !== undefined) return { not_sent: "its caller stopped waiting before its turn" };
        // A reconcile's fence proves that the request it settles is never carried out after it: a
        // request made before the fence (held on its way here, with no nonce yet) is refused. The
        // times are the isolates' clocks; the request a reconcile settles was made at least an
        // answer's round trip before it, far more than they differ.
        if (!call.fence && call.created > 0 && fenced !== undefined && call.created < fenced) {
          return { not_sent: "a reconcile's nonce fence ran after it was made, so it is never sent; send it again if it is still wanted" };
        }
        const now = Date.now();
        if (!(now < call.deadline)) return { not_sent: "its deadline passed before its turn" };
        let nonce = call.nonce;
        let body = call.body;
        if (body === undefined) {
          // exact: core's resend after a 401 carries its first copy's nonce, sent as it is (the
          // API refuses it if that copy was carried out); any other call is raised above the last.
          nonce = call.exact ? call.nonce : Math.max(call.nonce, Math.max(mark ?? 0, sent ?? 0) + 1);
          body = call.head + nonce + call.tail;
        } else if (!(call.nonce > (sent ?? 0))) {
          return { stale: sent ?? 0 };
        }
        this.calls.set(call.id, "sent");
        const put = { nonce: Math.max(mark ?? 0, nonce), nonce_sent: Math.max(sent ?? 0, nonce), ["call:" + call.id]: { at: now } };
        if (call.fence && call.created > 0) put.fenced = Math.max(fenced ?? 0, call.created);
        await this.ctx.storage.put(put);
        let res;
        try {
          res = await fetch(call.url, {
            method: "POST",
            headers: call.headers,
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(Math.max(1, call.deadline - Date.now())),
          });
          const out = new Uint8Array(await res.arrayBuffer());
          return { status: res.status, headers: headerLines(res.headers), body: out, nonce };
        } catch (e) {
          return { send_error: "the request was sent but no answer came back: " + String((e && e.message) || e).slice(0, 200), nonce };
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
      // Stored too, before the answer: the in-memory mark alone is dropped by prune() (and by a
      // restart of this object), and the call's turn would then find nothing and send it, after
      // its caller was told it never would.
      await this.ctx.storage.put("call:" + id, { at: Date.now(), abandoned: true });
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
}

function headerLines(headers) {
  let s = "";
  for (const [k, v] of headers) s += k + ":" + v + "\n";
  return s;
}
