#!/usr/bin/env node
// Extension benchmark (not part of `npm test`): needs dist/extension built.
//
//  The benchmark runs in an extension page that is not a console page (the options page), so
//  that it decides when a console page is open (console pages keep the core compiled, see 2).
//
//  1. Round trip page → service worker → wasm core → sandbox → back (basicInfo), through the
//     console's own Backend (extension/backend-sw.js, imported in the page), against a
//     hand-written fetch of the same call from the same page (same sandbox, the store's own
//     token). Two stores on two keys, one with nonces off and one with nonces on (a key that has
//     used nonces must keep sending them), measured interleaved: each round runs the three paths
//     once, in an order that rotates, so the machine's noise falls on all of them alike.
//  2. Service-worker cold start: ServiceWorker.stopAllWorkers, then the time from the page's call
//     to its answer: ping (the worker script up) and basicInfo (wasm started, the store's client
//     made again from storage, the call answered), min / median / max of --cold; with the
//     worker's own marks (ping's `startup`, milliseconds since Chrome started the worker: its
//     code begun, its modules evaluated, core compiled, instantiated, Go's API ready, first call
//     answered). Twice: with
//     no console page open (the page's collector is run first, so no closed page's module
//     lingers), and with one open, which keeps the core compiled (web/host/wasm-loader.js
//     keepCompiled: Chrome shares compiled wasm between an extension's pages and its worker).
//
//  3. A popup opened with the worker running and with it stopped (no other console page open): from the page's navigation to
//     its first answer of the core (the `wk.first-core-answer` mark of backend-sw.js), --cold runs
//     each: what a merchant who clicks the toolbar icon waits for the first data.
//
//  Also a hand-written fetch that sends a nonce on a third key (the mark written to
//     chrome.storage.local before it leaves, as spec §4 asks): the sandbox holds every
//     nonce-bearing call 1 ms (its check is not atomic, like the API's), so this is the like-for-
//     like baseline of the nonces-on row; the plain fetch stays the floor's baseline.
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
const ms = (x) => (x === undefined || Number.isNaN(x) ? '    -   ' : `${x.toFixed(1).padStart(6)} ms`);

