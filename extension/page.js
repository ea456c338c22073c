// Entry of the popup and the side panel: mounts the console with the service-worker backend.

import { mount } from '../web/app.js';
import { swBackend } from './backend-sw.js';
import { chromeKV } from './storage-chrome.js';
import { h } from '../web/dom.js';
import { initI18n, t } from '../web/lib/i18n.js';
import { keepCompiled } from '../web/host/wasm-loader.js';
import { CORE_URL, CORE_OPTS } from './core-location.js';

await initI18n();

const variant = document.body.dataset.variant ?? 'popup';
const root = /** @type {HTMLElement} */ (document.getElementById('app'));
// the counter page opens on the counter
if (variant === 'counter' && !location.hash) history.replaceState(null, '', '#counter');
mount(root, {
  backend: swBackend(),
  store: chromeKV(chrome.storage.local),
  variant,
  title: t('app_title'),
});

// Keep the core compiled while this page is open (see keepCompiled): a worker Chrome stops after
// 30 s idle then starts with the core's code ready. A second and a half after the page opened and
// once it is idle, so that it never competes with the page's first data or a waking worker's own
// compile; data-core on <html> says how it went (kept, or unavailable: nothing is lost then, the
// worker compiles as before).
const keep = () => keepCompiled(CORE_URL, CORE_OPTS).then(
  () => { document.documentElement.dataset.core = 'kept'; },
  () => { document.documentElement.dataset.core = 'unavailable'; },
);
setTimeout(() => requestIdleCallback(keep, { timeout: 2000 }), 1500);

// the page links below sit together on one compact line of the header
const links = h('div', { class: 'page-links' });
root.querySelector('header.top')?.appendChild(links);

if (variant === 'popup' && chrome.sidePanel?.open) {
  const btn = h('button', { type: 'button', class: 'link open-panel' }, t('page_open_panel'));
  /** @type {number|undefined} */
  let windowId;
  chrome.windows.getCurrent().then((w) => { windowId = w.id; });
  btn.addEventListener('click', () => {
    if (windowId === undefined) return;
    // open() must run inside the click (user gesture): no await before it
    chrome.sidePanel.open({ windowId }).then(() => window.close(), () => {});
  });
  links.appendChild(btn);
}
// what a merchant sets once (fiat currency, paid alerts, sound, the store shown first)
if (chrome.runtime.openOptionsPage) {
  const opts = h('button', { type: 'button', class: 'link open-options' }, t('page_options'));
  opts.addEventListener('click', () => { chrome.runtime.openOptionsPage(); });
  links.appendChild(opts);
}
if (variant === 'popup' || variant === 'sidepanel') {
  // the counter wants a whole tab (a customer looks at it)
  const counter = h('button', { type: 'button', class: 'link open-counter' }, t('page_open_counter'));
  counter.addEventListener('click', () => { chrome.tabs.create({ url: chrome.runtime.getURL('ext/counter.html') }); });
  links.appendChild(counter);
}
