// Storefront side of the gateway in real workerd against the real sandbox: the checkout flow end
// to end (checkout -> sandbox pays -> IPN -> event -> signed forward), status lookups, signed
// prices, input errors, CORS and the per-client rate limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startSandbox, startGateway, startReceiver, verifyForward, eventually } from './lib.mjs';

const SHOP = 'https://shop.example';
let sb, gw, rx;
let ipCounter = 0;
const nextIP = () => `198.51.100.${++ipCounter}`; // a fresh client per test, so the rate limit is the test's own

before(async () => {
  sb = await startSandbox();
  rx = await startReceiver();
  gw = await startGateway(sb, {
    vars: { FORWARD_URL: rx.url },
    prices: {
      mug: { amount: '12.50', currency: 'USD', name: 'Blue mug' },
      'tea-1kg': { amount: '0.00100000', currency: 'BTC', name: 'Tea, 1 kg' },
      broken: 'not json',
    },
  });
  // The account's IPN secret (no IPN is sent without one); the URL comes from each payment's ipn_url.
  await sb.admin('PUT', `/accounts/${sb.merchantId}/ipn`, { url: gw.url + '/ipn', secret: gw.secrets.WALLEX_IPN_SECRET });
});

after(async () => {
  const leaked = gw && (await gw.leakedSecret());
  await gw?.stop();
  await rx?.close();
  await sb?.stop();
  assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
});

// The checkout details the sandbox keeps for a payment (get_tx_info full=1, through the gateway).
async function txCheckout(id) {
  const r = await gw.request('POST', '/v1/call/get_tx_info', { token: gw.tokens[1], body: { txid: id, full: 1 } });
  assert.equal(r.status, 200, r.text);
  return r.json.result.checkout;
}

const checkout = (body, { ip = nextIP(), origin = SHOP, headers = {} } = {}) =>
  gw.request('POST', '/v1/checkout', { body, origin, headers: { 'cf-connecting-ip': ip, ...headers } });

