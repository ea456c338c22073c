// The options page (manifest "options_page"): what a merchant sets once, per store, in the
// storage the console already uses. Nothing here decides about money.
//   Values in       wk.fiat.<id> in chrome.storage.local (the Overview's "Values in"; web/fiat.js)
//   Paid alerts     the worker's alerts settings (wk.alerts.settings: {<id>: {muted}}), as Connect sets them
//   Sound when paid wk.counter.sound.<id> (the counter's checkbox)
//   Store shown first  the active store (switchStore), which the popup and side panel open on

import { h, replace } from '../web/dom.js';
import { field, setFieldError, screenHeading } from '../web/ui.js';
import { fiatChoices, storeFiat, setStoreFiat } from '../web/fiat.js';
import { toBridgeError } from '../web/lib/errors.js';
import { initI18n } from '../web/lib/i18n.js';
import { swBackend } from './backend-sw.js';
import { chromeKV } from './storage-chrome.js';

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const store = chromeKV(chrome.storage.local);
const live = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'wk-live' });
/** @param {string} text */
const announce = (text) => { live.textContent = ''; setTimeout(() => { live.textContent = text; }, 30); };

/** Per store: its own backend, so its calls always name it. @param {{id: string, name: string, state?: string}} s @param {number} i */
function storeSection(s, i) {
  const backend = swBackend();
  backend.useStore(s.id);
  const ctx = /** @type {any} */ ({ backend, store });
  const hid = `opt-store-${i}`;
  const locked = s.state === 'locked';

  const fiat = field({ label: 'Values in', name: `fiat-${i}`, type: 'select', options: [], hint: 'The currency balances, reviews and totals are also shown in: approximate, at the exchange rates Wallex Pay gives.' });
  fiat.input.disabled = true;
  Promise.all([fiatChoices(ctx), storeFiat(ctx)]).then(([choices, cur]) => {
    replace(fiat.input, choices.map((c) => h('option', { value: c, selected: c === cur }, c)));
    fiat.input.disabled = !choices.length;
  }).catch(async () => {
    // a locked store cannot read its rates: show what is saved, to change once it is unlocked
    const saved = await store.get(`wk.fiat.${s.id}`);
    replace(fiat.input, h('option', { value: typeof saved === 'string' ? saved : '' }, typeof saved === 'string' ? saved : 'USD (default)'));
    setFieldError(fiat, 'Unlock this store in the console to choose from its rates.');
  });
  fiat.input.addEventListener('change', async () => {
    await setStoreFiat(ctx, fiat.input.value);
    announce(`Values of ${s.name} are shown in ${fiat.input.value}.`);
  });

  const alerts = field({ label: 'Tell me when a payment is paid', name: `alerts-${i}`, type: 'checkbox', checked: true, hint: 'A notification and a count on the toolbar icon, also while no console is open.' });
  alerts.input.disabled = true;
  backend.alerts().then((st) => { alerts.input.checked = !st.muted; alerts.input.disabled = false; }, () => { alerts.wrap.hidden = true; });
  alerts.input.addEventListener('change', async () => {
    alerts.input.disabled = true;
    try {
      const st = await backend.setAlerts({ muted: !alerts.input.checked });
      alerts.input.checked = !st.muted;
      setFieldError(alerts, '');
      announce(st.muted ? `Paid alerts are off for ${s.name}.` : `Paid alerts are on for ${s.name}.`);
    } catch (e) {
      setFieldError(alerts, toBridgeError(e).message);
    } finally {
      alerts.input.disabled = false;
    }
  });

  const sound = field({ label: 'Sound when paid (counter)', name: `sound-${i}`, type: 'checkbox', checked: true, hint: 'A short chime with the counter’s full-screen “Paid”.' });
  store.get(`wk.counter.sound.${s.id}`).then((v) => { sound.input.checked = v !== false; });
  sound.input.addEventListener('change', async () => {
    await store.set(`wk.counter.sound.${s.id}`, sound.input.checked);
    announce(sound.input.checked ? `The counter of ${s.name} chimes when paid.` : `The counter of ${s.name} is silent.`);
  });

  return h('section', { class: 'card', 'aria-labelledby': hid, dataset: { store: s.id } },
    h('h3', { id: hid }, s.name, locked ? h('span', { class: 'hint' }, ' (locked)') : null),
    fiat.wrap, alerts.wrap, sound.wrap);
}

async function draw() {
  const backend = swBackend();
  /** @type {any} */
  let session;
  try {
    session = await backend.session();
  } catch {
    session = { stores: [] };
  }
  const stores = session.stores ?? [];
  const heading = screenHeading('Options');
  /** @type {(Node|null)[]} */
  const parts = [];
  if (!stores.length) {
    parts.push(h('p', null, 'No store is connected yet. Connect one from the toolbar icon; its options show here.'));
  } else {
    const first = field({ label: 'Store shown first', name: 'defaultStore', type: 'select', value: session.storeId, options: stores.map((s) => ({ value: s.id, label: s.state === 'locked' ? `${s.name} (locked)` : s.name })),
      hint: 'The store the popup and the side panel open on.' });
    first.input.addEventListener('change', async () => {
      first.input.disabled = true;
      try {
        const s = await backend.switchStore(first.input.value);
        setFieldError(first, '');
        announce(`${s.storeName ?? 'The store'} is shown first.`);
      } catch (e) {
        setFieldError(first, toBridgeError(e).message);
      } finally {
        first.input.disabled = false;
        first.input.focus();
      }
    });
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'opt-general' }, h('h3', { id: 'opt-general' }, 'All stores'), first.wrap));
    stores.forEach((s, i) => parts.push(storeSection(s, i)));
  }
  replace(root,
    h('header', { class: 'top' }, h('h1', null, 'Wallex Pay console')),
    h('main', { id: 'wk-main' }, h('div', { class: 'screen', dataset: { screen: 'options' } },
      heading,
      h('p', { class: 'hint' }, 'Set once, kept on this device. Keys, stores and nonces are set under Connect in the console.'),
      ...parts)),
    live);
  document.title = 'Options · Wallex Pay console';
}

// the shared pieces (errors, fields) speak through web/lib/i18n.js: load its messages first
await initI18n();
draw();
