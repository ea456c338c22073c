// Connect: API URL + keys, or a wallexkit gateway + gateway token (either secret optionally
// sealed in a passphrase vault), unlock, session status, Lock and Sign out.

import { h, replace, uid } from '../dom.js';
import { field, setFieldError, errorBox, busy, dl, screenHeading, formatTime, formatDuration, NONCES_WHY, focusOn } from '../ui.js';
import { toBridgeError } from '../lib/errors.js';

export const DEFAULT_API_URL = 'https://wallexpay.io/api';
export const EXAMPLE_GATEWAY_URL = 'https://pay-gateway.example.workers.dev';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @type {import('../app.js').Screen} */
export default {
  id: 'connect',
  title: 'Connect',
  needsSession: false,
  render(ctx) {
    const body = h('div', { class: 'stack' });
    const root = h('section', { class: 'screen', 'aria-labelledby': 'connect-title' }, h('div', null, screenHeading('Connect')), body);
    root.querySelector('h2')?.setAttribute('id', 'connect-title');
    let showKeysForm = false;
    // #connect?add: another store, with an empty form
    const adding = /[?&]add\b/.test(location.hash) || !ctx.session?.storeId;
    const draw = () => {
      const s = ctx.session;
      if (adding) replace(body, connectForm(ctx, true));
      else if (s?.configured && s.loggedIn) replace(body, statusView(ctx, draw, () => { showKeysForm = true; }));
      else if (s?.hasVault && !showKeysForm) replace(body, unlockView(ctx, () => { showKeysForm = true; draw(); }));
      else replace(body, connectForm(ctx, false));
    };
    draw();
    return root;
  },
};

/** After Lock or Sign out redrew the screen: focus the next thing to do, else the heading. */
function focusNext() {
  const main = document.getElementById('wk-main');
  // the unlock form's passphrase (a remembered store was locked), else the screen's heading
  const pass = main?.querySelector('form input[name="passphrase"]');
  focusOn(pass && /** @type {HTMLElement} */ (pass).offsetParent ? pass : main?.querySelector('.screen-title'));
}

