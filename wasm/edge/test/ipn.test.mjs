// POST /ipn in real workerd: verification on the raw body, durable dedupe, stale statuses,
// events, and forwarding with retries (the ledger Durable Object's alarm).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startSandbox, startGateway, startReceiver, signIPN, verifyForward, eventually, rnd } from './lib.mjs';

let sb, gw, rx;

before(async () => {
  sb = await startSandbox();
  rx = await startReceiver({ fail: 0 });
  gw = await startGateway(sb, { vars: { FORWARD_URL: rx.url, FORWARD_RETRY_BASE_MS: '100', FORWARD_MAX_ATTEMPTS: '4' } });
});

after(async () => {
  const leaked = gw && (await gw.leakedSecret());
  await gw?.stop();
  await rx?.close();
  await sb?.stop();
  assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
});

/** A form-encoded api IPN body for txn, as Wallex would send it. */
function ipnBody(fields) {
  const f = {
    ipn_version: '1.0', ipn_id: rnd(16), ipn_mode: 'hmac', ipn_type: 'api', merchant: sb.merchantId,
    status: '0', status_text: 'Waiting for buyer funds...', txn_id: 'CPSBTEST' + rnd(6).toUpperCase(),
    currency1: 'USD', currency2: 'BTC', amount1: '10.00000000', amount2: '0.00020000', fee: '0.00000000',
    buyer_name: '', email: 'buyer@example.com', item_name: 'Mug', item_number: 'mug', invoice: 'inv-1', custom: '',
    received_amount: '0.00000000', received_confirms: '0',
    ...fields,
  };
  return { fields: f, body: new URLSearchParams(f).toString() };
}

const post = (body, hmac) => gw.request('POST', '/ipn', {
  body,
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(hmac === undefined ? {} : { hmac }) },
});
const send = (body) => post(body, signIPN(gw.secrets.WALLEX_IPN_SECRET, body));

async function eventsFor(txn) {
  const r = await gw.request('GET', '/v1/events?limit=100', { token: gw.tokens[1] });
  assert.equal(r.status, 200, r.text);
  return r.json.events.filter((e) => e.txn_id === txn);
}

test('a valid IPN is recorded once and forwarded signed; a duplicate is 200 but nothing more', async () => {
  const { fields, body } = ipnBody({ status: '1', status_text: 'Funds received' });
  const first = await send(body);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.result, 'apply');

  const fwd = await eventually(() => rx.received.find((r) => JSON.parse(r.body).ipn_id === fields.ipn_id), 10000, 'the forward');
  assert.ok(verifyForward(gw.secrets.FORWARD_SECRET, fwd));
  const b = JSON.parse(fwd.body);
  assert.deepEqual(b, {
    ipn_id: fields.ipn_id, type: 'api', status: 1, status_text: 'Funds received', txn_id: fields.txn_id,
    first_paid: false, checkout: false, fields, // a made-up payment: not one this gateway's checkout created
  });

  for (let i = 0; i < 2; i++) {
    const again = await send(body);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.result, 'duplicate');
  }
  // Concurrent redeliveries too.
  const many = await Promise.all(Array.from({ length: 5 }, () => send(body)));
  assert.ok(many.every((r) => r.status === 200 && r.json.result === 'duplicate'), JSON.stringify(many.map((r) => r.text)));

  await new Promise((r) => setTimeout(r, 400)); // give a wrong second forward time to show up
  assert.equal((await eventsFor(fields.txn_id)).length, 1);
  assert.equal(rx.received.filter((r) => JSON.parse(r.body).ipn_id === fields.ipn_id).length, 1);
});