const sb = await startSandbox();
const ext = await launchExtension();
try {
  // a second key for the nonce-on store (the demo key stays without nonces)
  const acct = await sb.admin('POST', 'accounts', { username: `bench-${Date.now().toString(36)}`, email: 'bench@example.com' });
  const k2 = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  // and a third for the hand-written fetch that sends nonces (the sandbox holds each nonce-bearing
  // call 1 ms, as the real API's check is not atomic: that cost is the API's, on both sides)
  const k3 = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});

  const page = await ext.open('options');
  await page.waitForFunction(() => typeof chrome?.runtime?.id === 'string');
  // the page's collector (it frees the modules of console pages closed before a cold start)
  const cdp = await ext.context.newCDPSession(page);
  const collect = () => cdp.send('HeapProfiler.collectGarbage');
  const setup = await page.evaluate(async ([apiUrl, pub, priv, pub2, priv2, pub3, priv3]) => {
    const { swBackend } = await import(chrome.runtime.getURL('ext/backend-sw.js'));
    const off = swBackend();
    const on = swBackend();
    const a = await off.connect({ apiUrl, publicKey: pub, privateKey: priv, nonce: false, name: 'bench off' });
    const b = await on.connect({ apiUrl, publicKey: pub2, privateKey: priv2, nonce: true, name: 'bench on' });
    const tok = (await chrome.storage.session.get(`wk.token.${a.storeId}`))[`wk.token.${a.storeId}`];
    if (!tok) throw new Error('no token in storage.session');
    /** @type {any} */ (globalThis).bench = { off, on, tok: tok.access_token };
    const form = (o) => new URLSearchParams(o);
    const login = await (await fetch(`${apiUrl}/login`, { method: 'POST', body: form({ version: '1', cmd: 'login', publickey: pub3, privatekey: priv3 }) })).json();
    /** @type {any} */ (globalThis).bench.tok3 = login.result.access_token;
    return { off: a.storeId, on: b.storeId };
  }, [sb.apiUrl, sb.pub, sb.priv, k2.public_key, k2.private_key, k3.public_key, k3.private_key]);

  // 1. warm round trips, interleaved, timed inside the page
  const rt = await page.evaluate(async ([n, apiUrl, pub, pub3]) => {
    const { off, on, tok, tok3 } = /** @type {any} */ (globalThis).bench;
    const fetchOnce = async () => {
      const body = new URLSearchParams({ version: '1', key: pub, cmd: 'get_basic_info', format: 'json' });
      const r = await fetch(`${apiUrl}/get_basic_info`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: tok }, body });
      const j = await r.json();
      if (j.error !== 'ok' || !j.result.merchant_id) throw new Error(JSON.stringify(j));
    };
    // with a nonce, as spec §4 asks of any client: max(last + 1, ms), persisted before it leaves
    let last = 0;
    const fetchNonce = async () => {
      const nonce = Math.max(last + 1, Date.now());
      last = nonce;
      await chrome.storage.local.set({ 'bench.nonce': nonce });
      const body = new URLSearchParams({ version: '1', key: pub3, cmd: 'get_basic_info', nonce: String(nonce), format: 'json' });
      const r = await fetch(`${apiUrl}/get_basic_info`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: tok3 }, body });
      const j = await r.json();
      if (j.error !== 'ok' || !j.result.merchant_id) throw new Error(JSON.stringify(j));
    };
    const check = (/** @type {any} */ v) => { if (!v?.merchant_id) throw new Error(JSON.stringify(v)); };
    const paths = {
      fetch: fetchOnce,
      fetchNonce,
      off: async () => check(await off.basicInfo()),
      on: async () => check(await on.basicInfo()),
    };
    const names = Object.keys(paths);
    /** @type {Record<string, number[]>} */
    const t = Object.fromEntries(names.map((k) => [k, []]));
    for (let i = -10; i < n; i++) {
      for (let j = 0; j < names.length; j++) {
        const k = names[(j + i + 10) % names.length];
        const t0 = performance.now();
        await paths[k]();
        if (i >= 0) t[k].push(performance.now() - t0);
      }
    }
    return t;
  }, [N, sb.apiUrl, sb.pub, k3.public_key]);

  // 2. cold starts (keep: a console page is open and keeps the core compiled)
  const coldRuns = async (keep) => {
    const coldPing = [];
    const coldCall = [];
    const marks = [];
    for (let i = 0; i < COLD; i++) {
      for (const [method, out] of [['ping', coldPing], ['basicInfo', coldCall]]) {
        if (!keep) await collect();
        await ext.stopWorkers(page);
        await page.waitForTimeout(150);
        const r = await page.evaluate(async (m) => {
          const { off } = /** @type {any} */ (globalThis).bench;
          const t0 = performance.now();
          const v = await off[m]();
          const dt = performance.now() - t0;
          if (m === 'basicInfo' && !v?.merchant_id) throw new Error(JSON.stringify(v));
          const p = await off.ping();
          return { dt, startup: p.startup ?? null };
        }, method);
        out.push(r.dt);
        if (method === 'basicInfo' && r.startup) marks.push(r.startup);
      }
    }
    return { coldPing, coldCall, marks };
  };
  const bare = await coldRuns(false);
  // 3. a popup opened on a running worker and on a stopped one: from the page's navigation to its
  // first answer of the core (the mark backend-sw.js sets), what a merchant waits for first data
  /** @param {boolean} cold */
  const popupOpen = async (cold) => {
    if (cold) {
      await collect();
      await ext.stopWorkers(page);
      await page.waitForTimeout(150);
    } else {
      await page.evaluate(() => /** @type {any} */ (globalThis).bench.off.ping());
    }
    const p = await ext.open('popup');
    try {
      return await p.evaluate(async () => {
        for (let i = 0; i < 1000; i++) {
          const [m] = performance.getEntriesByName('wk.first-core-answer');
          if (m) return m.startTime;
          await new Promise((r) => setTimeout(r, 2));
        }
        throw new Error('the popup got no answer of the core within 2 s');
      });
    } finally {
      await p.close();
    }
  };
  const openWarm = [];
  const openCold = [];
  for (let i = 0; i < COLD; i++) {
    openWarm.push(await popupOpen(false));
    openCold.push(await popupOpen(true));
  }

  // 2, with a console page open: it keeps the core compiled once it is idle
  const consolePage = await ext.open('popup');
  await consolePage.locator('html[data-core="kept"]').waitFor({ state: 'attached', timeout: 20_000 });
  const kept = await coldRuns(true);
  await consolePage.close();

  const st = await sb.stats();
  const st2 = await sb.stats(k2.public_key);
  const st3 = await sb.stats(k3.public_key);

  const R = { fetch: stats(rt.fetch), fetchNonce: stats(rt.fetchNonce), off: stats(rt.off), on: stats(rt.on) };
  /** The worker's marks, each over the runs. @param {any[]} marks */
  const markStats = (marks) => {
    /** @type {Record<string, ReturnType<typeof stats>>} */
    const M = {};
    for (const k of marks.length ? Object.keys(marks[0]) : []) {
      const xs = marks.map((x) => x[k]).filter((x) => typeof x === 'number');
      if (xs.length) M[k] = stats(xs);
    }
    return M;
  };
  const M = markStats(bare.marks);
  const MK = markStats(kept.marks);
  // where each cold start compiled the core from (cache: the worker's kept copy; package)
  const sources = bare.marks.map((x) => x.source).filter(Boolean);
  const result = {
    when: new Date().toISOString(),
    n: N,
    roundTrip: { pageFetch: R.fetch, pageFetchNonce: R.fetchNonce, swCoreNonceOff: R.off, swCoreNonceOn: R.on },
    ratioMedian: R.off.median / R.fetch.median,
    ratioMedianNonceOn: R.on.median / R.fetch.median,
    ratioMedianNonceOnVsNonceFetch: R.on.median / R.fetchNonce.median,
    coldStart: { ping: stats(bare.coldPing), basicInfo: stats(bare.coldCall), workerMarks: M, compiledFrom: sources },
    coldStartConsolePageOpen: { ping: stats(kept.coldPing), basicInfo: stats(kept.coldCall), workerMarks: MK },
    popupOpen: { workerRunning: stats(openWarm), workerStopped: stats(openCold) },
    sandbox: { logins: st.logins + st2.logins + st3.logins, nonceErrors: st.nonce_errors + st2.nonce_errors + st3.nonce_errors },
  };
  const dir = path.join(ROOT, 'dist', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'extension.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`basicInfo round trip, N=${N} each, interleaved          median      p95   ratio (median)`);
  console.log(`  hand-written fetch from the page                  ${ms(R.fetch.median)} ${ms(R.fetch.p95)}   1×`);
  console.log(`  page → worker → wasm core → sandbox, nonces off   ${ms(R.off.median)} ${ms(R.off.p95)}   ${result.ratioMedian.toFixed(2)}×`);
  console.log(`  page → worker → wasm core → sandbox, nonces on    ${ms(R.on.median)} ${ms(R.on.p95)}   ${result.ratioMedianNonceOn.toFixed(2)}×  (${result.ratioMedianNonceOnVsNonceFetch.toFixed(2)}× the fetch with a nonce)`);
  console.log(`  hand-written fetch with a nonce (mark stored first) ${ms(R.fetchNonce.median)} ${ms(R.fetchNonce.p95)}   ${(R.fetchNonce.median / R.fetch.median).toFixed(2)}×`);
  console.log(`service-worker cold start, ${COLD} runs each                min   median      max`);
  const row = (label, s) => console.log(`  ${label.padEnd(48)} ${ms(s.min)} ${ms(s.median)} ${ms(s.max)}`);
  /** @param {string} title @param {{ping: any, basicInfo: any}} c @param {Record<string, any>} marks */
  const coldRows = (title, c, marks) => {
    console.log(`  ${title}`);
    row('first answer (ping: the worker script)', c.ping);
    row('first basicInfo answered (the floor: ≤ 100 ms)', c.basicInfo);
    // the worker's own marks, in the order they happen
    for (const [k, s] of Object.entries(marks).sort((a, b) => a[1].median - b[1].median)) row(`  worker mark: ${k}`, s);
  };
  coldRows('no console page open', result.coldStart, M);
  if (sources.length) console.log(`  the core compiled from: ${[...new Set(sources)].map((x) => `${x} ×${sources.filter((y) => y === x).length}`).join(', ')}`);
  coldRows('a console page open (it keeps the core compiled)', result.coldStartConsolePageOpen, MK);
  console.log(`popup opened (no other console page open), navigation → first answer of the core, ${COLD} runs each`);
  row('worker running', result.popupOpen.workerRunning);
  row('worker stopped (Chrome stopped it)', result.popupOpen.workerStopped);
  console.log(`sandbox: ${result.sandbox.logins} logins, ${result.sandbox.nonceErrors} nonce errors; written to dist/bench/extension.json`);
} finally {
  await ext.close();
  await sb.stop();
}
