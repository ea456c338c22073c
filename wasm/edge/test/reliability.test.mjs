// Issue #8 in real workerd against the real sandbox, beside the fault matrix: IPN order under
// concurrency, the login lease after a failed login, the merchant key's failure budget,
// per-/64 rate limits, the /v1/call field filter, the forward signature with its timestamp, the
// nonce sequencer's "not sent", the hard deadline's answer for money, and checkout order_id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, startGateway, startReceiver, signIPN, verifyForward, eventually, rnd, historyCounter } from './lib.mjs';

let sb, gw, rx;
const extra = []; // further gateways and sandboxes, stopped at the end

before(async () => {
  sb = await startSandbox();
  rx = await startReceiver();
  gw = await startGateway(sb, {
    vars: { FORWARD_URL: rx.url, ALLOW_MONEY: '1' },
    prices: { mug: { amount: '12.50', currency: 'USD', name: 'Blue mug' } },
  });
  await sb.admin('PUT', `/accounts/${sb.merchantId}/balances`, { BTC: '10' });
});

after(async () => {
  const leaked = gw && (await gw.leakedSecret());
  for (const s of extra.reverse()) await s.stop().catch(() => {});
  await gw?.stop();
  await rx?.close();
  await sb?.stop();
  assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ipnBody(fields) {
  const f = {
    ipn_version: '1.0', ipn_id: rnd(16), ipn_mode: 'hmac', ipn_type: 'api', merchant: sb.merchantId,
    status: '0', status_text: 'Waiting', txn_id: 'CPSBPAIR' + rnd(6).toUpperCase(), currency1: 'USD', currency2: 'BTC',
    amount1: '10.00000000', amount2: '0.00020000', fee: '0.00000000', buyer_name: '', email: 'b@example.com',
    item_name: 'Mug', item_number: 'mug', invoice: 'inv', custom: '', received_amount: '0', received_confirms: '0',
    ...fields,
  };
  return new URLSearchParams(f).toString();
}

test('30 concurrent pairs (complete + cancelled) for one payment: never a cancelled applied or forwarded after complete', async (t) => {
  const txns = Array.from({ length: 30 }, () => 'CPSBPAIR' + rnd(6).toUpperCase());
  const send = (body) => gw.request('POST', '/ipn', { body, headers: { 'content-type': 'application/x-www-form-urlencoded', hmac: signIPN(gw.secrets.WALLEX_IPN_SECRET, body) } });
  // Sent together, in both orders (every other pair sends the cancellation first).
  const res = await Promise.all(txns.flatMap((txn, i) => {
    const pair = [ipnBody({ txn_id: txn, status: '100', status_text: 'Complete' }), ipnBody({ txn_id: txn, status: '-1', status_text: 'Cancelled' })];
    return (i % 2 ? pair.reverse() : pair).map(send);
  }));
  assert.ok(res.every((r) => r.status === 200), res.filter((r) => r.status !== 200).map((r) => r.text).join('\n'));
  const events = (await gw.request('GET', '/v1/events?limit=100', { token: gw.tokens[0] })).json.events;
  let bothApplied = 0;
  for (const txn of txns) {
    const seq = events.filter((e) => e.txn_id === txn).map((e) => e.status);
    // The rule (ipn.Tracker): a complete after a cancelled applies; a cancelled after a complete is stale.
    assert.ok(JSON.stringify(seq) === '[100]' || JSON.stringify(seq) === '[-1,100]', `${txn}: events ${JSON.stringify(seq)}`);
    if (seq.length === 2) bothApplied++;
  }
  const forwards = await eventually(() => {
    const f = rx.received.map((r) => JSON.parse(r.body)).filter((b) => txns.includes(b.txn_id));
    return f.length === events.filter((e) => txns.includes(e.txn_id)).length && f;
  }, 15000, 'every applied notification forwarded');
  for (const txn of txns) {
    const seq = forwards.filter((b) => b.txn_id === txn).map((b) => b.status);
    assert.ok(JSON.stringify(seq) === '[100]' || JSON.stringify(seq) === '[-1,100]', `${txn}: forwards ${JSON.stringify(seq)}`);
  }
  t.diagnostic(`pairs where both applied (cancelled first, then complete): ${bothApplied}/30`);
});

test('forwards are signed over timestamp + body; the Go verifier takes them, and refuses an old or altered one', async () => {
  const body = ipnBody({ status: '1', status_text: 'Funds received' });
  const id = new URLSearchParams(body).get('ipn_id');
  const r = await gw.request('POST', '/ipn', { body, headers: { hmac: signIPN(gw.secrets.WALLEX_IPN_SECRET, body) } });
  assert.equal(r.status, 200, r.text);
  const fwd = await eventually(() => rx.received.find((x) => JSON.parse(x.body).ipn_id === id), 10000, 'the forward');
  const ts = Number(fwd.headers['x-wallexkit-timestamp']);
  assert.ok(Math.abs(ts - Date.now() / 1000) < 60, 'a current timestamp: ' + ts);
  assert.match(fwd.headers['x-wallexkit-signature'], /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifyForward(gw.secrets.FORWARD_SECRET, fwd), 'valid now');
  assert.ok(verifyForward(gw.secrets.FORWARD_SECRET, fwd, ts + 299), 'valid within 5 minutes');
  assert.ok(!verifyForward(gw.secrets.FORWARD_SECRET, fwd, ts + 301), 'refused when older than 5 minutes');
  assert.ok(!verifyForward(gw.secrets.FORWARD_SECRET, { ...fwd, headers: { ...fwd.headers, 'x-wallexkit-timestamp': String(ts + 100) } }, ts + 100),
    'a replay with a fresh timestamp does not verify: the timestamp is signed');
  assert.ok(!verifyForward(gw.secrets.FORWARD_SECRET, { ...fwd, body: fwd.body.replace('"status":1', '"status":100') }), 'an altered body');
  assert.ok(!verifyForward('not-the-secret', fwd), 'another secret');
});

test('a failed first login hands the lease on at once: one login in flight, no stampede after 5 s', async () => {
  const sb2 = await startSandbox();
  extra.push(sb2);
  const gw2 = await startGateway(sb2);
  extra.push(gw2);
  await sb2.admin('POST', '/faults', { kind: 'status', status: 503, count: 1, cmd: 'login' });
  const t0 = Date.now();
  const res = await Promise.all(Array.from({ length: 8 }, () => gw2.request('POST', '/v1/call/get_basic_info', { token: gw2.tokens[0] })));
  const elapsed = Date.now() - t0;
  const st = await sb2.stats();
  const ok = res.filter((r) => r.status === 200).length;
  assert.ok(ok >= 7, res.map((r) => r.status + ' ' + r.text).join('\n'));
  for (const r of res.filter((x) => x.status !== 200)) assert.equal(r.json.retryable, true, r.text);
  assert.equal(st.by_cmd.login, 2, 'the failed login and exactly one more: ' + JSON.stringify(st));
  assert.equal(st.logins, 1, JSON.stringify(st));
  assert.ok(elapsed < 2500, `the waiters did not sit out the 5 s lease: ${elapsed} ms`);
});

test('24 checkouts with a coin the merchant does not accept, from 3 addresses: refused by the gateway, the key is not throttled', async () => {
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  const res = [];
  for (let i = 0; i < 24; i++) {
    res.push(await gw.request('POST', '/v1/checkout', {
      body: { item: 'mug', currency2: 'ZZZ', buyer_email: 'b@example.com' },
      headers: { 'cf-connecting-ip': `203.0.113.${10 + (i % 3)}` },
    }));
  }
  assert.ok(res.every((r) => r.status === 422 && r.json.code === 'coin_not_accepted' && /ZZZ/.test(r.json.error)), res.map((r) => r.text).join('\n'));
  const st = await sb.stats();
  assert.equal(st.by_cmd.create_transaction, undefined, 'nothing reached create_transaction: ' + JSON.stringify(st));
  assert.equal(st.failed_calls, 0, JSON.stringify(st));
  assert.ok((st.by_cmd.rates ?? 0) <= 1, 'the accepted coins are read at most once a minute: ' + JSON.stringify(st));
  const bal = await gw.request('POST', '/v1/call/balances', { token: gw.tokens[0] });
  assert.equal(bal.status, 200, 'the key still works: ' + bal.text);
  const good = await gw.request('POST', '/v1/checkout', { body: { item: 'mug', currency2: 'LTC', buyer_email: 'b@example.com' }, headers: { 'cf-connecting-ip': '203.0.113.40' } });
  assert.equal(good.status, 201, 'an accepted coin still checks out: ' + good.text);
});

test('IPv6 clients share one rate limit per /64', async () => {
  const statuses = [];
  for (let i = 1; i <= 12; i++) {
    const r = await gw.request('POST', '/v1/checkout', { body: { item: 'nosuch', currency2: 'BTC', buyer_email: 'b@example.com' }, headers: { 'cf-connecting-ip': `2001:db8:77:1::${i.toString(16)}` } });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses, [...Array(10).fill(404), 429, 429], 'twelve addresses of one /64 are one client');
  const other = await gw.request('POST', '/v1/checkout', { body: { item: 'nosuch', currency2: 'BTC', buyer_email: 'b@example.com' }, headers: { 'cf-connecting-ip': '2001:db8:77:2::1' } });
  assert.equal(other.status, 404, 'another /64 is another client');
});

test('/v1/call forwards only field names of [a-z0-9_[\\]]', async () => {
  for (const name of ['Txid', 'tx-id', 'tx id', 'txid%00', 'ü']) {
    const r = await gw.request('POST', '/v1/call/get_tx_info', { token: gw.tokens[0], body: { txid: 'CPSBNOSUCH', [name]: '1' } });
    assert.equal(r.status, 400, `${name}: ${r.text}`);
    assert.equal(r.json.code, 'invalid_input');
    assert.ok(r.json.error.includes(JSON.stringify(name).slice(1, -1).slice(0, 4)), `names the field: ${r.text}`);
  }
  const st = await sb.stats();
  const ok = await gw.request('POST', '/v1/call/get_tx_info', { token: gw.tokens[0], body: { txid: 'CPSBNOSUCH', 'wd[a_1][amount]': '1' } });
  assert.notEqual(ok.json.code, 'invalid_input', 'brackets pass the filter: ' + ok.text);
  assert.equal((await sb.stats()).by_cmd.get_tx_info, (st.by_cmd.get_tx_info ?? 0) + 1, 'only the last one reached the API');
});

test('a 401 after the API carried a money call or a payment out: one operation, outcome unknown (the resend keeps its nonce)', async () => {
  // The sandbox's commit_status fault: the request is carried out, then answered 401 (as when an
  // HTTP stack's resent copy meets an expired token). Core logs in again and sends it once more
  // with the same nonce, which the API refuses when a copy was carried out. The key's sequencer
  // raised every nonce above the last one sent, which made the resend a second withdrawal (and,
  // for a checkout, a second payment).
  const count = await historyCounter(sb);
  const token = gw.tokens[0];
  assert.equal((await gw.request('POST', '/v1/call/balances', { token })).status, 200);
  const note = 'a401-' + rnd(4);
  await sb.admin('POST', '/faults', { kind: 'commit_status', status: 401, count: 1, cmd: 'create_withdrawal' });
  const w = await gw.request('POST', '/v1/call/create_withdrawal', { token, headers: { 'idempotency-key': 'op_' + rnd(12) },
    body: { amount: '0.01', currency: 'BTC', address: 'bc1qa401' + rnd(4), note, auto_confirm: 1 } });
  assert.equal(w.json?.code, 'outcome_unknown', w.text);
  assert.equal(w.json.retryable, false);
  assert.equal(await count.withdrawals(note), 1, 'exactly one withdrawal');
  const order = 'o401-' + rnd(4);
  await sb.admin('POST', '/faults', { kind: 'commit_status', status: 401, count: 1, cmd: 'create_transaction' });
  const co = await gw.request('POST', '/v1/checkout', { body: { item: 'mug', currency2: 'BTC', buyer_email: 'b@example.com', order_id: order }, headers: { 'cf-connecting-ip': '203.0.113.91' } });
  assert.notEqual(co.status, 201, 'not reported as a fresh payment: ' + co.text);
  assert.equal(await count.payments('wko-' + order), 1, 'exactly one payment for the order');
  await sb.admin('DELETE', '/faults');
});

test('a money call queued behind a slow call is not sent once its caller has gone: 503 not_sent, retryable', async () => {
  const gw3 = await startGateway(sb, { vars: { ALLOW_MONEY: '1', EDGE_UPSTREAM_TIMEOUT_MS: '800', EDGE_DEADLINE_MS: '8000' } });
  extra.push(gw3);
  assert.equal((await gw3.request('POST', '/v1/call/get_basic_info', { token: gw3.tokens[0] })).status, 200);
  const before = (await sb.stats()).by_cmd.create_withdrawal ?? 0;
  await sb.admin('POST', '/faults', { kind: 'delay', delay_ms: 2500, count: 1, cmd: 'get_basic_info' });
  const slow = gw3.request('POST', '/v1/call/get_basic_info', { token: gw3.tokens[0] });
  await sleep(150);
  const t0 = Date.now();
  const money = await gw3.request('POST', '/v1/call/create_withdrawal', { token: gw3.tokens[0], headers: { 'idempotency-key': 'op_' + rnd(12) }, body: { amount: '0.01', currency: 'BTC', address: 'bc1qqueued' + rnd(4), note: 'queued' } });
  assert.equal(money.status, 503, money.text);
  assert.equal(money.json.code, 'not_sent');
  assert.equal(money.json.retryable, true);
  assert.ok(Date.now() - t0 < 2000, 'answered at its own upstream deadline');
  assert.equal((await slow).status, 200);
  await sleep(300);
  assert.equal((await sb.stats()).by_cmd.create_withdrawal ?? 0, before, 'the queued withdrawal never reached the API');
});

test('the hard deadline answers a money call outcome_unknown, never retryable; a read stays 504 retryable', async () => {
  const gw4 = await startGateway(sb, { vars: { ALLOW_MONEY: '1', EDGE_DEADLINE_MS: '800', EDGE_SOFT_MARGIN_MS: '-1', EDGE_UPSTREAM_TIMEOUT_MS: '5000', WALLEX_NONCE: '1' } });
  extra.push(gw4);
  assert.equal((await gw4.request('POST', '/v1/call/get_basic_info', { token: gw4.tokens[0] })).status, 200);
  await sb.admin('POST', '/faults', { kind: 'hold', delay_ms: 1500, count: 1, cmd: 'create_withdrawal' });
  const r = await gw4.request('POST', '/v1/call/create_withdrawal', { token: gw4.tokens[0], headers: { 'idempotency-key': 'op_' + rnd(12) }, body: { amount: '0.01', currency: 'BTC', address: 'bc1qhard' + rnd(4), note: 'hard-' + rnd(3) } });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json.code, 'outcome_unknown');
  assert.equal(r.json.retryable, false);
  assert.ok(Date.parse(r.json.sent_at) && Date.parse(r.json.deadline), r.text);
  await sb.admin('POST', '/faults', { kind: 'delay', delay_ms: 1500, count: 1, cmd: 'get_basic_info' });
  const read = await gw4.request('POST', '/v1/call/get_basic_info', { token: gw4.tokens[0] });
  assert.equal(read.status, 504, read.text);
  assert.equal(read.json.retryable, true);
  await sleep(1000);
});

test('the hard deadline answers a checkout outcome_unknown with what a storefront can do: the same order_id again, which makes no second payment', async () => {
  const gw5 = await startGateway(sb, { prices: { mug: { amount: '12.50', currency: 'USD', name: 'Blue mug' } }, vars: { EDGE_DEADLINE_MS: '800', EDGE_SOFT_MARGIN_MS: '-1', EDGE_UPSTREAM_TIMEOUT_MS: '5000', WALLEX_NONCE: '1' } });
  extra.push(gw5);
  // A new client address for each attempt: waiting out an in_flight order takes several, and
  // the per-client checkout limit (10 a minute) is not what this test is about.
  let ip = 0;
  const h = { get 'cf-connecting-ip'() { return `198.51.100.${100 + (ip++ % 50)}`; } };
  const body = { item: 'mug', quantity: 1, currency2: 'BTC', buyer_email: 'b@example.com', order_id: 'ord-late-' + rnd(6) };
  assert.equal((await gw5.request('POST', '/v1/call/get_basic_info', { token: gw5.tokens[0] })).status, 200);
  const made = async () => (await sb.stats()).by_cmd.create_transaction ?? 0;
  const before = await made();
  await sb.admin('POST', '/faults', { kind: 'hold', delay_ms: 1500, count: 1, cmd: 'create_transaction' });
  const r = await gw5.request('POST', '/v1/checkout', { body, headers: h });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json.code, 'outcome_unknown');
  assert.equal(r.json.retryable, false);
  assert.match(r.json.error, /same order_id/, 'a storefront is told what it can do');
  assert.doesNotMatch(r.json.error, /\/v1\/reconcile/, 'not a route that needs the gateway token');
  // Followed as soon as the held request has landed: the same payment, never a second one.
  await sleep(1000);
  let again;
  for (let i = 0; i < 20; i++) {
    again = await gw5.request('POST', '/v1/checkout', { body, headers: h });
    if (again.status !== 409) break;
    await sleep(Math.min(1000, (again.json.retry_after ?? 1) * 1000));
  }
  assert.ok(again.status === 200 || again.status === 201, again.text);
  assert.equal(again.json.order_id, body.order_id);
  assert.equal((await made()) - before, 1, 'one payment for the order');
});

