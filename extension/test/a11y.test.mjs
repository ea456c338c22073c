// Accessibility of the extension's pages (issue #11), in real Chromium against a real sandbox:
//   - axe-core (npm, pinned in package-lock.json) run in every screen and notable state — connect,
//     overview, receive with a payment, the send review, payouts with a bad CSV list, history,
//     Connect while signed in (Sign out), the counter, the options page, the side panel with its
//     tables, the full tab — in light and in dark mode: 0 critical and 0 serious violations
//     (each one printed when there are any);
//   - the layout: no page scrolls sideways (popup 380 px, side panel 400 px, tab 1280 px) and no
//     text is under 12 px;
//   - the focus ring has at least 3:1 contrast against what is behind it (computed here from the
//     computed styles), light and dark;
//   - a keyboard-only walk (connect with a wrong key then the right one, switch screens, take a
//     payment, send with review — refused, then confirmed — load a payout file, Lock): focus is
//     never left on document.body after any of them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, launchExtension, connect, go, shot, typo, ROOT } from './harness.mjs';

const AXE = readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const AXE_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'package.json'), 'utf8')).version;

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
const errors = [];
/** every audit: state → serious/critical violations */
const audits = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  page = await ext.open('popup');
  await page.setViewportSize({ width: 380, height: 600 });
  page.on('pageerror', (e) => errors.push(e.message));
});
after(async () => {
  const total = audits.reduce((n, a) => n + a.violations.length, 0);
  console.log(`# axe-core ${AXE_VERSION}: ${audits.length} audits, ${total} serious or critical violations`);
  await ext?.close();
  await sb?.stop();
});

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol: the extension's CSP allows
 * no inline script) and returns its critical and serious violations.
 * @param {import('playwright-core').Page} p @param {string} name
 */
async function audit(p, name) {
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(AXE);
  const violations = await p.evaluate(async () => {
    // @ts-ignore axe is the injected axe-core
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ')}`),
    }));
  });
  audits.push({ name, violations });
  return violations;
}

/** Audits in light and dark mode; asserts none. @param {import('playwright-core').Page} p @param {string} name */
async function auditBoth(p, name) {
  const found = [];
  for (const scheme of /** @type {const} */ (['light', 'dark'])) {
    await p.emulateMedia({ colorScheme: scheme });
    for (const v of await audit(p, `${name} (${scheme})`)) found.push({ state: `${name} (${scheme})`, ...v });
  }
  await p.emulateMedia({ colorScheme: 'light' });
  assert.equal(found.length, 0, `axe-core found serious or critical violations:\n${JSON.stringify(found, null, 2)}`);
}

/**
 * No sideways scrolling, and no visible text under 12 px.
 * @param {import('playwright-core').Page} p @param {string} name
 */
async function layout(p, name) {
  const r = await p.evaluate(() => {
    const de = document.documentElement;
    const small = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent?.trim()) continue;
      const el = /** @type {HTMLElement} */ (n.parentElement);
      if (!el || !el.getClientRects().length || el.closest('.visually-hidden, [hidden], svg')) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < 12) small.push(`${el.tagName.toLowerCase()}.${el.className} ${px}px: ${n.textContent.trim().slice(0, 40)}`);
    }
    const b = document.body;
    return { scroll: de.scrollWidth, width: de.clientWidth, bodyScroll: b.scrollWidth, bodyWidth: b.clientWidth, small, body: parseFloat(getComputedStyle(b).fontSize) };
  });
  assert.ok(r.scroll <= r.width, `${name}: the page scrolls sideways (${r.scroll} px wide in ${r.width} px)`);
  assert.ok(r.bodyScroll <= r.bodyWidth, `${name}: the body scrolls sideways (${r.bodyScroll} px wide in ${r.bodyWidth} px)`);
  assert.deepEqual(r.small, [], `${name}: text under 12 px`);
  assert.ok(r.body >= 14, `${name}: body text ${r.body} px`);
}

