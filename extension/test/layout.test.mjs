// Layout of every screen in both locales (issue #11), in real Chromium against a real sandbox:
// the popup at 360 px, the side panel at 400 px and a tab at 1280 px; English and Arabic (right
// to left, chosen with ?lang=ar: the same messages.json Chrome reads, see web/lib/i18n.js); light
// and dark. Each state is saved to dist/screenshots/<locale>-<theme>-<width>-<screen>.png and
// checked: no sideways scroll, no visible text under 12 px, <html lang dir> set, the screen's
// heading starting at the start edge (the right one in Arabic), no private key or token on the
// page, and in Arabic no English sentence left outside the left-to-right islands (amounts,
// addresses, ids, URLs) and the data the sandbox holds.
// One browser, one sandbox, one page. The checks run at 800 px high (with the scroll bar a side
// panel has), the picture is of the whole page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, launchExtension, startDevServer, connect, go, SHOTS } from './harness.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
const errors = [];
/** the secrets no screenshot may show */
const secrets = [];
/** data that reads in English whatever the locale: the sandbox's store, coin names, what the test typed */
const data = ['Demo Store', 'Blue mug', 'order 42'];
let shots = 0;

const LOCALES = /** @type {const} */ (['en', 'ar']);
const THEMES = /** @type {const} */ (['light', 'dark']);
/** width → the extension page that is shown at that width */
const WIDTHS = /** @type {const} */ ([[360, 'popup'], [400, 'sidepanel'], [1280, 'tab']]);

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  secrets.push(sb.priv);
  page = await ext.open('popup');
  page.on('pageerror', (e) => errors.push(e.message));
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  console.log(`# ${shots} screenshots in ${path.relative(process.cwd(), SHOTS) || SHOTS}`);
  await ext?.close();
  await sb?.stop();
});

/** @param {string} variant @param {string} lang @param {string} hash */
async function open(variant, lang, hash) {
  await page.goto(`chrome-extension://${ext.id}/ext/${variant}.html?lang=${lang}#${hash}`);
  await page.locator(`main [data-screen="${hash}"]`).waitFor({ timeout: 30_000 });
}

/**
 * What the page looks like to the checks: sideways scroll, small text, direction, where the
 * heading's text starts, secrets, and (for Arabic) visible English sentences outside LTR islands.
 * @param {{secrets: string[], data: string[]}} o
 */
