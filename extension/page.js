// Entry of the popup and the side panel: mounts the console with the service-worker backend.

import { mount } from '../web/app.js';
import { swBackend } from './backend-sw.js';
import { chromeKV } from './storage-chrome.js';
import { h } from '../web/dom.js';
import { initI18n, t } from '../web/lib/i18n.js';

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
  root.querySelector('header.top')?.appendChild(btn);
}
// what a merchant sets once (fiat currency, paid alerts, sound, the store shown first)
if (chrome.runtime.openOptionsPage) {
  const opts = h('button', { type: 'button', class: 'link open-options' }, t('page_options'));
  opts.addEventListener('click', () => { chrome.runtime.openOptionsPage(); });
  root.querySelector('header.top')?.appendChild(opts);
}
if (variant === 'popup' || variant === 'sidepanel') {
  // the counter wants a whole tab (a customer looks at it)
  const counter = h('button', { type: 'button', class: 'link open-counter' }, t('page_open_counter'));
  counter.addEventListener('click', () => { chrome.tabs.create({ url: chrome.runtime.getURL('ext/counter.html') }); });
  root.querySelector('header.top')?.appendChild(counter);
}