test('checkout end to end: payment, sandbox pays, IPN, event, signed forward, status', async () => {
  const res = await checkout({ item: 'mug', quantity: 2, currency2: 'BTC', buyer_email: 'buyer@example.com' });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.headers['access-control-allow-origin'], SHOP);
  const tx = res.json;
  for (const k of ['txn_id', 'amount', 'currency', 'address', 'checkout_url', 'status_url', 'qrcode_url', 'timeout']) assert.ok(k in tx, `answer has ${k}: ${res.text}`);
  assert.equal(tx.currency, 'BTC');
  assert.match(tx.amount, /^\d+\.\d{8}$/);
  assert.equal(typeof tx.timeout, 'number');

  // The sandbox saw the price list's price times the quantity, an invoice and the gateway's /ipn.
  const sbtx = await txCheckout(tx.txn_id);
  assert.equal(sbtx.amountf, '25.00000000');
  assert.equal(sbtx.currency, 'USD');
  assert.equal(sbtx.item_number, 'mug');
  assert.equal(sbtx.item_name, '2 × Blue mug');
  assert.equal(sbtx.ipn_url, gw.url + '/ipn');
  assert.equal(sbtx.invoice, tx.invoice);
  assert.match(sbtx.invoice, /^wkx-[0-9a-f]{24}$/);

  let st = await gw.request('GET', `/v1/checkout/${tx.txn_id}`, { origin: SHOP });
  assert.equal(st.status, 200, st.text);
  assert.deepEqual(Object.keys(st.json).sort(), ['amount', 'coin', 'paid', 'received', 'status', 'status_text', 'txn_id']);
  assert.equal(st.json.status, 0);
  assert.equal(st.json.paid, false);
  assert.equal(st.json.amount, tx.amount);

  await sb.admin('POST', `/tx/${tx.txn_id}/pay`, {});

  // Three IPNs (created, received, complete) become three events and three signed forwards. An
  // IPN that meets the checkout still recording its payment is answered 503 and sent again by the
  // sandbox (1 s, 2 s, 4 s, …), and a forward that fails is retried (2 s, doubling): on a loaded
  // machine that takes a few rounds, so the wait is long and, if it runs out, says what it saw.
  let seen = [];
  const evs = await eventually(async () => {
    const r = await gw.request('GET', '/v1/events?after=0&limit=100', { token: gw.tokens[0] });
    const mine = r.json.events.filter((e) => e.txn_id === tx.txn_id);
    seen = mine.map((e) => `${e.status}:${e.forward.state}`);
    return mine.length === 3 && mine.every((e) => e.forward.state === 'delivered') && mine;
  }, 45_000, 'three delivered events for the payment').catch(async (e) => {
    const ipns = (await sb.admin('GET', '/ipn-log')).filter((l) => l.body.includes(tx.txn_id)).map((l) => l.http_status);
    throw new Error(`${e.message}; events seen ${JSON.stringify(seen)}; the sandbox's IPN answers ${JSON.stringify(ipns)}`);
  });
  const log = await sb.admin('GET', '/ipn-log');
  assert.ok(log.filter((l) => l.body.includes(tx.txn_id)).every((l) => l.url === gw.url + '/ipn' && l.http_status === 200));
  assert.deepEqual(evs.map((e) => e.status), [0, 1, 100]);
  assert.deepEqual(evs.map((e) => e.paid), [false, false, true]);
  assert.equal(evs[2].fields.invoice, tx.invoice);
  assert.ok(evs.every((e) => /^\d+$/.test(e.cursor)));

  const fwd = rx.received.filter((r) => JSON.parse(r.body).txn_id === tx.txn_id);
  assert.equal(fwd.length, 3);
  for (const f of fwd) {
    assert.ok(verifyForward(gw.secrets.FORWARD_SECRET, f), 'forward signature verifies');
    assert.ok(!verifyForward('wrong-secret', f));
    const b = JSON.parse(f.body);
    assert.deepEqual(Object.keys(b).sort(), ['checkout', 'fields', 'first_paid', 'ipn_id', 'status', 'status_text', 'txn_id', 'type']);
    assert.equal(b.checkout, true, 'a payment this gateway\'s checkout created');
    assert.equal(b.type, 'api');
    assert.equal(b.fields.merchant, sb.merchantId);
    assert.equal(f.headers['content-type'], 'application/json');
  }
  assert.deepEqual(fwd.map((f) => JSON.parse(f.body).status), [0, 1, 100]);
  assert.deepEqual(fwd.map((f) => JSON.parse(f.body).first_paid), [false, false, true], 'the one that made it paid');

  st = await gw.request('GET', `/v1/checkout/${tx.txn_id}`, { origin: SHOP });
  assert.equal(st.json.status, 100);
  assert.equal(st.json.paid, true);
  assert.equal(st.json.received, tx.amount);
});

test('status only for payments this gateway created', async () => {
  // A payment made with the same key but not through /v1/checkout is not the storefront's.
  const other = await gw.request('POST', '/v1/call/create_transaction', {
    token: gw.tokens[0],
    body: { amount: '1', currency1: 'USD', currency2: 'BTC', buyer_email: 'x@example.com' },
  });
  assert.equal(other.status, 200, other.text);
  for (const id of [other.json.result.txn_id, 'CPSBNOSUCHTXN', 'a%2Fb']) {
    const r = await gw.request('GET', `/v1/checkout/${id}`, { origin: SHOP });
    assert.equal(r.status, 404, `${id}: ${r.text}`);
    assert.equal(r.json.code, 'not_found');
  }
});