test('checkout order_id: a retry returns the same payment; another checkout under the same order_id is refused', async () => {
  const order = 'ord-' + rnd(6);
  const body = { item: 'mug', quantity: 2, currency2: 'BTC', buyer_email: 'b@example.com', order_id: order };
  let ip = 0;
  const h = { get 'cf-connecting-ip'() { return `198.51.100.${200 + (ip++ % 50)}`; } };
  const first = await gw.request('POST', '/v1/checkout', { body, headers: h });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.order_id, order);
  assert.equal(first.json.invoice, 'wko-' + order);
  const again = await Promise.all([1, 2, 3].map(() => gw.request('POST', '/v1/checkout', { body, headers: h })));
  for (const a of again) {
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, first.json, 'the same payment');
  }
  const other = await gw.request('POST', '/v1/checkout', { body: { ...body, quantity: 3 }, headers: h });
  assert.equal(other.status, 409, other.text);
  assert.equal(other.json.code, 'order_conflict');
  for (const bad of ['', 'a'.repeat(65), 'no spaces', 'ä']) {
    const r = await gw.request('POST', '/v1/checkout', { body: { ...body, order_id: bad }, headers: h });
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.match(r.json.error, /order_id/);
  }
  // Concurrent first attempts of a new order create one payment.
  const order2 = 'ord-' + rnd(6);
  const burst = await Promise.all([1, 2, 3, 4].map(() => gw.request('POST', '/v1/checkout', { body: { ...body, order_id: order2 }, headers: h })));
  const ids = new Set(burst.filter((r) => r.status < 300).map((r) => r.json.txn_id));
  assert.equal(ids.size, 1, burst.map((r) => r.status + ' ' + r.text).join('\n'));
  for (const r of burst.filter((x) => x.status >= 300)) assert.equal(r.json.code, 'in_flight', r.text);
});

