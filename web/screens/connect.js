// Connect: API URL + keys (optionally sealed in a passphrase vault), unlock, session status,
// Lock and Sign out.

import { h, replace } from '../dom.js';
import { field, setFieldError, errorBox, busy, dl, screenHeading, formatTime, formatDuration } from '../ui.js';
import { toBridgeError } from '../lib/errors.js';

export const DEFAULT_API_URL = 'https://wallexpay.io/api';

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
    const draw = () => {
      const s = ctx.session;
      if (s?.configured && s.loggedIn) replace(body, statusView(ctx, draw));
      else if (s?.hasVault && !showKeysForm) replace(body, unlockView(ctx, () => { showKeysForm = true; draw(); }));
      else replace(body, keysForm(ctx));
    };
    draw();
    return root;
  },
};

/** @param {Ctx} ctx @param {() => void} redraw */
function statusView(ctx, redraw) {
  const s = /** @type {import('../backend.js').SessionState} */ (ctx.session);
  const left = s.expiresAt ? Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000) : NaN;
  const msg = h('div', { 'aria-live': 'polite' });
  const lock = h('button', { type: 'button', class: 'secondary' }, 'Lock');
  const signOut = h('button', { type: 'button', class: 'danger' }, 'Sign out');
  lock.addEventListener('click', () => busy(lock, async () => {
    try {
      await ctx.backend.lock();
      await ctx.refreshSession();
      ctx.announce('Locked. The private key was removed from memory.');
      redraw();
    } catch (e) {
      replace(msg, errorBox(e));
    }
  }));
  signOut.addEventListener('click', () => busy(signOut, async () => {
    try {
      await ctx.backend.signOut();
      await ctx.refreshSession();
      ctx.announce('Signed out. Keys and the saved vault were removed from this device.');
      redraw();
    } catch (e) {
      replace(msg, errorBox(e));
    }
  }));
  return h('div', { class: 'stack' },
    h('p', { class: 'notice ok', role: 'status' }, 'Connected to Wallex Pay.'),
    dl([
      ['API URL', s.apiUrl ?? ''],
      ['Public key', s.publicKey ?? ''],
      ['Session expires', s.expiresAt ? `${formatTime(s.expiresAt)}${Number.isFinite(left) ? ` (in ${formatDuration(left)})` : ''}` : 'unknown'],
      ['Private key', s.keyInMemory ? 'in memory only (renews the session automatically)' : 'not in memory (the session ends when the token expires)'],
      ['Saved on this device', s.hasVault ? 'yes, encrypted with your passphrase' : 'no'],
    ]),
    h('p', { class: 'hint' }, 'Lock removes the session and the private key from memory; a saved key stays encrypted on this device. Sign out also deletes the saved key.'),
    h('div', { class: 'actions' }, lock, signOut),
    msg);
}

/** @param {Ctx} ctx @param {() => void} useKeys */
function unlockView(ctx, useKeys) {
  const s = ctx.session;
  const pass = field({ label: 'Passphrase', name: 'passphrase', type: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit' }, 'Unlock');
  const msg = h('div');
  const form = h('form', { class: 'stack', novalidate: true },
    h('p', null, 'A key for ', h('strong', null, s?.publicKey ?? ''), ' at ', h('code', null, s?.apiUrl ?? ''), ' is saved on this device.'),
    pass.wrap,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'link', onclick: useKeys }, 'Use other keys')),
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

/** @param {Ctx} ctx */
function keysForm(ctx) {
  const s = ctx.session;
  const apiUrl = field({ label: 'API URL', name: 'apiUrl', type: 'url', value: s?.apiUrl ?? DEFAULT_API_URL, required: true, autocomplete: 'url', hint: 'https://wallexpay.io/api, or your sandbox, e.g. http://127.0.0.1:8787/api' });
  const pub = field({ label: 'Public key', name: 'publicKey', value: s?.publicKey ?? '', required: true, autocomplete: 'off' });
  const priv = field({ label: 'Private key', name: 'privateKey', type: 'password', required: true, autocomplete: 'off', hint: 'Used once to log in. Kept in memory only, unless you choose to remember it below.' });
  const remember = field({ label: 'Remember on this device', name: 'remember', type: 'checkbox', hint: 'Saves the private key encrypted with a passphrase (PBKDF2, 600,000 rounds + AES-GCM).' });
  const pass = field({ label: 'Passphrase', name: 'passphrase', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters. It cannot be recovered: if you forget it, connect with your keys again.' });
  const nonce = field({ label: 'Send a nonce with every call', name: 'nonce', type: 'checkbox', checked: true, hint: 'Recommended. Once a key has used nonces, every program using it must send them.' });
  pass.wrap.hidden = true;
  remember.input.addEventListener('change', () => {
    pass.wrap.hidden = !remember.input.checked;
    pass.input.required = remember.input.checked;
    if (remember.input.checked) pass.input.focus();
  });
  const submit = h('button', { type: 'submit' }, 'Connect');
  const msg = h('div');
  const fields = { apiUrl, publicKey: pub, privateKey: priv, passphrase: pass };
  const form = h('form', { class: 'stack', novalidate: true, autocomplete: 'off' },
    apiUrl.wrap, pub.wrap, priv.wrap, remember.wrap, pass.wrap,
    h('details', null, h('summary', null, 'Advanced'), nonce.wrap),
    h('div', { class: 'actions' }, submit),
    msg);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = {
      apiUrl: apiUrl.input.value.trim(),
      publicKey: pub.input.value.trim(),
      privateKey: priv.input.value,
      remember: remember.input.checked,
      passphrase: pass.input.value,
      nonce: nonce.input.checked,
    };
    for (const f of Object.values(fields)) setFieldError(f, '');
    replace(msg);
    // Ask for host access first, while the click still counts as a user gesture.
    const access = ctx.backend.requestAccess(p.apiUrl);
    busy(submit, async () => {
      try {
        if (!(await access)) {
          throw { code: 'host_permission', message: `The extension was not allowed to reach ${p.apiUrl}.`, retryable: false };
        }
        await ctx.backend.connect(p);
        priv.input.value = '';
        pass.input.value = '';
        await ctx.refreshSession();
        ctx.announce('Connected.');
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
