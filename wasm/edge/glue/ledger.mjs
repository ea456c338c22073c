// The Ledger Durable Object class (binding LEDGER): the gateway's records. Go's side:
// gateway.Ledger (internal/gateway/platform.go), implemented in platform_js.go, which picks the
// object by what it asks:
//   ledger        IPN ids seen and the last status per payment, the event log for /v1/events,
//                 and the forwarding queue (delivered by the alarm);
//   shard:<n>     storefront orders (order:<id>, written by compare-and-set on a version) and
//                 payments the gateway created (txn:<id>), spread over a fixed number of shards
//                 by Go (platform_js.go's ledgerShard), so that checkouts do not queue behind one
//                 object and objects stay warm (one object per order would start a new one, with
//                 its own storage, for every checkout).
//
// Every decision is Go's (ipn.Tracker: dedupe and the status order; the order states; the
// shard). This class stores what Go decided and makes the steps that must be atomic atomic: a
// Durable Object runs one event at a time and closes its input gate during storage calls, so
// each method below is atomic (the alarm's forwards excepted, which only touch the queue and the
// events' state).
//
// This class was EdgeState (one class for keys, ledger and rate limits) before each role got its
// own: wrangler.jsonc renames EdgeState to Ledger, so a deployment keeps its object "ledger",
// which also holds the orders and payments recorded before the shards. While LEGACY_LEDGER is not
// "0", each shard copies them all (see importLegacy) before it first answers: a retried order
// must find its first attempt wherever it was recorded. Go reads each id from one shard only, so
// the copies in the others are never read.
import { DurableObject } from "cloudflare:workers";

const enc = new TextEncoder();
const pad = (n) => String(n).padStart(16, "0");

export class Ledger extends DurableObject {
  // ---- payments and orders (objects "shard:<n>") -------------------------------------------

  async putTxn(id, rec) {
    await this.importLegacy();
    await this.ctx.storage.put("txn:" + id, rec);
  }

  async getTxn(id) {
    await this.importLegacy();
    return (await this.ctx.storage.get("txn:" + id)) ?? null;
  }

  async getOrder(id) {
    await this.importLegacy();
    const r = await this.ctx.storage.get("order:" + id);
    return r === undefined ? null : JSON.stringify(r);
  }

  // putOrder stores rec (JSON) as order id's record if its version is still expectV (0: none),
  // with version expectV + 1: a compare-and-set, so two requests for one order never both
  // create its payment.
  async putOrder(id, expectV, rec) {
    await this.importLegacy();
    const cur = await this.ctx.storage.get("order:" + id);
    if ((cur?.v ?? 0) !== expectV) return { ok: false, current: cur === undefined ? null : JSON.stringify(cur) };
    const next = JSON.parse(rec);
    next.v = expectV + 1;
    await this.ctx.storage.put("order:" + id, next);
    return { ok: true, current: null };
  }

  // importLegacy copies, once per shard, the orders and payments the object "ledger" recorded
  // before v2 (records this shard already has are kept). Calls that arrive meanwhile wait for the
  // same copy; a failed copy is tried again by the next call, which fails (503, retryable) rather
  // than answer without it.
  importLegacy() {
    if (this.env.LEGACY_LEDGER === "0") return;
    this.imported ??= (async () => {
      if ((await this.ctx.storage.get("legacy_imported")) !== undefined) return;
      const legacy = this.env.LEDGER.get(this.env.LEDGER.idFromName("ledger"));
      for (const prefix of ["order:", "txn:"]) {
        let after;
        for (;;) {
          const page = await legacy.legacyPage(prefix, after, 128);
          if (page.length === 0) break;
          const have = await this.ctx.storage.get(page.map(([k]) => k));
          const writes = {};
          for (const [k, v] of page) if (!have.has(k)) writes[k] = v;
          if (Object.keys(writes).length) await this.ctx.storage.put(writes);
          after = page[page.length - 1][0];
        }
      }
      await this.ctx.storage.put("legacy_imported", Date.now());
    })().catch((e) => {
      this.imported = undefined;
      throw e;
    });
    return this.imported;
  }

  // legacyPage (object "ledger") lists up to limit records under prefix after the key after.
  async legacyPage(prefix, after, limit) {
    const opts = { prefix, limit };
    if (after !== undefined) opts.startAfter = after;
    return [...(await this.ctx.storage.list(opts))];
  }

  // ---- idempotency keys of /v1/call (objects "shard:<n>", by Go's hash of the record id) ----

  // claimIdem stores rec (JSON, Go's) as the record of idempotency id unless one younger than
  // ttlMs exists: then it changes nothing and answers that record. One atomic step (the read
  // and the write only await storage), so two copies of a request never both go ahead.
  async claimIdem(id, claim, rec, ttlMs) {
    const k = "idem:" + id;
    const now = Date.now();
    const cur = await this.ctx.storage.get(k);
    if (cur !== undefined && now - cur.at < ttlMs) return { ok: false, current: cur.rec };
    await this.ctx.storage.put({ [k]: { at: now, claim, rec }, ["idemx:" + pad(now) + ":" + id]: 1 });
    await this.pruneIdem(now, ttlMs);
    return { ok: true, current: null };
  }

  // settleIdem replaces record id with rec (null: deletes it) if it is still the one claim made.
  async settleIdem(id, claim, rec) {
    const k = "idem:" + id;
    const cur = await this.ctx.storage.get(k);
    if (cur === undefined || cur.claim !== claim) return false;
    if (rec === null) await this.ctx.storage.delete(k);
    else await this.ctx.storage.put(k, { at: cur.at, claim, rec });
    return true;
  }

  // pruneIdem deletes records older than ttlMs, found through their time index (idemx:<ms>:<id>),
  // at most every ten minutes (or ttlMs, when shorter) and 128 at a time.
  async pruneIdem(now, ttlMs) {
    if (now - (this.idemPruned ?? 0) < Math.min(600_000, ttlMs)) return;
    this.idemPruned = now;
    const old = await this.ctx.storage.list({ prefix: "idemx:", end: "idemx:" + pad(now - ttlMs), limit: 128 });
    if (old.size === 0) return;
    const del = [...old.keys()];
    const ids = del.map((x) => "idem:" + x.slice(x.indexOf(":", 6) + 1));
    const recs = await this.ctx.storage.get(ids);
    for (const [k, v] of recs) if (now - v.at >= ttlMs) del.push(k);
    await this.ctx.storage.delete(del);
  }

  // ---- IPNs ----------------------------------------------------------------------------------

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

  // ---- events and forwarding ---------------------------------------------------------------

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
    // Not setAlarm: a forward committed while this handler waited on a fetch (the input gate is
    // open then) set the alarm for now, and overwriting it with another event's retry time
    // would hold the new forward back behind that event's backoff (up to 5 minutes).
    if (nextAt < Infinity) await this.armAlarm(nextAt);
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

function hex(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += b.toString(16).padStart(2, "0");
  return s;
}
