#!/usr/bin/env node
// Extension benchmark (not part of `npm test`): needs dist/extension built.
//
//  1. Round trip popup → service worker → wasm core → sandbox → back, basicInfo × N, against a
//     hand-written fetch of the same call (same token, same sandbox) from the same extension
//     page: the overhead of messaging + Go/wasm over plain JS.
//  2. Service-worker cold start: ServiceWorker.stopAllWorkers, then the time to the first
//     answer (ping: worker script up; basicInfo: wasm instantiated, configuration restored,
//     call answered). Median of 10.
//
// Usage: node extension/test/bench.mjs [--n 200] [--cold 10]   (writes dist/bench/extension.json)

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, launchExtension, ROOT } from './harness.mjs';

const args = process.argv.slice(2);
const num = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = num('--n', 200);
const COLD = num('--cold', 10);

/** @param {number[]} xs */
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), min: s[0], max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const ms = (x) => `${x.toFixed(2)} ms`;

const sb = await startSandbox();
const ext = await launchExtension();
try {
  const page = await ext.open('popup');
  await page.waitForFunction(() => typeof chrome?.runtime?.sendMessage === 'function');
  const call = (method, a = []) => page.evaluate(([m, x]) => chrome.runtime.sendMessage({ type: 'wk.call', method: m, args: x }), [method, a]);
  // nonce off for the comparison: the hand-written fetch sends none either
  const c = await call('connect', [{ apiUrl: sb.apiUrl, publicKey: sb.pub, privateKey: sb.priv, nonce: false }]);
  if (!c.ok) throw new Error(`connect: ${JSON.stringify(c.error)}`);

  // 1. warm round trips, timed inside the page
  const viaCore = await page.evaluate(async (n) => {
    for (let i = 0; i < 10; i++) await chrome.runtime.sendMessage({ type: 'wk.call', method: 'basicInfo', args: [] });
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await chrome.runtime.sendMessage({ type: 'wk.call', method: 'basicInfo', args: [] });
      t.push(performance.now() - t0);
      if (!r.ok || !r.value.merchant_id) throw new Error(JSON.stringify(r));
    }
    return t;
  }, N);
  const viaFetch = await page.evaluate(async ([n, apiUrl, pub]) => {
    const all = await chrome.storage.session.get(null);
    const tok = Object.entries(all).find(([k]) => k.startsWith('wk.token.'))?.[1];
    if (!tok) throw new Error('no token in storage.session');
    const once = async () => {
      const body = new URLSearchParams({ version: '1', key: pub, cmd: 'get_basic_info', format: 'json' });
      const r = await fetch(`${apiUrl}/get_basic_info`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: tok.access_token }, body });
      const j = await r.json();
      if (j.error !== 'ok' || !j.result.merchant_id) throw new Error(JSON.stringify(j));
      return j.result;
    };
    for (let i = 0; i < 10; i++) await once();
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await once();
      t.push(performance.now() - t0);
    }
    return t;
  }, [N, sb.apiUrl, sb.pub]);

  // the console's default: nonces on (persisted to chrome.storage.local before each call)
  await call('connect', [{ apiUrl: sb.apiUrl, publicKey: sb.pub, privateKey: sb.priv, nonce: true }]);
  const viaCoreNonce = await page.evaluate(async (n) => {
    for (let i = 0; i < 10; i++) await chrome.runtime.sendMessage({ type: 'wk.call', method: 'basicInfo', args: [] });
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await chrome.runtime.sendMessage({ type: 'wk.call', method: 'basicInfo', args: [] });
      t.push(performance.now() - t0);
    }
    return t;
  }, N);

  // 2. cold starts
  const coldPing = [];
  const coldCall = [];
  for (let i = 0; i < COLD; i++) {
    for (const [method, out] of [['ping', coldPing], ['basicInfo', coldCall]]) {
      await ext.stopWorkers(page);
      await page.waitForTimeout(150);
      const t = await page.evaluate(async (m) => {
        const t0 = performance.now();
        const r = await chrome.runtime.sendMessage({ type: 'wk.call', method: m, args: [] });
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return performance.now() - t0;
      }, method);
      out.push(t);
    }
  }
  const st = await sb.stats();

  const result = {
    when: new Date().toISOString(),
    n: N,
    roundTrip: { swCoreNonceOff: stats(viaCore), swCoreNonceOn: stats(viaCoreNonce), pageFetch: stats(viaFetch) },
    ratioMedian: stats(viaCore).median / stats(viaFetch).median,
    ratioMedianNonceOn: stats(viaCoreNonce).median / stats(viaFetch).median,
    coldStart: { ping: stats(coldPing), basicInfo: stats(coldCall) },
    sandbox: { logins: st.logins, nonceErrors: st.nonce_errors },
  };
  const dir = path.join(ROOT, 'dist', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'extension.json'), JSON.stringify(result, null, 2) + '\n');
  const r = result.roundTrip;
  console.log(`basicInfo round trip, N=${N} (median / p95):`);
  console.log(`  popup → SW → wasm core → sandbox, nonce off  ${ms(r.swCoreNonceOff.median)} / ${ms(r.swCoreNonceOff.p95)}`);
  console.log(`  popup → SW → wasm core → sandbox, nonce on   ${ms(r.swCoreNonceOn.median)} / ${ms(r.swCoreNonceOn.p95)}`);
  console.log(`  hand-written fetch from the popup            ${ms(r.pageFetch.median)} / ${ms(r.pageFetch.p95)}`);
  console.log(`  ratio (median): ${result.ratioMedian.toFixed(2)}× (nonce on: ${result.ratioMedianNonceOn.toFixed(2)}×)`);
  console.log(`service-worker cold start, median of ${COLD}:`);
  console.log(`  first answer (ping, worker script only)      ${ms(result.coldStart.ping.median)}`);
  console.log(`  first basicInfo (wasm + restore + call)      ${ms(result.coldStart.basicInfo.median)}  (min ${ms(result.coldStart.basicInfo.min)}, max ${ms(result.coldStart.basicInfo.max)})`);
  console.log(`sandbox: ${st.logins} logins, ${st.nonce_errors} nonce errors; written to dist/bench/extension.json`);
} finally {
  await ext.close();
  await sb.stop();
}
