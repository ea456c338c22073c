// The console shell: header with the store switcher and the session state, tab navigation (hash
// routes), one screen at a time, a polite live region for announcements. mount() is all a host
// page calls. Switching the store disposes the screen and draws it again for the new store:
// nothing of one store stays on the page of another.

import { h, replace } from './dom.js';
import { formatTime, formatDuration } from './ui.js';
import connect from './screens/connect.js';
import overview from './screens/overview.js';
import receive from './screens/receive.js';
import send from './screens/send.js';
import payouts from './screens/payouts.js';
import buttonBuilder from './screens/button-builder.js';
import payment from './screens/payment.js';
import historyScreen from './screens/history.js';
import counter from './screens/counter.js';
import { renderOpsBanner } from './ops-view.js';
import { t } from './lib/i18n.js';

/** @typedef {import('./backend.js').Backend} Backend */
/** @typedef {import('./backend.js').SessionState} SessionState */
/** @typedef {import('./host/kv.js').KV} KV */

/**
 * @typedef {object} Ctx
 * @property {Backend} backend
 * @property {KV} store                      page-side state (payout progress, recent payments)
 * @property {SessionState|null} session     last known
 * @property {() => Promise<SessionState>} refreshSession
 * @property {(id: string) => void} navigate
 * @property {(text: string) => void} announce   polite live region
 * @property {(fn: () => void) => void} onDispose  cleanup when the screen is left
 * @property {string} variant                 'popup' | 'sidepanel' | 'page'
 * @property {(origin?: string) => void} [refreshOps]  the set of unsettled operations may have changed (banner, lists)
 * @property {() => void} [redraw]            draw the current screen again (for the store now shown)
 */

/**
 * @typedef {object} Screen
 * @property {string} id
 * @property {string} title
 * @property {boolean} needsSession
 * @property {boolean} [nav]    false: not a tab (reached by links, e.g. a payment)
 * @property {(ctx: Ctx) => HTMLElement} render
 */

/** @type {Screen[]} */
export const SCREENS = [connect, overview, receive, send, payouts, historyScreen, counter, buttonBuilder, payment];

/**
 * Mounts the console into root.
 * @param {HTMLElement} root
 * @param {{backend: Backend, store: KV, variant?: string, title?: string}} opts
 */