test('connect screen (popup, 380 px): no serious or critical violations, no sideways scroll, type set on body', async () => {
  await page.getByLabel('API URL').waitFor();
  await auditBoth(page, 'connect');
  await layout(page, 'connect (popup)');
  // labels and inputs at the base size, hints smaller than labels, never under 12 px
  const sizes = await page.evaluate(() => {
    const fs = (/** @type {string} */ sel) => parseFloat(getComputedStyle(/** @type {Element} */ (document.querySelector(sel))).fontSize);
    return { label: fs('.field label'), input: fs('.field input'), hint: fs('.field .hint'), body: fs('body') };
  });
  assert.equal(sizes.body, 15);
  assert.equal(sizes.label, 15);
  assert.equal(sizes.input, 15);
  assert.ok(sizes.hint < sizes.label && sizes.hint >= 12, JSON.stringify(sizes));
  // the popup is 360–400 px wide (380, less a vertical scroll bar's room), and fits 360 too
  const width = await page.evaluate(() => document.body.getBoundingClientRect().width);
  assert.ok(width >= 360 && width <= 400, `popup body ${width} px`);
  await page.setViewportSize({ width: 360, height: 600 });
  await layout(page, 'connect (360 px)');
  await page.setViewportSize({ width: 380, height: 600 });
});

test('overview after connecting, and Connect while signed in (Sign out): light and dark', async () => {
  await connect(page, sb);
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  await page.locator('section[aria-labelledby="ov-rates"] tbody tr').first().waitFor();
  await auditBoth(page, 'overview');
  await layout(page, 'overview (popup)');
  // at popup width each row is label: value lines: no cell is cut off, nothing scrolls sideways
  assert.ok(await page.locator('.table-wrap').count() >= 2);
  assert.equal(await page.locator('.table-wrap').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length), 0);
  assert.equal(await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector('.table-wrap tr'))).display), 'block');
  const clipped = await page.locator('.table-wrap td').evaluateAll((tds) => tds.filter((td) => td.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).length);
  assert.equal(clipped, 0);
  // the table's room decides, not the window's: the popup's 380 px body in a wide window keeps cards
  await page.setViewportSize({ width: 1000, height: 600 });
  assert.equal(await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector('.table-wrap tr'))).display), 'block');
  await page.setViewportSize({ width: 380, height: 600 });
  await shot(page, 'a11y-popup-overview');
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await auditBoth(page, 'connect, signed in');
});

test('receive with a payment, the send review, payouts with a bad CSV list, history', async () => {
  await go(page, 'receive');
  await page.getByLabel('Amount').fill('12.50');
  await page.getByLabel('Pay currency').selectOption('LTCT');
  await page.getByLabel('Buyer email').fill('buyer@example.com');
  await page.getByRole('button', { name: 'Create payment' }).click();
  await page.locator('#rc-payment').waitFor();
  await auditBoth(page, 'receive with a payment');
  await layout(page, 'receive (popup)');

  await go(page, 'send');
  const [addr] = await sb.addresses('LTCT', 1);
  await page.locator('input[name="wdAmount"]').fill('0.5');
  await page.locator('select[name="wdCurrency"]').selectOption('LTCT');
  await page.locator('input[name="wdAddress"]').fill(addr);
  await page.getByRole('button', { name: 'Review withdrawal' }).click();
  await page.locator('section.review').waitFor();
  await auditBoth(page, 'send review');
  await layout(page, 'send review (popup)');

  await go(page, 'payouts');
  const fresh = await sb.addresses('LTCT', 3);
  const bad = `address,currency,amount\n${fresh[0]},LTCT,1\n${typo(fresh[1])},LTCT,1\n${fresh[2]},LTCT,abc\n`;
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.locator('ul.problems li').first().waitFor();
  await auditBoth(page, 'payouts with a bad CSV list');
  await layout(page, 'payouts (popup)');

  await go(page, 'history');
  await page.locator('section[aria-labelledby="hi-totals"], main .empty').first().waitFor({ timeout: 30_000 });
  await auditBoth(page, 'history');
  await layout(page, 'history (popup)');
});