test('tampered, unsigned and mis-signed IPNs are 401; another merchant is 403; malformed is 400', async () => {
  const { fields, body } = ipnBody({ status: '100', status_text: 'Complete' });
  const sig = signIPN(gw.secrets.WALLEX_IPN_SECRET, body);

  const tampered = await post(body.replace('amount1=10.00000000', 'amount1=99.00000000'), sig);
  assert.equal(tampered.status, 401, tampered.text);
  assert.equal(tampered.json.code, 'bad_signature');

  const unsigned = await post(body);
  assert.equal(unsigned.status, 401);
  assert.match(unsigned.json.error, /missing HMAC/);

  const wrongKey = await post(body, signIPN('not-the-secret', body));
  assert.equal(wrongKey.status, 401);
  const shortSig = await post(body, 'abcd');
  assert.equal(shortSig.status, 401);

  const other = ipnBody({ merchant: 'someone-else' });
  const foreign = await send(other.body);
  assert.equal(foreign.status, 403, foreign.text);
  assert.equal(foreign.json.code, 'merchant_mismatch');

  for (const bad of ['ipn_version=1.0&merchant=' + sb.merchantId, 'not a form %zz', ipnBody({ ipn_mode: 'httpauth' }).body, ipnBody({ status: 'paid' }).body]) {
    const r = await send(bad);
    assert.equal(r.status, 400, `${bad} -> ${r.text}`);
    assert.equal(r.json.code, 'malformed');
  }
  const get = await gw.request('GET', '/ipn');
  assert.equal(get.status, 405);

  assert.equal((await eventsFor(fields.txn_id)).length, 0, 'nothing rejected was recorded');
});

test('a stale status after a final one is 200 and ignored', async () => {
  const txn = 'CPSBSTALE' + rnd(4).toUpperCase();
  const complete = ipnBody({ txn_id: txn, status: '100', status_text: 'Complete' });
  const pending = ipnBody({ txn_id: txn, status: '0', status_text: 'Waiting' });
  const cancelled = ipnBody({ txn_id: txn, status: '-1', status_text: 'Cancelled' });
  assert.equal((await send(complete.body)).json.result, 'apply');
  for (const late of [pending, cancelled]) {
    const r = await send(late.body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result, 'stale');
  }
  const evs = await eventsFor(txn);
  assert.deepEqual(evs.map((e) => e.status), [100]);
});

test('forwarding retries with backoff until the receiver takes it', async () => {
  const flaky = await startReceiver({ fail: 2 });
  // A second gateway (same sandbox) whose receiver fails twice first.
  const gw2 = await startGateway(sb, { vars: { FORWARD_URL: flaky.url, FORWARD_RETRY_BASE_MS: '150', FORWARD_MAX_ATTEMPTS: '5' } });
  try {
    const { fields, body } = ipnBody({ status: '100', status_text: 'Complete' });
    const r = await gw2.request('POST', '/ipn', { body, headers: { hmac: signIPN(gw2.secrets.WALLEX_IPN_SECRET, body) } });
    assert.equal(r.status, 200, r.text);
    const ev = await eventually(async () => {
      const e = (await gw2.request('GET', '/v1/events', { token: gw2.tokens[0] })).json.events.find((x) => x.ipn_id === fields.ipn_id);
      return e && e.forward.state === 'delivered' && e;
    }, 15000, 'delivery after retries');
    assert.equal(ev.forward.attempts, 3);
    assert.deepEqual(flaky.received.map((x) => x.answered), [500, 500, 200]);
    assert.ok(flaky.received.every((x) => verifyForward(gw2.secrets.FORWARD_SECRET, x)));
    assert.ok(flaky.received.every((x) => x.body === flaky.received[0].body), 'every attempt sends the same body');
    const gaps = flaky.received.slice(1).map((x, i) => x.at - flaky.received[i].at);
    assert.ok(gaps[0] >= 120 && gaps[1] >= 250, `backoff doubles: ${gaps}`);

    // A receiver that never takes it: the event ends up failed after FORWARD_MAX_ATTEMPTS.
    await flaky.close();
    const second = ipnBody({ status: '100', status_text: 'Complete' });
    await gw2.request('POST', '/ipn', { body: second.body, headers: { hmac: signIPN(gw2.secrets.WALLEX_IPN_SECRET, second.body) } });
    const failed = await eventually(async () => {
      const e = (await gw2.request('GET', '/v1/events', { token: gw2.tokens[0] })).json.events.find((x) => x.ipn_id === second.fields.ipn_id);
      return e && e.forward.state === 'failed' && e;
    }, 20000, 'the forward to give up');
    assert.equal(failed.forward.attempts, 5);
    assert.ok(failed.forward.last_error);
  } finally {
    const leaked = await gw2.leakedSecret();
    await gw2.stop();
    await flaky.close().catch(() => {});
    assert.equal(leaked, null);
  }
});