test('prices signed by the merchant backend', async () => {
  const secret = gw.secrets.CHECKOUT_SIGNING_SECRET;
  const order = { amount: '7.25', currency1: 'USD', currency2: 'BTC', buyer_email: 'b@example.com', item_name: 'Gift card', expires: Math.floor(Date.now() / 1000) + 600 };
  const canon = (o) => ['wallexkit-checkout-v1', `amount=${o.amount}`, `currency1=${o.currency1}`, `currency2=${o.currency2}`,
    `buyer_email=${o.buyer_email}`, `item_name=${o.item_name}`, `expires=${o.expires}`].join('\n');
  const sign = (o, key = secret) => createHmac('sha256', key).update(canon(o)).digest('hex');

  const ok = await checkout({ ...order, sig: sign(order) });
  assert.equal(ok.status, 201, ok.text);
  const sbtx = await txCheckout(ok.json.txn_id);
  assert.equal(sbtx.item_name, 'Gift card');
  assert.equal(sbtx.amountf, '7.25000000');
  assert.equal(sbtx.buyer_email, 'b@example.com');

  const tampered = await checkout({ ...order, amount: '0.25', sig: sign(order) });
  assert.equal(tampered.status, 403, tampered.text);
  assert.equal(tampered.json.code, 'bad_signature');

  const wrongKey = await checkout({ ...order, sig: sign(order, 'not-the-secret') });
  assert.equal(wrongKey.status, 403);

  const old = { ...order, expires: Math.floor(Date.now() / 1000) - 5 };
  const expired = await checkout({ ...old, sig: sign(old) });
  assert.equal(expired.status, 400, expired.text);
  assert.equal(expired.json.code, 'expired');

  const noSig = await checkout({ ...order, sig: 'xyz' });
  assert.equal(noSig.status, 400);
  assert.match(noSig.json.error, /sig/);

  const missing = await checkout({ ...order, item_name: undefined, sig: sign(order) });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error, /item_name/);

  // with order_id, the price is signed for that order (a last line order_id=...): the buyer's
  // browser chooses the order_id it sends, and a price signed for one order is not another's
  const forOrder = (o, id) => createHmac('sha256', secret).update(`${canon(o)}\norder_id=${id}`).digest('hex');
  const unnamed = await checkout({ ...order, order_id: 'gift-dear-1', sig: sign(order) });
  assert.equal(unnamed.status, 403, unnamed.text);
  assert.match(unnamed.json.error, /order_id/);
  const another = await checkout({ ...order, order_id: 'gift-dear-1', sig: forOrder(order, 'gift-cheap-1') });
  assert.equal(another.status, 403, another.text);
  const named = await checkout({ ...order, order_id: 'gift-cheap-1', sig: forOrder(order, 'gift-cheap-1') });
  assert.equal(named.status, 201, named.text);
  assert.equal(named.json.order_id, 'gift-cheap-1');
});