test('the side panel (400 px) with its tables, and the full tab (1280 px)', async () => {
  const side = await ext.open('sidepanel');
  await side.setViewportSize({ width: 400, height: 900 });
  try {
    await side.locator('section[aria-labelledby="ov-rates"] tbody tr').first().waitFor();
    await auditBoth(side, 'side panel, overview');
    await layout(side, 'side panel overview');
    await go(side, 'history');
    await side.locator('section[aria-labelledby="hi-list"] tbody tr').first().waitFor({ timeout: 30_000 });
    await auditBoth(side, 'side panel, history');
    await layout(side, 'side panel history');
    await shot(side, 'a11y-sidepanel-history');
  } finally {
    await side.close();
  }
  const tab = await ext.open('tab');
  await tab.setViewportSize({ width: 1280, height: 900 });
  try {
    await tab.locator('section[aria-labelledby="ov-rates"] tbody tr').first().waitFor();
    await auditBoth(tab, 'tab, overview');
    await layout(tab, 'tab overview');
    // the tab uses its room: the console is wider than the popup's 380 px, tables as tables
    const w = await tab.evaluate(() => /** @type {HTMLElement} */ (document.getElementById('app')).getBoundingClientRect().width);
    assert.ok(w > 1000, `tab content ${w} px`);
    assert.equal(await tab.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector('.table-wrap tr'))).display), 'table-row');
    // a table wider than its place scrolls in its wrapper, which becomes a region named by the
    // caption that Tab reaches; one that fits adds no tab stop
    const wrap = tab.locator('section[aria-labelledby="ov-rates"] .table-wrap');
    assert.equal(await wrap.getAttribute('tabindex'), null);
    await tab.setViewportSize({ width: 700, height: 900 });
    await tab.evaluate(() => { /** @type {HTMLElement} */ (document.querySelector('section[aria-labelledby="ov-rates"] .table-wrap table')).style.minWidth = '1400px'; });
    await tab.waitForFunction(() => document.querySelector('section[aria-labelledby="ov-rates"] .table-wrap')?.getAttribute('role') === 'region');
    assert.equal(await wrap.getAttribute('tabindex'), '0');
    assert.match(/** @type {string} */ (await wrap.getAttribute('aria-label')), /\S/);
    await auditBoth(tab, 'tab at 700 px, a table wider than its place');
    await tab.evaluate(() => { /** @type {HTMLElement} */ (document.querySelector('section[aria-labelledby="ov-rates"] .table-wrap table')).style.minWidth = ''; });
    await tab.waitForFunction(() => !document.querySelector('section[aria-labelledby="ov-rates"] .table-wrap')?.hasAttribute('tabindex'));
  } finally {
    await tab.close();
  }
});

test('the counter and the options page', async () => {
  const counter = await ext.open('counter');
  await counter.setViewportSize({ width: 400, height: 860 });
  try {
    await counter.getByLabel('Customer pays with').waitFor();
    await counter.locator('select[name="counterCoin"] option').first().waitFor({ state: 'attached' });
    await auditBoth(counter, 'counter');
    await layout(counter, 'counter');
  } finally {
    await counter.close();
  }
  const options = await ext.open('options');
  try {
    await options.getByLabel('Store shown first').waitFor();
    await options.getByLabel('Values in').first().locator('option').first().waitFor({ state: 'attached' });
    await auditBoth(options, 'options');
    await layout(options, 'options');
  } finally {
    await options.close();
  }
});

