// POST /v1/call/{cmd} in real workerd against the real sandbox: bearer tokens, the allow-list,
// form and JSON bodies, the Wallex envelope passed through, and errors that say what is wrong.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSandbox, startGateway, findSecret } from './lib.mjs';

let sb, gw;

before(async () => {
  sb = await startSandbox();
  gw = await startGateway(sb);
});

after(async () => {
  const leaked = gw && (await gw.leakedSecret());
  await gw?.stop();
  await sb?.stop();
  assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
});

const call = (cmd, opts = {}) => gw.request('POST', '/v1/call/' + cmd, { token: gw.tokens[0], ...opts });

test('Go starts when the module loads: the first request finds it running', async () => {
  // glue/worker.mjs starts the Go runtime in the global scope (with a Math.random seed and no
  // timers, which Workers refuse there); if that failed it would log it and start Go in the
  // request instead, and a broken start would stop the instance. Its load-time warm-up requests
  // (health checks and calls with a bearer that is no gateway token) never leave the isolate.
  const quiet = await sb.stats();
  assert.equal(quiet.logins ?? 0, 0, 'no login before the first request: ' + JSON.stringify(quiet));
  assert.deepEqual(quiet.by_cmd ?? {}, {}, 'no call before the first request');
  const r = await call('get_basic_info');
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.result?.merchant_id, r.text);
  const seen = await sb.stats();
  assert.equal(seen.logins, 1, JSON.stringify(seen));
  assert.equal(seen.by_cmd.get_basic_info, 1, JSON.stringify(seen));
  assert.doesNotMatch(gw.logs(), /could not start the Go runtime at load|could not prepare|could not build or warm up|instance stopped|internal error/);
});