test('POST /v1/reconcile checks its input and needs a gateway token', async () => {
  assert.equal((await gw.request('POST', '/v1/reconcile', { body: { cmd: 'create_withdrawal' } })).status, 401);
  const cases = [
    ['', /JSON object/],
    [{ amount: '1' }, /cmd/],
    [{ cmd: 'create_withdrawal', amount: '1', currency: 'BTC', address: 'x', sent_at: 'yesterday' }, /sent_at/],
    [{ cmd: 'create_withdrawal', amount: '1', currency: 'BTC', address: 'x', nonce: 'n' }, /nonce/],
    [{ cmd: 'create_widget' }, /cmd/],
  ];
  for (const [body, msg] of cases) {
    const r = await gw.request('POST', '/v1/reconcile', { token: gw.tokens[0], body, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.error, msg);
  }
  const addr = 'bc1qrec' + rnd(4);
  const wd = await gw.request('POST', '/v1/call/create_withdrawal', { token: gw.tokens[0], headers: { 'idempotency-key': 'op_' + rnd(12) }, body: { amount: '0.02', currency: 'BTC', address: addr, note: 'rec' } });
  assert.equal(wd.status, 200, wd.text);
  const r = await gw.request('POST', '/v1/reconcile', { token: gw.tokens[0], body: { cmd: 'create_withdrawal', amount: '0.02', currency: 'BTC', address: addr, note: 'rec', sent_at: new Date().toISOString() } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.verdict, 'found');
  assert.equal(r.json.proven, true);
  assert.equal(r.json.withdrawals[0].id, wd.json.result.id);
  // Described by its fields alone, sent just now: the fence runs on the gateway's key, which says
  // nothing of a request another key or tool sent, so the verdict waits for its in-flight bound.
  const sentAt = new Date();
  const wait = await gw.request('POST', '/v1/reconcile', { token: gw.tokens[0], body: { cmd: 'create_withdrawal', amount: '0.03', currency: 'BTC', address: addr, sent_at: sentAt.toISOString() } });
  assert.equal(wait.json.verdict, 'in_flight', wait.text);
  assert.equal(wait.json.proven, false);
  assert.ok(Date.parse(wait.json.until) > sentAt.getTime(), wait.text);
  // A nonce proves nothing without the key that sent it (key_hash, which an outcome_unknown answer's
  // "reconcile" body gives beside it; the fault matrix follows those bodies to proven verdicts).
  const bare = await gw.request('POST', '/v1/reconcile', { token: gw.tokens[0], body: { cmd: 'create_withdrawal', amount: '0.03', currency: 'BTC', address: addr, nonce: 1, sent_at: sentAt.toISOString() } });
  assert.equal(bare.json.verdict, 'in_flight', bare.text);
  assert.match(bare.json.detail, /not sent with this gateway's API key/);
});