test('bad checkout input gets a 400/404 that says what is wrong', async () => {
  const cases = [
    [{ body: '{"item": "mug",', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
    [{ body: '[1,2]', headers: { 'content-type': 'application/json' } }, 400, /JSON object/],
    [{ body: '', headers: { 'content-type': 'application/json' } }, 400, /empty/],
    [{ body: { currency2: 'BTC', buyer_email: 'b@example.com' } }, 400, /either item/],
    [{ body: { item: 'mug', currency2: 'BTC' } }, 400, /buyer_email: is required/],
    [{ body: { item: 'mug', currency2: 'BTC', buyer_email: 'no-at-sign' } }, 400, /buyer_email: must be an email/],
    [{ body: { item: 'mug', currency2: 'btc!', buyer_email: 'b@example.com' } }, 400, /currency2/],
    [{ body: { item: 'mug', quantity: 0, currency2: 'BTC', buyer_email: 'b@example.com' } }, 400, /quantity/],
    [{ body: { item: 'mug', quantity: 1.5, currency2: 'BTC', buyer_email: 'b@example.com' } }, 400, /quantity/],
    [{ body: { item: 'mug', quantity: '2', currency2: 'BTC', buyer_email: 'b@example.com' } }, 400, /quantity/],
    [{ body: { item: 'no/such', currency2: 'BTC', buyer_email: 'b@example.com' } }, 400, /item/],
    [{ body: { item: 42, currency2: 'BTC', buyer_email: 'b@example.com' } }, 400, /item: must be a string/],
    [{ body: { item: 'nosuch', currency2: 'BTC', buyer_email: 'b@example.com' } }, 404, /no product "nosuch"/],
    [{ body: { item: 'broken', currency2: 'BTC', buyer_email: 'b@example.com' } }, 500, /malformed/],
    [{ body: { item: 'mug', currency2: 'NOPE', buyer_email: 'b@example.com' } }, 422, /NOPE/],
  ];
  for (const [opts, status, msg] of cases) {
    const r = await gw.request('POST', '/v1/checkout', { origin: SHOP, ...opts, headers: { 'cf-connecting-ip': nextIP(), ...(opts.headers || {}) } });
    assert.equal(r.status, status, `${JSON.stringify(opts.body)} -> ${r.text}`);
    assert.match(r.json.error, msg, `${JSON.stringify(opts.body)} -> ${r.text}`);
    assert.equal(typeof r.json.code, 'string');
  }
  const get = await gw.request('GET', '/v1/checkout', { origin: SHOP });
  assert.equal(get.status, 405);
  const nf = await gw.request('GET', '/nope');
  assert.equal(nf.status, 404);
});

test('CORS: preflight answered for allowed origins only', async () => {
  const pre = (origin, extra = {}) => gw.request('OPTIONS', '/v1/checkout', {
    origin,
    headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', ...extra },
  });
  for (const origin of [SHOP, 'https://other-shop.example']) {
    const ok = await pre(origin);
    assert.equal(ok.status, 204, ok.text);
    assert.equal(ok.headers['access-control-allow-origin'], origin);
    assert.match(ok.headers['access-control-allow-methods'], /POST/);
    assert.match(ok.headers['access-control-allow-headers'], /content-type/i);
    assert.match(ok.headers.vary, /Origin/);
  }
  const evil = await pre('https://evil.example');
  assert.equal(evil.status, 403);
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  assert.match(evil.json.error, /evil\.example.*ALLOWED_ORIGINS/);

  const auth = await pre(SHOP, { 'access-control-request-headers': 'content-type, authorization' });
  assert.equal(auth.status, 403);
  const put = await pre(SHOP, { 'access-control-request-method': 'PUT' });
  assert.equal(put.status, 405);

  const st = await gw.request('OPTIONS', '/v1/checkout/CPSBX', { origin: SHOP, headers: { 'access-control-request-method': 'GET' } });
  assert.equal(st.status, 204);
  assert.match(st.headers['access-control-allow-methods'], /GET/);

  // A simple (form) post needs no preflight: a foreign origin is refused before anything happens.
  const post = await checkout({ item: 'mug', currency2: 'BTC', buyer_email: 'b@example.com' }, { origin: 'https://evil.example' });
  assert.equal(post.status, 403);
  assert.equal(post.headers['access-control-allow-origin'], undefined);
  // No Origin (a server calling) is allowed, without CORS headers.
  const server = await gw.request('POST', '/v1/checkout', { body: { item: 'tea-1kg', currency2: 'BTC', buyer_email: 'b@example.com' }, headers: { 'cf-connecting-ip': nextIP() } });
  assert.equal(server.status, 201, server.text);
  assert.equal(server.headers['access-control-allow-origin'], undefined);
});

test('rate limit: 10 checkouts a minute per client, then 429 with Retry-After', async () => {
  const ip = nextIP();
  const statuses = [];
  for (let i = 0; i < 12; i++) {
    // Invalid bodies are cheap and still count: the limit is taken before anything else.
    const r = await checkout({ item: 'nosuch', currency2: 'BTC', buyer_email: 'b@example.com' }, { ip });
    statuses.push(r.status);
    if (r.status === 429) {
      assert.equal(r.json.code, 'rate_limited');
      assert.equal(r.json.retryable, true);
      assert.ok(Number(r.headers['retry-after']) >= 1 && Number(r.headers['retry-after']) <= 60);
    }
  }
  assert.deepEqual(statuses, [...Array(10).fill(404), 429, 429]);
  const other = await checkout({ item: 'nosuch', currency2: 'BTC', buyer_email: 'b@example.com' });
  assert.equal(other.status, 404, 'another client is not limited');
});