test('the gateway is built from its configuration when the module loads, once', async () => {
  // glue/worker.mjs hands Go the env of cloudflare:workers at load and serves it one health check
  // there: the configuration's problems are logged before any request, and the requests that
  // follow (with workerd's per-request env, another object) do not build it again.
  const odd = await startGateway(sb, { vars: { CHECKOUT_RATE_LIMIT: 'lots' } });
  const problem = /edge: configuration: CHECKOUT_RATE_LIMIT must be a positive integer/g;
  try {
    let seen = 0;
    for (let i = 0; i < 40 && seen === 0; i++) {
      seen = (odd.logs().match(problem) ?? []).length;
      if (seen === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(seen, 1, 'logged once at load, before any request: ' + odd.logs());
    assert.equal((await odd.request('GET', '/v1/health')).status, 200);
    for (let i = 0; i < 2; i++) {
      const r = await odd.request('POST', '/v1/call/get_basic_info', { token: odd.tokens[0] });
      assert.equal(r.status, 200, r.text);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((odd.logs().match(problem) ?? []).length, 1, 'not built again: ' + odd.logs());
    assert.doesNotMatch(odd.logs(), /could not build or warm up the gateway at load|instance stopped|internal error/);
  } finally {
    await odd.stop();
  }
});

test('the load-time warm-up reaches nothing outside the isolate, whatever tokens are configured', async () => {
  // glue/worker.mjs warms Go up at load with health checks, calls whose bearer is no gateway token
  // (it holds a comma, which no token in the comma-separated GATEWAY_TOKENS can), and calls through
  // a gateway of Go's own (gateway.WarmUp). Even with its bearer's two halves configured as tokens,
  // nothing of it may reach the key's Durable Object or the API (which at load would fail and log).
  const bearer = /\\nBearer ([^\\]+)\\n/.exec(readFileSync(new URL('../glue/worker.mjs', import.meta.url), 'utf8'))?.[1];
  assert.ok(bearer, 'the warm-up bearer is in glue/worker.mjs');
  const own = await startSandbox();
  const real = 'real-token-' + Math.random().toString(36).slice(2);
  const odd = await startGateway(own, { vars: { GATEWAY_TOKENS: `${bearer}, ${real}` } });
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(odd.logs(), /token store|Disallowed|could not|instance stopped|internal error/, odd.logs());
    assert.equal((await own.stats()).requests_seen, 0);
    const r = await odd.request('POST', '/v1/call/get_basic_info', { token: real });
    assert.equal(r.status, 200, r.text);
    const st = await own.stats();
    assert.deepEqual([st.logins, st.by_cmd.get_basic_info], [1, 1], JSON.stringify(st));
  } finally {
    await odd.stop();
    await own.stop();
  }
});

test('missing or wrong gateway token is 401; every configured token works', async () => {
  const none = await gw.request('POST', '/v1/call/get_basic_info');
  assert.equal(none.status, 401);
  assert.match(none.json.error, /bearer token/);
  assert.match(none.headers['www-authenticate'], /^Bearer/);
  for (const auth of ['Bearer nope', 'Bearer ' + gw.tokens[0] + 'x', 'Basic ' + gw.tokens[0], gw.tokens[0], 'Bearer ']) {
    const r = await gw.request('POST', '/v1/call/get_basic_info', { headers: { authorization: auth } });
    assert.equal(r.status, 401, auth);
    assert.equal(r.json.code, 'unauthorized');
  }
  for (const t of gw.tokens) assert.equal((await call('get_basic_info', { token: t })).status, 200);
});

test('answers are the Wallex envelope itself', async () => {
  const r = await call('get_basic_info');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.error, 'ok');
  assert.equal(r.json.result.merchant_id, sb.merchantId);
  assert.match(r.headers['content-type'], /application\/json/);

  const bal = await call('balances', { body: 'all=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(bal.status, 200, bal.text);
  assert.equal(bal.json.error, 'ok');
  assert.equal(typeof bal.json.result, 'object');

  const rates = await call('rates', { body: { short: 1, accepted: true } });
  assert.equal(rates.status, 200, rates.text);
  assert.ok(rates.json.result.BTC);

  const addr = await call('get_deposit_address', { body: { currency: 'BTC' } });
  assert.equal(addr.status, 200, addr.text);
  assert.ok(addr.json.result.address);

  const tx = await call('create_transaction', { body: 'amount=2.5&currency1=USD&currency2=BTC&buyer_email=a%40example.com' , headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });
  assert.equal(tx.status, 200, tx.text);
  const info = await call('get_tx_info', { body: { txid: tx.json.result.txn_id } });
  assert.equal(info.status, 200, info.text);
  assert.equal(info.json.result.status, 0);
});

test('API errors come back as {error, code, retryable} with a fitting status', async () => {
  const r = await call('get_tx_info', { body: { txid: 'CPSBNOSUCH' } });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.code, 'api_error');
  assert.equal(r.json.retryable, false);
  assert.match(r.json.error, /txid|transaction/i, 'the API\'s own message');

  const mismatch = await call('get_basic_info', { body: { cmd: 'balances' } });
  assert.equal(mismatch.status, 400, mismatch.text);
  assert.equal(mismatch.json.code, 'invalid_input');
  assert.match(mismatch.json.error, /cmd/);

  // What any Wallex client sends on every call is accepted (the gateway uses its own key and nonces).
  const envelope = await call('get_basic_info', { body: 'version=1&key=not-ours&cmd=get_basic_info&nonce=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(envelope.status, 200, envelope.text);
});

test('only allow-listed commands; money commands off by default', async () => {
  for (const cmd of ['create_withdrawal', 'create_transfer', 'create_mass_withdrawal', 'convert']) {
    const r = await call(cmd, { body: { amount: '1', currency: 'BTC', address: 'x' } });
    assert.equal(r.status, 403, `${cmd}: ${r.text}`);
    assert.equal(r.json.code, 'money_disabled');
    assert.match(r.json.error, /ALLOW_MONEY/);
  }
  for (const cmd of ['login', 'get_basic_info_x', 'Get_Basic_Info', 'a%2Fb', 'x%00']) {
    const r = await call(cmd);
    assert.equal(r.status, 403, `${cmd}: ${r.text}`);
    assert.equal(r.json.code, 'command_not_allowed');
  }
  const stats = await sb.stats();
  assert.equal(stats.by_cmd.create_withdrawal, undefined, 'nothing reached the API');
  assert.equal((await gw.request('GET', '/v1/call/get_basic_info', { token: gw.tokens[0] })).status, 405);
});

test('malformed JSON and malformed forms are 400 with a message', async () => {
  const cases = [
    [{ body: '{"txid": ', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
    [{ body: '["txid"]', headers: { 'content-type': 'application/json' } }, 400, /JSON object/],
    [{ body: '{"txid": {"a": 1}}', headers: { 'content-type': 'application/json' } }, 400, /txid: must be a string, number or boolean/],
    [{ body: '{"txid": null}', headers: { 'content-type': 'application/json' } }, 400, /txid/],
    [{ body: '{"txid": "a", "txid": "b"}', headers: { 'content-type': 'application/json' } }, 400, /twice/],
    [{ body: 'txid=%zz', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, /malformed form body: bad escape/],
    [{ body: 'txid=a&txid=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, /appears twice/],
    [{ body: 'txid=a;full=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, /';'/],
    [{ body: '=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, /no name/],
    [{ body: 'txid=a', headers: { 'content-type': 'text/xml' } }, 415, /form-urlencoded|JSON/],
  ];
  for (const [opts, status, msg] of cases) {
    const r = await call('get_tx_info', opts);
    assert.equal(r.status, status, `${opts.body} -> ${r.text}`);
    assert.match(r.json.error, msg, `${opts.body} -> ${r.text}`);
    assert.equal(r.json.retryable, false);
  }
  const big = await call('get_tx_info', { body: 'txid=' + 'a'.repeat(70 * 1024), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(big.status, 413);
});

test('a gateway without tokens refuses the token routes (503 naming the variable)', async () => {
  const bare = await startGateway(sb, { vars: { GATEWAY_TOKENS: '' } });
  try {
    const r = await bare.request('POST', '/v1/call/get_basic_info', { token: 'anything' });
    assert.equal(r.status, 503);
    assert.match(r.json.error, /GATEWAY_TOKENS/);
  } finally {
    await bare.stop();
  }
});

test('the secret scan sees the API bearer token and finds planted secrets', async () => {
  const tok = await gw.upstreamToken();
  assert.match(tok, /^Bearer \S{16,}/);
  assert.equal(findSecret('x ' + tok.slice(7) + ' y', { T: tok.slice(7) }), 'T');
  assert.equal(findSecret('.. ' + gw.tokens[1], gw.secrets), 'GATEWAY_TOKENS');
  assert.equal(findSecret('.. ' + gw.secrets.WALLEX_PRIVATE_KEY, gw.secrets), 'WALLEX_PRIVATE_KEY');
});

test('a token renewal costs one login, not one per request in flight', async () => {
  const sb2 = await startSandbox({ tokenTTL: '3s' });
  const gw2 = await startGateway(sb2);
  try {
    const burst = async () => {
      const res = await Promise.all(Array.from({ length: 20 }, () => gw2.request('POST', '/v1/call/get_basic_info', { token: gw2.tokens[0] })));
      assert.ok(res.every((r) => r.status === 200), res.map((r) => r.text).join('\n'));
    };
    await burst();
    assert.equal((await sb2.stats()).logins, 1);
    await new Promise((r) => setTimeout(r, 3000)); // the token expires
    await burst();
    const st = await sb2.stats();
    assert.equal(st.logins, 2, JSON.stringify(st));
    assert.equal(st.failed_calls, 0, JSON.stringify(st));
  } finally {
    const leaked = await gw2.leakedSecret();
    await gw2.stop();
    await sb2.stop();
    assert.equal(leaked, null);
  }
});

test('a body over 64 KiB is refused without being read, with or without Content-Length', async () => {
  const big = 'txid=' + 'a'.repeat(200 * 1024);
  const declared = await call('get_tx_info', { body: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(declared.status, 413);
  assert.equal(declared.json.code, 'body_too_large');
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('a'.repeat(8192)));
      c.close();
    },
  });
  const sentBefore = (await sb.stats()).by_cmd?.get_tx_info ?? 0;
  // The gateway answers 413 as soon as the limit is passed and stops reading; a client still
  // uploading may see that answer or, depending on timing, its connection closed under it.
  let outcome;
  try {
    const res = await fetch(gw.url + '/v1/call/get_tx_info', {
      method: 'POST', body: stream, duplex: 'half',
      headers: { authorization: 'Bearer ' + gw.tokens[0], 'content-type': 'application/x-www-form-urlencoded' },
    });
    outcome = res.status;
  } catch (e) {
    const cause = String(e?.cause?.code ?? '') + ' ' + String(e?.cause?.message ?? e);
    assert.match(cause, /ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed|socket/i, 'only a closed connection may replace the 413');
    outcome = 'closed';
  }
  assert.ok(outcome === 413 || outcome === 'closed', `streamed oversize body: ${outcome}`);
  assert.equal((await sb.stats()).by_cmd?.get_tx_info ?? 0, sentBefore, 'nothing reached the API');
  // The next request is served. (A read: the client may have picked the pooled connection the
  // gateway closed under the oversize upload, which fails before anything is sent; then once more.)
  const small = () => fetch(gw.url + '/v1/call/get_tx_info', {
    method: 'POST', body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('txid=CPSBNOSUCH')); c.close(); } }), duplex: 'half',
    headers: { authorization: 'Bearer ' + gw.tokens[0], 'content-type': 'application/x-www-form-urlencoded' },
  });
  const ok = await small().catch((e) => {
    assert.match(String(e?.cause?.code ?? '') + ' ' + String(e?.cause?.message ?? e), /ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed|socket/i);
    return small();
  });
  assert.equal(ok.status, 422, await ok.text());
});

test('a request past its deadline is answered 504 and its upstream call is aborted', async () => {
  const slow = await startGateway(sb, { vars: { EDGE_DEADLINE_MS: '800' } });
  try {
    assert.equal((await slow.request('POST', '/v1/call/get_basic_info', { token: slow.tokens[0] })).status, 200); // warm: token cached
    await sb.admin('POST', '/faults', { kind: 'delay', count: 1, delay_ms: 2500, cmd: 'get_basic_info' });
    const t0 = Date.now();
    const r = await slow.request('POST', '/v1/call/get_basic_info', { token: slow.tokens[0] });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.code, 'timeout');
    assert.equal(r.json.retryable, true);
    assert.ok(Date.now() - t0 < 2000, 'answered at the deadline, not when the API answered');
    // The instance is fine afterwards.
    const after = await slow.request('POST', '/v1/call/get_basic_info', { token: slow.tokens[0] });
    assert.equal(after.status, 200, after.text);
    assert.doesNotMatch(slow.logs(), /internal error|panic/);
  } finally {
    await sb.admin('DELETE', '/faults');
    await slow.stop();
  }
});

test('a finished request leaves nothing behind: its deadline passes quietly, the next requests are served', async () => {
  // The glue does not clear a finished request's deadline timer (workerd drops a finished
  // request's timers, and clearing one costs CPU); this checks that nothing acts on it.
  const own = await startSandbox(); // its own: a call another test left held would be counted late
  const quick = await startGateway(own, { vars: { EDGE_DEADLINE_MS: '600', WALLEX_NONCE: '0' } });
  try {
    const calls = async () => (await own.stats()).by_cmd?.get_basic_info ?? 0;
    const calls0 = await calls();
    for (let i = 0; i < 5; i++) assert.equal((await quick.request('POST', '/v1/call/get_basic_info', { token: quick.tokens[0] })).status, 200);
    await new Promise((r) => setTimeout(r, 1500)); // past every one of those deadlines, soft and hard
    const r = await quick.request('POST', '/v1/call/get_basic_info', { token: quick.tokens[0] });
    assert.equal(r.status, 200, r.text);
    assert.doesNotMatch(quick.logs(), /internal error|panic|stopped/);
    assert.equal(await calls(), calls0 + 6, 'each request reached the API once, and nothing else did');
  } finally {
    await quick.stop();
    await own.stop();
  }
});

test("the API's 429 reaches the caller with its Retry-After (of an upstream answer's headers, the glue hands Go those core reads)", async () => {
  const own = await startSandbox();
  const g = await startGateway(own, { vars: { WALLEX_NONCE: '0' } });
  try {
    // The sandbox throttles a key after 20 failed calls in 2 minutes.
    let failed = 0;
    for (let i = 0; i < 21; i++) {
      const r = await g.request('POST', '/v1/call/get_tx_info', { token: g.tokens[0], body: 'txid=nope' + i, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.notEqual(r.status, 200, r.text);
      failed++;
    }
    assert.equal(failed, 21);
    const r = await g.request('POST', '/v1/call/get_basic_info', { token: g.tokens[0] });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.retryable, true, r.text);
    const wait = Number(r.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 120, `retry-after ${r.headers['retry-after']}`);
  } finally {
    await g.stop();
    await own.stop();
  }
});