/** @param {Ctx} ctx @param {() => void} redraw @param {() => void} useKeysForm  the next draw shows the keys form */
function statusView(ctx, redraw, useKeysForm) {
  const s = /** @type {import('../backend.js').SessionState} */ (ctx.session);
  const gateway = s.mode === 'gateway';
  const left = s.expiresAt ? Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000) : NaN;
  const msg = h('div', { 'aria-live': 'polite' });
  const lock = h('button', { type: 'button', class: 'secondary', 'data-action': 'lock' }, 'Lock');
  const signOut = h('button', { type: 'button', class: 'danger', 'data-action': 'sign-out' }, 'Sign out');
  // nonces are chosen when connecting: lock (the saved key stays), then connect again with them on
  const noncesOn = h('button', { type: 'button', class: 'secondary', 'data-action': 'nonces-on' }, 'Turn nonces on…');
  noncesOn.addEventListener('click', () => busy(noncesOn, async () => {
    try {
      await ctx.backend.lock();
      await ctx.refreshSession();
      useKeysForm();
      redraw();
      ctx.announce('Connect again with your private key: “Send a nonce with every call” is ticked under Advanced.');
      /** @type {HTMLElement|null} */ (document.querySelector('input[name="privateKey"]'))?.focus();
    } catch (e) {
      replace(msg, errorBox(e));
    }
  }));
  const store = s.storeName ?? '';
  lock.addEventListener('click', () => busy(lock, async () => {
    try {
      await ctx.backend.lock();
      await ctx.refreshSession();
      ctx.announce(gateway ? `Locked ${store}. The gateway token was removed from this browser session.` : `Locked ${store}. The private key was removed from memory.`);
      redraw();
      // the Lock button is gone: focus goes to what comes next (the passphrase to unlock, else
      // the form's first field), not to the top of the page
      focusNext();
    } catch (e) {
      replace(msg, errorBox(e));
    }
  }));
  signOut.addEventListener('click', () => busy(signOut, async () => {
    try {
      await ctx.backend.signOut();
      const next = await ctx.refreshSession();
      ctx.announce(`Signed out of ${store}: ${gateway ? 'its gateway token and saved vault were' : 'its keys and saved vault were'} removed from this device.${next.storeName ? ` Now showing ${next.storeName}.` : ''}`);
      ctx.redraw?.();
      focusNext();
    } catch (e) {
      replace(msg, errorBox(e));
    }
  }));
  const addStore = h('a', { href: '#connect?add', class: 'button secondary', 'data-action': 'add-store' }, 'Add another store');
  const rename = renameControl(ctx, s);
  const alerts = alertsControl(ctx);
  if (gateway) {
    return h('div', { class: 'stack' },
      h('p', { class: 'notice ok', role: 'status' }, `${store}: connected to Wallex Pay through your gateway.`),
      dl([
        ['Store', rename],
        ['Gateway URL', s.gatewayUrl ?? ''],
        ['API keys', 'held by the gateway (this browser has none and never logs in)'],
        ['Gateway token', 'in this browser session only'],
        ['Saved on this device', s.hasVault ? 'yes, the gateway token encrypted with your passphrase' : 'no'],
      ]),
      alerts,
      h('p', { class: 'hint' }, 'Lock removes the gateway token from this browser session; a saved token stays encrypted on this device. Sign out also deletes the saved token. Either one touches this store only.'),
      h('div', { class: 'actions' }, lock, signOut, addStore),
      msg);
  }
  const expires = s.renewsOnUse || (s.expiryUnknown && s.keyInMemory) ? 'signs in again when needed'
    : s.expiryUnknown ? 'unknown: the session is used until Wallex Pay ends it'
      : s.expiresAt ? `${formatTime(s.expiresAt)}${Number.isFinite(left) ? ` (in ${formatDuration(left)})` : ''}` : 'unknown';
  return h('div', { class: 'stack' },
    h('p', { class: 'notice ok', role: 'status' }, `${store}: connected to Wallex Pay.`),
    s.clockSkew ? h('div', { class: 'notice warn', role: 'status', 'data-notice': 'clock-skew' },
      h('p', null, h('strong', null, 'This computer’s clock and Wallex Pay’s disagree.')),
      h('p', null, 'The session end time Wallex Pay gave had already passed by this computer’s clock when it arrived. The console uses the session until Wallex Pay ends it, and signs in again whenever it needs to. Check this computer’s date, time and time zone.')) : null,
    dl([
      ['Store', rename],
      ['API URL', s.apiUrl ?? ''],
      ['Public key', s.publicKey ?? ''],
      ['Session expires', expires],
      ['Private key', s.keyInMemory ? 'in memory only (renews the session automatically)' : 'not in memory (the session ends when the token expires)'],
      ['Saved on this device', s.hasVault ? 'yes, encrypted with your passphrase' : 'no'],
      ['Nonces', s.nonces === false ? 'off: this console sends no money (turned off under Advanced)' : 'on'],
      ...(/** @type {[string, string][]} */ (s.tuning ? [['Test timing', Object.entries(s.tuning).map(([k, v]) => `${k} ${v}`).join(', ')]] : [])),
    ]),
    alerts,
    h('p', { class: 'hint' }, 'Lock removes the session and the private key from memory; a saved key stays encrypted on this device. Sign out also deletes the saved key. Either one touches this store only.'),
    h('div', { class: 'actions' }, lock, signOut, s.nonces === false ? noncesOn : null, addStore),
    msg);
}

/**
 * Paid alerts of this store (the extension only): a notification and the badge when a payment
 * is paid, or muted.
 * @param {Ctx} ctx
 */