export function mount(root, opts) {
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite', role: 'status', id: 'wk-live' });
  const badge = h('p', { class: 'session-badge', id: 'wk-session' }, t('app_checking_session'));
  const storeSelect = /** @type {HTMLSelectElement} */ (h('select', { id: 'wk-store', name: 'store' }));
  const storeBox = h('div', { class: 'store-switch', hidden: true }, h('label', { for: 'wk-store' }, t('app_store')), storeSelect);
  const nav = h('nav', { 'aria-label': t('app_sections') });
  const main = h('main', { id: 'wk-main' });
  const opsBanner = h('div', { class: 'notice warn ops-banner', id: 'wk-ops-banner', role: 'alert', hidden: true });
  const skip = h('a', { class: 'skip', href: '#wk-main', onclick: (/** @type {Event} */ e) => { e.preventDefault(); focusHeading(); } }, t('app_skip'));
  replace(root,
    skip,
    h('header', { class: 'top' }, h('h1', null, opts.title ?? t('app_title')), storeBox, badge),
    nav, opsBanner, main, live);
  root.dataset.variant = opts.variant ?? 'page';

  /** @type {(() => void)[]} */
  let disposers = [];
  /** @type {Ctx} */
  const ctx = {
    backend: opts.backend,
    store: opts.store,
    session: null,
    variant: opts.variant ?? 'page',
    refreshSession,
    navigate: (id) => {
      if (location.hash === `#${id}`) show(id);
      else location.hash = `#${id}`;
    },
    announce: (text) => {
      // clear first so the same text is announced twice
      live.textContent = '';
      setTimeout(() => { live.textContent = text; }, 30);
    },
    onDispose: (fn) => { disposers.push(fn); },
    refreshOps: (origin) => {
      renderOpsBanner(ctx, opsBanner, signedIn());
      window.dispatchEvent(new CustomEvent('wk-ops-changed', { detail: origin }));
    },
  };
  const signedIn = () => Boolean(ctx.session?.configured && ctx.session?.loggedIn);

  async function refreshSession() {
    try {
      ctx.session = await opts.backend.session();
    } catch {
      ctx.session = { configured: false, loggedIn: false, hasVault: false, keyInMemory: false };
    }
    renderBadge();
    renderStores();
    renderNav();
    renderOpsBanner(ctx, opsBanner, signedIn());
    return ctx.session;
  }

  const ADD = '+add';
  function renderStores() {
    const s = ctx.session;
    const stores = s?.stores ?? [];
    storeBox.hidden = stores.length === 0;
    replace(storeSelect,
      stores.map((x) => h('option', { value: x.id, selected: x.id === s?.storeId }, x.state === 'locked' ? t('app_store_locked', x.name) : x.name)),
      h('option', { value: ADD }, t('app_add_store')));
    storeSelect.value = s?.storeId || ADD;
  }

  storeSelect.addEventListener('change', async () => {
    const id = storeSelect.value;
    if (id === ADD) {
      renderStores(); // the current store stays selected until one is added
      location.hash = '#connect?add';
      return;
    }
    if (id === ctx.session?.storeId) return;
    storeSelect.disabled = true;
    try {
      await opts.backend.switchStore(id);
    } catch {
      // the store went away meanwhile: the session below shows what is left
    } finally {
      storeSelect.disabled = false;
    }
    const s = await refreshSession();
    ctx.announce(t('app_switched', s.storeName ?? ''));
    const want = s.configured && s.loggedIn ? (currentId() && currentId() !== 'connect' ? currentId() : 'overview') : 'connect';
    if (location.hash === `#${want}`) show(want); else location.hash = `#${want}`;
    storeSelect.focus();
  });

  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let expiryTimer;
  function renderBadge() {
    const s = ctx.session;
    if (!s || !s.configured) {
      replace(badge, s?.hasVault ? t('app_locked') : t('app_not_connected'));
      badge.dataset.state = s?.hasVault ? 'locked' : 'off';
      return;
    }
    if (!s.loggedIn) {
      replace(badge, t('app_locked'));
      badge.dataset.state = 'locked';
      return;
    }
    const left = s.expiresAt ? Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000) : NaN;
    if (s.mode === 'gateway') replace(badge, t('app_connected_gateway'));
    else if (s.renewsOnUse || (s.expiryUnknown && s.keyInMemory)) replace(badge, t('app_connected_renews'));
    else if (s.expiryUnknown) replace(badge, t('app_connected_until_ends'));
    else if (s.expiresAt) {
      replace(badge, t('app_connected_until', formatTime(s.expiresAt), Number.isFinite(left) ? formatDuration(left) : '?'));
      // when the session it names ends, read it again (ended: the badge says so, instead of
      // "Connected" and a time already past)
      clearTimeout(expiryTimer);
      if (Number.isFinite(left)) expiryTimer = setTimeout(refreshSession, Math.max(left, 0) * 1000 + 1000);
    }
    else replace(badge, t('app_connected'));
    badge.dataset.state = 'on';
  }

  function currentId() {
    const id = location.hash.replace(/^#\/?/, '').split(/[?/]/)[0];
    return SCREENS.some((s) => s.id === id) ? id : '';
  }

  function renderNav() {
    const cur = currentId() || 'connect';
    replace(nav, h('ul', null, SCREENS.filter((s) => s.nav !== false).map((s) => h('li', null,
      h('a', { href: `#${s.id}`, 'aria-current': s.id === cur ? 'page' : undefined, dataset: { screen: s.id } }, s.title)))));
    revealCurrentTab();
  }

  // The tabs are one row that scrolls sideways where they do not fit (the popup): the current
  // tab is brought into view, scrolling the row only (never the page).
  function revealCurrentTab() {
    const ul = nav.firstElementChild;
    const a = ul?.querySelector('a[aria-current="page"]');
    if (!ul || !a || ul.scrollWidth <= ul.clientWidth) return;
    const row = ul.getBoundingClientRect();
    const tab = a.getBoundingClientRect();
    if (tab.left < row.left) ul.scrollLeft -= row.left - tab.left;
    else if (tab.right > row.right) ul.scrollLeft += tab.right - row.right;
  }

  function focusHeading() {
    const t = /** @type {HTMLElement|null} */ (main.querySelector('.screen-title'));
    t?.focus();
  }

  /** @param {string} id @param {boolean} [focus] */
  function show(id, focus = true) {
    for (const d of disposers) {
      try { d(); } catch { /* a screen's cleanup must not break navigation */ }
    }
    disposers = [];
    let screen = SCREENS.find((s) => s.id === id) ?? SCREENS[0];
    const guard = screen.needsSession && !signedIn();
    if (guard) screen = connect;
    renderNav();
    const el = screen.render(ctx);
    el.dataset.screen = screen.id;
    replace(main, guard ? h('div', { class: 'notice warn', role: 'alert' }, ctx.session?.hasVault || ctx.session?.configured ? t('app_guard_locked') : t('app_guard_connect')) : null, el);
    document.title = `${screen.title} · ${opts.title ?? t('app_title')}`;
    if (focus) focusHeading();
  }

  window.addEventListener('hashchange', () => {
    show(currentId() || 'connect');
    renderOpsBanner(ctx, opsBanner, signedIn());
  });
  // redraw the screen for the store it now shows (after a switch, connect or sign out)
  ctx.redraw = () => show(currentId() || 'connect', false);
  const timer = setInterval(() => { if (ctx.session?.loggedIn) renderBadge(); }, 30_000);
  window.addEventListener('pagehide', () => { clearInterval(timer); clearTimeout(expiryTimer); });

  refreshSession().then((s) => {
    const want = currentId() || (s.configured && s.loggedIn ? 'overview' : 'connect');
    if (currentId() !== want) history.replaceState(null, '', `#${want}`);
    show(want, false);
  });
  return ctx;
}