function inspect({ secrets: secretList, data: dataList }) {
  const de = document.documentElement;
  const se = /** @type {Element} */ (document.scrollingElement);
  const visible = (/** @type {Element} */ el) => el.getClientRects().length > 0 && !el.closest('.visually-hidden, [hidden], svg, option');
  const small = [];
  const english = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent?.trim();
    if (!text) continue;
    const el = /** @type {HTMLElement} */ (n.parentElement);
    if (!el || !visible(el)) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < 12) small.push(`${el.tagName.toLowerCase()}.${el.className} ${px}px: ${text.slice(0, 40)}`);
    // two English words in a row, outside what reads left to right on purpose
    // (the product's names are names in every language)
    const words = text.replace(/Wallex Pay|wallexkit|WebAssembly/g, '');
    // (what the Go core says, e.g. the payout engine's next step, stays English and is marked lang=en)
    if (!el.closest('code, bdi, [dir="ltr"], textarea, [lang="en"]') && !dataList.includes(text) && /[A-Za-z]{2,}[ ,:]+[A-Za-z]{2,}/.test(words)) english.push(text.slice(0, 80));
  }
  const heading = /** @type {HTMLElement|null} */ (document.querySelector('main .screen-title'));
  let edge = null;
  if (heading) {
    const r = document.createRange();
    r.selectNodeContents(heading);
    const text = r.getBoundingClientRect();
    const box = heading.getBoundingClientRect();
    const cs = getComputedStyle(heading);
    edge = {
      startGap: cs.direction === 'rtl' ? box.right - parseFloat(cs.paddingRight) - text.right : text.left - box.left - parseFloat(cs.paddingLeft),
      rightHalf: text.left + text.width / 2 > box.left + box.width / 2,
      direction: cs.direction,
      text: heading.textContent,
    };
  }
  // anything laid out beside the page (in RTL, past the right edge nobody can scroll to)
  const clipped = (/** @type {Element} */ el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true;
    return false;
  };
  const outside = [...document.body.querySelectorAll('*')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && (r.left < -1 || r.right > de.clientWidth + 1) && !clipped(el);
  }).slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().left)}..${Math.round(el.getBoundingClientRect().right)}`);
  // the tab bar: one row (it scrolls sideways when the tabs do not fit), the current tab in view;
  // the header's page links (side panel, options, counter) on one line
  const navUl = document.querySelector('nav ul');
  let nav = null;
  if (navUl && navUl.getClientRects().length) {
    const tops = new Set([...navUl.querySelectorAll('li')].map((li) => Math.round(li.getBoundingClientRect().top)));
    const cur = navUl.querySelector('a[aria-current="page"]');
    const u = navUl.getBoundingClientRect();
    const c = cur?.getBoundingClientRect();
    const links = new Set([...document.querySelectorAll('header.top button.link')].map((b) => Math.round(b.getBoundingClientRect().top)));
    nav = {
      rows: tops.size,
      current: cur?.textContent ?? null,
      currentInView: c ? c.left >= u.left - 1 && c.right <= u.right + 1 : null,
      linkRows: links.size,
      titleTop: heading ? Math.round(heading.getBoundingClientRect().top + (document.scrollingElement?.scrollTop ?? 0)) : null,
    };
  }
  // a number column (a table, not the narrow cards): its header and its values end at one edge,
  // the numbers' own (they read left to right: the right edge, so their digits line up); in
  // Arabic the header ended at the column's left while the values ran on past it
  const numbers = [];
  for (const table of document.querySelectorAll('.table-wrap table')) {
    const head = table.querySelector('thead');
    if (!head || getComputedStyle(head).position === 'absolute' || !table.getClientRects().length) continue;
    const right = (/** @type {Element} */ el) => { const r = document.createRange(); r.selectNodeContents(el); return Math.round(r.getBoundingClientRect().right); };
    [...head.querySelectorAll('th')].forEach((th, i) => {
      if (!th.classList.contains('num')) return;
      const ends = [...table.querySelectorAll(`tbody tr > td:nth-child(${i + 1})`)].filter((td) => td.textContent?.trim()).map(right);
      const at = right(th);
      if (ends.some((x) => Math.abs(x - at) > 2)) numbers.push(`${th.textContent} ends at ${at} px, its values at ${[...new Set(ends)].join(', ')} px`);
    });
  }
  const values = [...document.querySelectorAll('input, textarea')].map((i) => /** @type {HTMLInputElement} */ (i).value);
  const all = `${document.body.innerText}\n${values.join('\n')}`;
  return {
    scroll: se.scrollWidth, width: se.clientWidth, bodyScroll: document.body.scrollWidth, bodyWidth: document.body.clientWidth,
    small, english, edge, outside, nav, numbers, dir: de.dir, lang: de.lang,
    leaks: secretList.filter((s) => all.includes(s)).length,
    privType: /** @type {HTMLInputElement|null} */ (document.querySelector('input[name="privateKey"]'))?.type ?? null,
  };
}

/**
 * The whole page as a person scrolling it sees it. Not Playwright's fullPage: in a right-to-left
 * page Chromium puts the vertical scroll bar on the left, and fullPage then cuts the scroll bar's
 * width off the right edge. The viewport grows to the page's height (no scroll bar) instead.
 * @param {string} file
 */
async function capture(file) {
  const vp = /** @type {{width: number, height: number}} */ (page.viewportSize());
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: vp.width, height: Math.max(vp.height, Math.min(height, 8000)) });
  await page.screenshot({ path: file });
  await page.setViewportSize(vp);
}

/**
 * Screenshots the page in both themes and checks each.
 * @param {string} lang @param {number} width @param {string} screen
 */
async function shoot(lang, width, screen) {
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    const name = `${lang}-${theme}-${width}-${screen}`;
    const r = await page.evaluate(inspect, { secrets, data });
    assert.equal(r.leaks, 0, `${name}: a private key or token is on the page`);
    if (r.privType) assert.equal(r.privType, 'password', `${name}: the private key field is not masked`);
    await capture(path.join(SHOTS, `${name}.png`));
    shots++;
    assert.ok(r.scroll <= r.width, `${name}: the page scrolls sideways (${r.scroll} px in ${r.width} px)`);
    assert.ok(r.bodyScroll <= r.bodyWidth, `${name}: the body scrolls sideways (${r.bodyScroll} px in ${r.bodyWidth} px)`);
    assert.deepEqual(r.outside, [], `${name}: laid out beside the page`);
    assert.deepEqual(r.small, [], `${name}: text under 12 px`);
    assert.deepEqual(r.numbers, [], `${name}: a number column's header and values do not line up`);
    assert.equal(r.lang, lang, `${name}: <html lang>`);
    assert.equal(r.dir, lang === 'ar' ? 'rtl' : 'ltr', `${name}: <html dir>`);
    assert.ok(r.edge, `${name}: no screen heading`);
    assert.equal(r.edge.direction, r.dir, `${name}: the heading's direction`);
    assert.ok(Math.abs(r.edge.startGap) <= 2, `${name}: the heading "${r.edge.text}" does not start at its start edge (${r.edge.startGap} px away)`);
    assert.equal(r.edge.rightHalf, lang === 'ar', `${name}: the heading "${r.edge.text}" sits on the wrong side`);
    if (lang === 'ar') assert.deepEqual(r.english, [], `${name}: English left in the Arabic page`);
    // at 360 px the tabs took three rows and the page links two, and the screen's title began
    // about 360 px down: one row of tabs that scrolls sideways, the links on one line
    if (r.nav) {
      assert.equal(r.nav.rows, 1, `${name}: the tabs take ${r.nav.rows} rows`);
      if (r.nav.current) assert.ok(r.nav.currentInView, `${name}: the current tab "${r.nav.current}" is scrolled out of view`);
      assert.ok(r.nav.linkRows <= 1, `${name}: the header's links take ${r.nav.linkRows} rows`);
      assert.ok(r.nav.titleTop !== null && r.nav.titleTop <= 260, `${name}: the screen's title starts ${r.nav.titleTop} px down`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** States reached from the screen's own controls, found by name (the labels are translated). */
const PREPARE = {
  async overview() {
    await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
    await page.locator('section[aria-labelledby="ov-rates"] tbody tr').first().waitFor();
  },
  async receive() {
    await page.locator('select[name="currency2"] option[value="LTCT"]').waitFor({ state: 'attached' });
    await page.locator('input[name="amount"]').fill('12.50');
    await page.locator('select[name="currency1"]').selectOption('USD');
    await page.locator('select[name="currency2"]').selectOption('LTCT');
    await page.locator('input[name="buyerEmail"]').fill('buyer@example.com');
    await page.locator('input[name="itemName"]').fill('Blue mug');
    await page.locator('form.grid-form button[type="submit"]').click();
    await page.locator('section[data-txn] figcaption[data-kind]').waitFor();
    await page.locator('section[aria-labelledby="rc-recent"] tbody tr').first().waitFor();
    // each currency chosen reads whole in its field (at 1280 px "USD — United States Dollar" was cut to "USD — United States Do")
    for (const name of ['currency1', 'currency2']) {
      const r = await page.locator(`select[name="${name}"]`).evaluate((s) => {
        const sel = /** @type {HTMLSelectElement} */ (s);
        const cs = getComputedStyle(sel);
        const probe = document.createElement('span');
        Object.assign(probe.style, { font: cs.font, position: 'absolute', whiteSpace: 'pre', visibility: 'hidden' });
        probe.textContent = sel.selectedOptions[0]?.textContent ?? '';
        document.body.append(probe);
        const text = probe.getBoundingClientRect().width;
        probe.remove();
        // the room left of the drop-down arrow (about 20 px)
        return { text: Math.ceil(text), room: Math.floor(sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20), label: probe.textContent };
      });
      assert.ok(r.text <= r.room, `receive: "${r.label}" (${r.text} px) is cut off in its ${r.room} px field`);
    }
  },
  async send() {
    const [addr] = await sb.addresses('LTCT');
    // the screen's own loads first (the history below the forms moves them while it arrives)
    await page.locator('section[aria-labelledby="sd-history"] > div[aria-live]:not([aria-busy])').waitFor();
    await page.locator('select[name="wdCurrency"] option[value="LTCT"]').waitFor({ state: 'attached' });
    await page.locator('input[name="wdAmount"]').fill('0.5');
    await page.locator('select[name="wdCurrency"]').selectOption('LTCT');
    await page.locator('input[name="wdAddress"]').fill(addr);
    await page.locator('input[name="wdNote"]').fill('order 42');
    await page.locator('section[aria-labelledby="sd-wd"] button[type="submit"]').click();
    await page.locator('section.review dd .fiat', { hasText: '≈' }).waitFor();
  },
  async payouts() {
    const addrs = await sb.addresses('LTCT', 3);
    await page.locator('details').first().evaluate((d) => { /** @type {HTMLDetailsElement} */ (d).open = true; });
    await page.locator('textarea[name="payoutText"]').fill(addrs.map((a, i) => `${a},LTCT,0.0${i + 1},supplier ${i + 1}`).join('\n'));
    await page.locator('details button[type="submit"]').click();
    await page.locator('section[data-sha256] [data-state="pending"]').first().waitFor();
  },
  async history() {
    await page.locator('#hi-count').waitFor();
  },
  async counter() {
    await page.locator('.keypad').waitFor();
    await page.locator('select[name="counterCoin"] option').first().waitFor({ state: 'attached' });
    for (const k of ['1', '2', '.', '5']) await page.keyboard.press(k);
    await page.locator('[data-action="charge"]:not([disabled])').waitFor();
    // one column at every width: the keypad and the coin with Charge below it start at the same
    // edge (at 1280 px the keypad sat at the far end and Charge at the start, a page apart)
    const rtl = await page.evaluate(() => document.documentElement.dir === 'rtl');
    const start = async (/** @type {string} */ sel) => {
      const b = /** @type {{x: number, width: number}} */ (await page.locator(sel).boundingBox());
      return rtl ? b.x + b.width : b.x;
    };
    const [keys, coinAt, chargeAt] = [await start('.keypad'), await start('select[name="counterCoin"]'), await start('[data-action="charge"]')];
    assert.ok(Math.abs(keys - chargeAt) <= 2 && Math.abs(keys - coinAt) <= 2, `the counter's keypad starts at ${keys} px, the coin at ${coinAt} px, Charge at ${chargeAt} px`);
  },
};

test('connect (not connected yet): every width, both locales and themes', async () => {
  for (const lang of LOCALES) {
    for (const [width, variant] of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await open(variant, lang, 'connect');
      await page.locator('input[name="apiUrl"]').waitFor();
      await shoot(lang, width, 'connect');
    }
  }
});

test('every screen once connected: every width, both locales and themes', async () => {
  await page.setViewportSize({ width: 360, height: 800 });
  await open('popup', 'en', 'connect');
  await connect(page, sb);
  const dump = await ext.dumpStorage();
  for (const [k, v] of Object.entries(dump.session)) if (k.startsWith('wk.token.')) secrets.push(v.access_token);
  assert.equal(secrets.length, 2, 'the session token was found');
  const rates = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'rates', args: [{}] }));
  for (const c of rates.value.coins) if (c.name) data.push(c.name);
  for (const lang of LOCALES) {
    for (const [width, variant] of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await open(variant, lang, 'overview');
      for (const screen of ['overview', 'receive', 'send', 'payouts', 'history', 'counter']) {
        if (screen !== 'overview') await go(page, screen);
        try {
          await PREPARE[/** @type {keyof typeof PREPARE} */ (screen)]();
        } catch (e) {
          // what the page showed, for the failure's reader
          const file = path.join(SHOTS, `FAILED-${lang}-${width}-${screen}.png`);
          await page.screenshot({ path: file, fullPage: true }).catch(() => {});
          const text = await page.evaluate(() => document.querySelector('main')?.innerText.slice(0, 2000)).catch(() => '');
          throw new Error(`preparing ${lang}-${width}-${screen} failed (page: ${file}): ${e?.message ?? e}\n--- the page's text ---\n${text}`);
        }
        await shoot(lang, width, screen);
      }
    }
  }
});