test('/v1/events pages with a cursor and needs a gateway token', async () => {
  const txn = 'CPSBPAGE' + rnd(4).toUpperCase();
  for (const st of ['0', '1', '100']) assert.equal((await send(ipnBody({ txn_id: txn, status: st }).body)).status, 200);
  const all = (await gw.request('GET', '/v1/events?limit=100', { token: gw.tokens[0] })).json;
  const n = all.events.length;
  assert.ok(n >= 3);
  let after = '0';
  const seen = [];
  for (;;) {
    const r = await gw.request('GET', `/v1/events?after=${after}&limit=2`, { token: gw.tokens[0] });
    assert.equal(r.status, 200, r.text);
    seen.push(...r.json.events.map((e) => e.cursor));
    if (!r.json.has_more) break;
    after = r.json.next_cursor;
  }
  assert.deepEqual(seen, all.events.map((e) => e.cursor));
  const tail = await gw.request('GET', `/v1/events?after=${all.next_cursor}`, { token: gw.tokens[0] });
  assert.deepEqual(tail.json, { events: [], next_cursor: all.next_cursor, has_more: false });

  for (const q of ['after=-1', 'after=abc', 'limit=0', 'limit=101', 'limit=x', 'after=%zz']) {
    const r = await gw.request('GET', '/v1/events?' + q, { token: gw.tokens[0] });
    assert.equal(r.status, 400, `${q} -> ${r.text}`);
    assert.match(r.json.error, /after|limit|query/);
  }
  assert.equal((await gw.request('GET', '/v1/events')).status, 401);
  assert.equal((await gw.request('GET', '/v1/events', { token: 'nope' })).status, 401);
});

// A new IPN's forward, queued while the alarm handler is waiting on another event's forward, goes
// out at once: the handler's closing setAlarm (the other event's retry, after its backoff) must not
// push back the alarm the new commit set for now.
test('a forward queued while the alarm runs is not held behind another event\'s retry backoff', async () => {
  const got = [];
  let release;
  const held = new Promise((r) => (release = r));
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const b = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      got.push({ ipn_id: b.ipn_id, at: Date.now() });
      if (got.length === 1) {
        await held; // the alarm handler waits on this first forward...
        res.writeHead(500).end('try later'); // ...which then fails: its retry is 30 s away
      } else res.writeHead(200).end('{}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/hooks`;
  const gw3 = await startGateway(sb, { vars: { FORWARD_URL: url, FORWARD_RETRY_BASE_MS: '30000', FORWARD_MAX_ATTEMPTS: '3' } });
  try {
    const sendTo = (b) => gw3.request('POST', '/ipn', { body: b, headers: { hmac: signIPN(gw3.secrets.WALLEX_IPN_SECRET, b) } });
    const a = ipnBody({ status: '100', status_text: 'Complete' });
    assert.equal((await sendTo(a.body)).status, 200);
    await eventually(() => got.length === 1, 10000, 'the first forward to arrive');
    const b = ipnBody({ status: '100', status_text: 'Complete' });
    assert.equal((await sendTo(b.body)).status, 200); // committed while the alarm handler waits
    const committed = Date.now();
    release();
    await eventually(() => got.some((x) => x.ipn_id === b.fields.ipn_id), 10000, 'the second event\'s forward (not 30 s later, behind the first one\'s retry)');
    assert.ok(got.find((x) => x.ipn_id === b.fields.ipn_id).at - committed < 10000);
  } finally {
    release();
    await gw3.stop();
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});