/** WCAG relative luminance contrast of two rgb() colours. @param {number[]} a @param {number[]} b */
function contrast(a, b) {
  const lum = (/** @type {number[]} */ c) => {
    const [r, g, bl] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

test('the focus ring has at least 3:1 contrast against what is behind it (light and dark)', async () => {
  await go(page, 'overview');
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  for (const scheme of /** @type {const} */ (['light', 'dark'])) {
    await page.emulateMedia({ colorScheme: scheme });
    // walk the first 25 stops with the keyboard: links, buttons, fields, table regions
    await page.evaluate(() => { /** @type {HTMLElement|null} */ (document.activeElement)?.blur(); });
    const seen = new Set();
    for (let i = 0, stops = 0; stops < 25; i++) {
      assert.ok(i < 60, 'Tab kept leaving the page');
      await page.keyboard.press('Tab');
      // past the last stop Tab leaves the page for the browser's own controls: not a stop
      if (await page.evaluate(() => document.activeElement === document.body)) continue;
      stops++;
      const r = await page.evaluate(() => {
        const el = /** @type {HTMLElement} */ (document.activeElement);
        const cs = getComputedStyle(el);
        // the colour behind the ring: the first ancestor (from the parent) with a background
        let bg = 'rgba(0, 0, 0, 0)';
        for (let a = el.parentElement; a; a = a.parentElement) {
          const c = getComputedStyle(a).backgroundColor;
          if (!/rgba\(.*, 0\)$/.test(c) && c !== 'transparent') { bg = c; break; }
        }
        if (bg === 'rgba(0, 0, 0, 0)') bg = getComputedStyle(document.documentElement).backgroundColor;
        return { tag: `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor, bg, visible: el.matches(':focus-visible') };
      });
      const nums = (/** @type {string} */ c) => (c.match(/[\d.]+/g) ?? []).map(Number);
      assert.ok(r.visible, `${r.tag} is focused without a visible ring`);
      assert.notEqual(r.style, 'none', `${r.tag} has no focus ring (${scheme})`);
      assert.ok(r.width >= 2, `${r.tag} ring ${r.width}px`);
      const c = contrast(nums(r.color), nums(r.bg));
      assert.ok(c >= 3, `${scheme}: the focus ring of ${r.tag} is ${c.toFixed(2)}:1 against ${r.bg} (${r.color})`);
      seen.add(r.tag.split('.')[0]);
    }
    assert.ok(seen.has('a') && seen.has('select'), [...seen].join(','));
  }
  await page.emulateMedia({ colorScheme: 'light' });
});

/**
 * Presses Tab (at most 60 times) until the focused element matches; fails when it never does.
 * @param {import('playwright-core').Page} p @param {string} selector
 */
async function tabTo(p, selector) {
  for (let i = 0; i < 60; i++) {
    if (await p.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await p.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** What has focus: fails when it is the page itself (document.body or nothing). @param {import('playwright-core').Page} p @param {string} after */
async function focusKept(p, after) {
  const f = await p.evaluate(() => {
    const el = document.activeElement;
    return !el || el === document.body || el === document.documentElement ? null : `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''} ${(el.textContent ?? '').trim().slice(0, 60)}`;
  });
  assert.ok(f, `focus fell back to the top of the page after ${after}`);
  return f;
}

test('keyboard only: connect (a wrong key first), switch screens, take a payment, send with review (refused, then confirmed), load a payout file, Lock: focus is never lost', async () => {
  const walkSb = await startSandbox();
  const walkExt = await launchExtension();
  const p = await walkExt.open('tab');
  const errs = [];
  p.on('pageerror', (e) => errs.push(e.message));
  try {
    await p.getByLabel('API URL').waitFor();
    // Connect, by keyboard: a wrong private key first
    await tabTo(p, 'input[name="apiUrl"]');
    await p.keyboard.press('ControlOrMeta+a');
    await p.keyboard.type(walkSb.apiUrl);
    await tabTo(p, 'input[name="publicKey"]');
    await p.keyboard.type(walkSb.pub);
    await tabTo(p, 'input[name="privateKey"]');
    await p.keyboard.type('not-the-key');
    await p.keyboard.press('Enter');
    await p.locator('main [role=alert][data-code]').waitFor({ timeout: 30_000 });
    const wrong = await focusKept(p, 'a wrong key');
    assert.match(wrong, /^div|^input/, wrong);
    // the right key
    await tabTo(p, 'input[name="privateKey"]');
    await p.keyboard.press('ControlOrMeta+a');
    await p.keyboard.type(walkSb.priv);
    await p.keyboard.press('Enter');
    await p.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
    assert.match(await focusKept(p, 'connecting'), /^h2 Overview/);

    // switch screens with the tab links
    await tabTo(p, 'nav a[data-screen="receive"]');
    await p.keyboard.press('Enter');
    await p.locator('main [data-screen="receive"]').waitFor();
    assert.match(await focusKept(p, 'switching to Receive'), /^h2 Receive/);

    // take a payment: the form by keyboard; the sandbox pays it
    await tabTo(p, 'input[name="amount"]');
    await p.keyboard.type('12.50');
    await tabTo(p, 'select[name="currency2"]');
    await p.locator('select[name="currency2"] option[value="LTCT"]').waitFor({ state: 'attached' });
    await p.keyboard.type('LTCT');
    assert.equal(await p.locator('select[name="currency2"]').inputValue(), 'LTCT');
    await tabTo(p, 'input[name="buyerEmail"]');
    await p.keyboard.type('buyer@example.com');
    await p.keyboard.press('Enter');
    await p.locator('#rc-payment').waitFor({ timeout: 30_000 });
    assert.match(await focusKept(p, 'creating a payment'), /^h3#rc-payment Payment/);
    const txn = (await p.locator('#rc-payment code').innerText()).trim();
    await walkSb.admin('POST', `tx/${txn}/pay`, {});
    await p.locator('.payment-status[data-state="paid"]').waitFor({ timeout: 30_000 });
    await focusKept(p, 'the payment was paid');

    // send with review: refused by Wallex Pay (more than the balance), then confirmed
    await tabTo(p, 'nav a[data-screen="send"]');
    await p.keyboard.press('Enter');
    await p.locator('main [data-screen="send"]').waitFor();
    const [addr] = await walkSb.addresses('LTCT', 1);
    await tabTo(p, 'input[name="wdAmount"]');
    await p.keyboard.type('5000');
    await tabTo(p, 'select[name="wdCurrency"]');
    await p.locator('select[name="wdCurrency"] option[value="LTCT"]').waitFor({ state: 'attached' });
    await p.keyboard.type('LTCT');
    assert.equal(await p.locator('select[name="wdCurrency"]').inputValue(), 'LTCT');
    await tabTo(p, 'input[name="wdAddress"]');
    await p.keyboard.type(addr);
    await p.keyboard.press('Enter');
    await p.locator('section.review').waitFor({ timeout: 30_000 });
    assert.match(await focusKept(p, 'the review'), /^h4 Review the withdrawal/);
    await tabTo(p, 'button[data-action="confirm"]');
    await p.keyboard.press('Enter');
    await p.locator('section.review [role=alert][data-code]').waitFor({ timeout: 30_000 });
    assert.match(await focusKept(p, 'a refused send'), /^div/);
    assert.equal(await p.evaluate(() => document.activeElement?.getAttribute('role')), 'alert');
    // back to edit, a smaller amount, confirmed
    await tabTo(p, 'section.review button.secondary');
    await p.keyboard.press('Enter');
    assert.match(await focusKept(p, 'back to edit'), /^input#\S*\[name=wdAmount\]/);
    await p.keyboard.press('ControlOrMeta+a');
    await p.keyboard.type('0.5');
    await p.keyboard.press('Enter');
    await p.locator('section.review button[data-action="confirm"]').waitFor({ timeout: 30_000 });
    await tabTo(p, 'button[data-action="confirm"]');
    await p.keyboard.press('Enter');
    await p.locator('section.review .notice.ok').waitFor({ timeout: 30_000 });
    assert.match(await focusKept(p, 'a confirmed send'), /^div Withdrawal \S+ created/);
    // New withdrawal: the form again, LTCT still chosen
    await tabTo(p, 'section.review button.secondary');
    await p.keyboard.press('Enter');
    await focusKept(p, 'New withdrawal');
    assert.equal(await p.locator('select[name="wdCurrency"]').inputValue(), 'LTCT');

    // load a payout file (the file itself through the chooser Playwright stands in for)
    await tabTo(p, 'nav a[data-screen="payouts"]');
    await p.keyboard.press('Enter');
    await p.locator('main [data-screen="payouts"]').waitFor();
    await tabTo(p, 'input[name="payoutFile"]');
    const fresh = await walkSb.addresses('LTCT', 2);
    await p.locator('input[name="payoutFile"]').setInputFiles({ name: 'two.csv', mimeType: 'text/csv', buffer: Buffer.from(`address,currency,amount\n${fresh[0]},LTCT,0.01\n${fresh[1]},LTCT,0.02\n`) });
    await p.locator('[data-action="send-payouts"]').waitFor({ timeout: 30_000 });
    assert.match(await focusKept(p, 'loading a payout file'), /^h3/);

    // Lock, from Connect
    await tabTo(p, 'nav a[data-screen="connect"]');
    await p.keyboard.press('Enter');
    await p.locator('main [data-screen="connect"]').waitFor();
    await tabTo(p, 'main button[data-action="lock"]');
    assert.equal(await p.evaluate(() => document.activeElement?.textContent), 'Lock');
    await p.keyboard.press('Enter');
    await p.locator('#wk-session[data-state="locked"], #wk-session[data-state="off"]').waitFor({ timeout: 30_000 });
    await p.waitForFunction(() => !document.querySelector('main button[aria-busy]'));
    assert.match(await focusKept(p, 'Lock'), /^h2|^input/);
    assert.deepEqual(errs, []);
  } finally {
    await walkExt.close();
    await walkSb.stop();
  }
});

test('no page errors', () => {
  assert.deepEqual(errors, []);
});