function alertsControl(ctx) {
  if (!ctx.backend.alerts) return null;
  const f = field({ label: 'Tell me when a payment is paid', name: 'paidAlerts', type: 'checkbox', checked: true, hint: 'A notification (“Paid: 12.50 USD — 0.16 LTCT — Blue mug”) and a count on the toolbar icon, also while no console is open. Checked about every 30 seconds.' });
  f.input.disabled = true;
  ctx.backend.alerts().then((st) => { f.input.checked = !st.muted; f.input.disabled = false; }, () => { f.wrap.hidden = true; });
  f.input.addEventListener('change', async () => {
    f.input.disabled = true;
    try {
      const st = await /** @type {NonNullable<typeof ctx.backend.setAlerts>} */ (ctx.backend.setAlerts)({ muted: !f.input.checked });
      f.input.checked = !st.muted;
      ctx.announce(st.muted ? 'Paid alerts are off for this store.' : 'Paid alerts are on for this store.');
    } catch (e) {
      setFieldError(f, toBridgeError(e).message);
    } finally {
      f.input.disabled = false;
    }
  });
  return f.wrap;
}

/**
 * The store's name with a Rename button that edits it in place.
 * @param {Ctx} ctx @param {import('../backend.js').SessionState} s
 */
function renameControl(ctx, s) {
  const wrap = h('span', { class: 'store-name' });
  const view = () => {
    const b = h('button', { type: 'button', class: 'link', 'data-action': 'rename-store' }, 'Rename');
    b.addEventListener('click', edit);
    replace(wrap, h('strong', null, s.storeName ?? ''), ' ', b);
  };
  const edit = () => {
    const f = field({ label: 'Store name', name: 'storeName', value: s.storeName ?? '', hint: 'How this store is listed in the header.' });
    const save = h('button', { type: 'submit' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = h('form', { class: 'inline-form', novalidate: true }, f.wrap, save, cancel);
    cancel.addEventListener('click', () => { view(); wrap.querySelector('button')?.focus(); });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(save, async () => {
        try {
          await ctx.backend.renameStore(s.storeId, f.input.value);
          const st = await ctx.refreshSession();
          s.storeName = st.storeName;
          ctx.announce(`The store is now called ${st.storeName}.`);
          view();
          wrap.querySelector('button')?.focus();
        } catch (err) {
          setFieldError(f, toBridgeError(err).message);
          f.input.focus();
        }
      });
    });
    replace(wrap, form);
    f.input.focus();
  };
  view();
  return wrap;
}

/** @param {Ctx} ctx @param {() => void} useKeys */
function unlockView(ctx, useKeys) {
  const s = ctx.session;
  const pass = field({ label: 'Passphrase', name: 'passphrase', type: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit' }, 'Unlock');
  const msg = h('div');
  const gateway = s?.mode === 'gateway';
  const form = h('form', { class: 'stack', novalidate: true },
    h('p', null, h('strong', null, s?.storeName ?? ''), ' is locked.'),
    gateway
      ? h('p', null, 'A gateway token for ', h('code', null, s?.gatewayUrl ?? ''), ' is saved on this device.')
      : h('p', null, 'A key for ', h('strong', null, s?.publicKey ?? ''), ' at ', h('code', null, s?.apiUrl ?? ''), ' is saved on this device.'),
    pass.wrap,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'link', onclick: useKeys }, gateway ? 'Connect another way' : 'Use other keys')),
    msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const passphrase = pass.input.value;
    setFieldError(pass, '');
    replace(msg);
    busy(submit, async () => {
      try {
        await ctx.backend.unlock(passphrase);
        pass.input.value = '';
        await ctx.refreshSession();
        ctx.announce('Unlocked.');
        ctx.navigate('overview');
      } catch (err) {
        const be = toBridgeError(err);
        if (be.code === 'wrong_passphrase') setFieldError(pass, be.message);
        replace(msg, errorBox(err));
        pass.input.focus();
      }
    }, 'Unlocking…');
  });
  return form;
}

/**
 * One option of the "Connect with" choice.
 * @param {string} value @param {string} label @param {string} hint @param {boolean} checked
 */
