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
import { initI18n, t } from '../web/lib/i18n.js';
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

  const fiat = field({ label: t('opt_values_in'), name: `fiat-${i}`, type: 'select', options: [], hint: t('opt_values_in_hint') });
  fiat.input.disabled = true;
  Promise.all([fiatChoices(ctx), storeFiat(ctx)]).then(([choices, cur]) => {
    replace(fiat.input, choices.map((c) => h('option', { value: c, selected: c === cur }, c)));
    fiat.input.disabled = !choices.length;
  }).catch(async () => {
    // a locked store cannot read its rates: show what is saved, to change once it is unlocked
    const saved = await store.get(`wk.fiat.${s.id}`);
    replace(fiat.input, h('option', { value: typeof saved === 'string' ? saved : '' }, typeof saved === 'string' ? saved : t('opt_values_in_default')));
    setFieldError(fiat, t('opt_values_in_locked'));
  });
  fiat.input.addEventListener('change', async () => {
    await setStoreFiat(ctx, fiat.input.value);
    announce(t('opt_values_in_done', s.name, fiat.input.value));
  });

  const alerts = field({ label: t('opt_alerts'), name: `alerts-${i}`, type: 'checkbox', checked: true, hint: t('opt_alerts_hint') });
  alerts.input.disabled = true;
  backend.alerts().then((st) => { alerts.input.checked = !st.muted; alerts.input.disabled = false; }, () => { alerts.wrap.hidden = true; });
  alerts.input.addEventListener('change', async () => {
    alerts.input.disabled = true;
    try {
      const st = await backend.setAlerts({ muted: !alerts.input.checked });
      alerts.input.checked = !st.muted;
      setFieldError(alerts, '');
      announce(t(st.muted ? 'opt_alerts_off' : 'opt_alerts_on', s.name));
    } catch (e) {
      setFieldError(alerts, toBridgeError(e).message);
    } finally {
      alerts.input.disabled = false;
    }
  });

  const sound = field({ label: t('opt_sound'), name: `sound-${i}`, type: 'checkbox', checked: true, hint: t('opt_sound_hint') });
  store.get(`wk.counter.sound.${s.id}`).then((v) => { sound.input.checked = v !== false; });
  sound.input.addEventListener('change', async () => {
    await store.set(`wk.counter.sound.${s.id}`, sound.input.checked);
    announce(t(sound.input.checked ? 'opt_sound_on' : 'opt_sound_off', s.name));
  });

  return h('section', { class: 'card', 'aria-labelledby': hid, dataset: { store: s.id } },
    h('h3', { id: hid }, s.name, locked ? h('span', { class: 'hint' }, ` ${t('opt_locked')}`) : null),
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
  const heading = screenHeading(t('opt_title'));
  /** @type {(Node|null)[]} */
  const parts = [];
  if (!stores.length) {
    parts.push(h('p', null, t('opt_no_store')));
  } else {
    const first = field({ label: t('opt_first_store'), name: 'defaultStore', type: 'select', value: session.storeId, options: stores.map((s) => ({ value: s.id, label: s.state === 'locked' ? `${s.name} ${t('opt_locked')}` : s.name })),
      hint: t('opt_first_store_hint') });
    first.input.addEventListener('change', async () => {
      first.input.disabled = true;
      try {
        const s = await backend.switchStore(first.input.value);
        setFieldError(first, '');
        announce(t('opt_first_store_done', s.storeName ?? ''));
      } catch (e) {
        setFieldError(first, toBridgeError(e).message);
      } finally {
        first.input.disabled = false;
        first.input.focus();
      }
    });
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'opt-general' }, h('h3', { id: 'opt-general' }, t('opt_all_stores')), first.wrap));
    stores.forEach((s, i) => parts.push(storeSection(s, i)));
  }
  replace(root,
    h('header', { class: 'top' }, h('h1', null, t('app_title'))),
    h('main', { id: 'wk-main' }, h('div', { class: 'screen', dataset: { screen: 'options' } },
      heading,
      h('p', { class: 'hint' }, t('opt_intro')),
      ...parts)),
    live);
  document.title = t('opt_page_title', t('app_title'));
}

// the shared pieces (errors, fields) speak through web/lib/i18n.js: load its messages first
await initI18n();
draw();