test('the options page: every width, both locales and themes', async () => {
  for (const lang of LOCALES) {
    for (const [width] of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`chrome-extension://${ext.id}/ext/options.html?lang=${lang}`);
      await page.locator('main [data-screen="options"] section[data-store]').first().waitFor();
      await shoot(lang, width, 'options');
    }
  }
  assert.equal(shots, 2 * 2 * 3 * 8);
  assert.deepEqual(errors, []);
});

test('the dev page (wallexkit console, the messages embedded in the binary): ?lang=ar is Arabic and right to left, the browser\'s English without it', async () => {
  const dev = await startDevServer(sb);
  const p = await ext.context.newPage();
  try {
    const read = () => p.evaluate(() => ({ dir: document.documentElement.dir, lang: document.documentElement.lang, title: document.querySelector('main .screen-title')?.textContent }));
    await p.goto(`${dev.origin}/web/index.html?lang=ar#connect`);
    await p.locator('main [data-screen="connect"] input[name="apiUrl"]').waitFor();
    assert.deepEqual(await read(), { dir: 'rtl', lang: 'ar', title: 'اتصال' });
    await p.goto(`${dev.origin}/web/index.html#connect`);
    await p.locator('main [data-screen="connect"] input[name="apiUrl"]').waitFor();
    assert.deepEqual(await read(), { dir: 'ltr', lang: 'en', title: 'Connect' });
  } finally {
    await p.close();
    dev.stop();
  }
});

test('Chromium started in Arabic (--lang=ar): chrome.i18n gives the Arabic strings and the page turns right to left', async () => {
  const ar = await launchExtension({ lang: 'ar' });
  try {
    const p = await ar.open('popup');
    await p.locator('input[name="apiUrl"]').waitFor();
    const r = await p.evaluate(() => ({ dir: document.documentElement.dir, lang: document.documentElement.lang, title: document.querySelector('main .screen-title')?.textContent, button: document.querySelector('form button[type="submit"]')?.textContent }));
    assert.deepEqual(r, { dir: 'rtl', lang: 'ar', title: 'اتصال', button: 'اتصال' });
    // the manifest's name and description come from the same messages
    const names = await p.evaluate(() => chrome.runtime.getManifest().name);
    assert.equal(names, 'وحدة تحكم Wallex Pay (wallexkit)');
  } finally {
    await ar.close();
  }
});