function choice(value, label, hint, checked) {
  const id = uid(`f-mode-${value}`);
  const input = h('input', { type: 'radio', id, name: 'connectMode', value, checked, 'aria-describedby': `${id}-hint` });
  const wrap = h('div', { class: 'field checkbox' }, input, h('label', { for: id }, label), h('p', { id: `${id}-hint`, class: 'hint' }, hint));
  return { wrap, input: /** @type {HTMLInputElement} */ (input) };
}

/** @param {Ctx} ctx @param {boolean} adding  another store: an empty form */
function connectForm(ctx, adding) {
  const s = adding ? null : ctx.session;
  const viaKeys = choice('keys', 'API keys', 'Your Wallex Pay public and private key: this browser logs in itself.', s?.mode !== 'gateway');
  const viaGateway = choice('gateway', 'Through my gateway', 'Your wallexkit gateway holds the API keys: this browser gets only a gateway token.', s?.mode === 'gateway');
  // The dev page ('wallexkit console') may reach its own origin only (its CSP: connect-src 'self');
  // its /api passes every call on to the API it was started with. So that is its default and
  // the only address its hint names; the extension reaches Wallex Pay or a sandbox directly.
  const devPage = ctx.variant === 'page';
  const ownApi = `${location.origin}/api`;
  const apiUrl = field({ label: 'API URL', name: 'apiUrl', type: 'url', value: (s?.mode !== 'gateway' && s?.apiUrl) || (devPage ? ownApi : DEFAULT_API_URL), required: true, autocomplete: 'url',
    hint: devPage ? `This page’s own ${ownApi}, which passes calls on to the API this console was started with (--api-url). This page cannot reach other addresses.` : 'https://wallexpay.io/api, or your sandbox, e.g. http://127.0.0.1:8787/api' });
  const pub = field({ label: 'Public key', name: 'publicKey', value: s?.publicKey ?? '', required: true, autocomplete: 'off' });
  const priv = field({ label: 'Private key', name: 'privateKey', type: 'password', required: true, autocomplete: 'off', hint: 'Used once to log in. Kept in memory only, unless you choose to remember it below.' });
  const gwUrl = field({ label: 'Gateway URL', name: 'gatewayUrl', type: 'url', value: s?.gatewayUrl ?? '', required: true, autocomplete: 'url', placeholder: EXAMPLE_GATEWAY_URL, hint: devPage ? `A gateway on this page’s own origin (${location.origin}); this page cannot reach other addresses: use the extension for a gateway elsewhere, e.g. ${EXAMPLE_GATEWAY_URL}` : `Your gateway’s address, e.g. ${EXAMPLE_GATEWAY_URL}` });
  const gwToken = field({ label: 'Gateway token', name: 'gatewayToken', type: 'password', required: true, autocomplete: 'off', hint: 'One of the gateway’s tokens (GATEWAY_TOKENS). Kept for this browser session only, unless you choose to remember it below.' });
  const name = field({ label: 'Store name', name: 'storeName', value: s?.storeName ?? '', autocomplete: 'off', hint: 'Optional: how this store is listed in the header. Without one, the account’s public name.' });
  const remember = field({ label: 'Remember on this device', name: 'remember', type: 'checkbox', hint: 'Saves the private key encrypted with a passphrase (PBKDF2, 600,000 rounds + AES-GCM).' });
  const pass = field({ label: 'Passphrase', name: 'passphrase', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters. It cannot be recovered: if you forget it, connect with your keys again.' });
  const nonce = field({ label: 'Send a nonce with every call', name: 'nonce', type: 'checkbox', checked: true, hint: `Recommended, and on in every wallexkit tool. With nonces Wallex Pay refuses any copy of a request, so the console proves at once that a lost payment request can no longer arrive. Without them the console only reads (balances, payments, history). ${NONCES_WHY} Once a key has used nonces, every program using it must send them.` });
  pass.wrap.hidden = true;
  remember.input.addEventListener('change', () => {
    pass.wrap.hidden = !remember.input.checked;
    pass.input.required = remember.input.checked;
    if (remember.input.checked) pass.input.focus();
  });
  const keysGroup = h('div', { 'data-mode': 'keys' }, apiUrl.wrap, pub.wrap, priv.wrap);
  const gatewayGroup = h('div', { 'data-mode': 'gateway' }, gwUrl.wrap, gwToken.wrap);
  // the last connection had nonces off: show that they are on again here
  const advanced = h('details', { open: s?.mode === 'keys' && s.nonces === false }, h('summary', null, 'Advanced'), nonce.wrap);
  const rememberHint = /** @type {HTMLElement} */ (remember.wrap.querySelector('.hint'));
  const submit = h('button', { type: 'submit' }, 'Connect');
  const msg = h('div');
  const fields = { apiUrl, publicKey: pub, privateKey: priv, gatewayUrl: gwUrl, gatewayToken: gwToken, passphrase: pass, name };
  const showMode = () => {
    const gateway = viaGateway.input.checked;
    keysGroup.hidden = gateway;
    gatewayGroup.hidden = !gateway;
    advanced.hidden = gateway; // a gateway orders nonces itself
    rememberHint.textContent = gateway
      ? 'Saves the gateway token encrypted with a passphrase (PBKDF2, 600,000 rounds + AES-GCM).'
      : 'Saves the private key encrypted with a passphrase (PBKDF2, 600,000 rounds + AES-GCM).';
    for (const f of Object.values(fields)) setFieldError(f, '');
    replace(msg);
  };
  viaKeys.input.addEventListener('change', showMode);
  viaGateway.input.addEventListener('change', showMode);
  showMode();
  const others = (ctx.session?.stores ?? []).length;
  const form = h('form', { class: 'stack', novalidate: true, autocomplete: 'off' },
    adding && others ? h('p', { class: 'hint', 'data-add-store': '' }, h('strong', null, 'Add a store: '), `another account, or another key. ${others === 1 ? 'The store already connected stays as it is' : `The ${others} stores already connected stay as they are`}; switch between them in the header.`) : null,
    h('fieldset', { class: 'choice' }, h('legend', null, 'Connect with'), viaKeys.wrap, viaGateway.wrap),
    keysGroup, gatewayGroup, name.wrap, remember.wrap, pass.wrap,
    advanced,
    h('div', { class: 'actions' }, submit),
    msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const gateway = viaGateway.input.checked;
    /** @type {import('../backend.js').ConnectParams} */
    const p = gateway
      ? {
        mode: 'gateway',
        gatewayUrl: gwUrl.input.value.trim(),
        gatewayToken: gwToken.input.value,
        remember: remember.input.checked,
        passphrase: pass.input.value,
        name: name.input.value.trim() || undefined,
      }
      : {
        apiUrl: apiUrl.input.value.trim(),
        publicKey: pub.input.value.trim(),
        privateKey: priv.input.value,
        remember: remember.input.checked,
        passphrase: pass.input.value,
        nonce: nonce.input.checked,
        name: name.input.value.trim() || undefined,
      };
    const target = String(gateway ? p.gatewayUrl : p.apiUrl);
    for (const f of Object.values(fields)) setFieldError(f, '');
    replace(msg);
    // Ask for host access first, while the click still counts as a user gesture.
    const access = ctx.backend.requestAccess(target);
    busy(submit, async () => {
      try {
        if (!(await access)) {
          throw { code: 'host_permission', message: `The extension was not allowed to reach ${target}.`, retryable: false };
        }
        await ctx.backend.connect(p);
        priv.input.value = '';
        gwToken.input.value = '';
        pass.input.value = '';
        const st = await ctx.refreshSession();
        ctx.announce(`${gateway ? 'Connected through your gateway' : 'Connected'}: ${st.storeName ?? ''}.`);
        ctx.navigate('overview');
      } catch (err) {
        const be = toBridgeError(err);
        const f = be.field ? fields[/** @type {keyof typeof fields} */ (be.field)] : undefined;
        if (f) {
          setFieldError(f, be.message);
          f.input.focus();
        }
        replace(msg, errorBox(err));
        if (!f) /** @type {HTMLElement} */ (msg.firstElementChild)?.focus?.();
      }
    }, 'Connecting…');
  });
  return form;
}
