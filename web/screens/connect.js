// Connect: API URL + keys, or a wallexkit gateway + gateway token (either secret optionally
// sealed in a passphrase vault), unlock, session status, Lock and Sign out.

import { h, replace, uid } from '../dom.js';
import { field, setFieldError, errorBox, busy, dl, screenHeading, formatTime, formatDuration, noncesWhy, ltr, focusOn } from '../ui.js';
import { t, tParts } from '../lib/i18n.js';
import { toBridgeError } from '../lib/errors.js';

export const DEFAULT_API_URL = 'https://wallexpay.io/api';
export const EXAMPLE_GATEWAY_URL = 'https://pay-gateway.example.workers.dev';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @type {import('../app.js').Screen} */
export default {
  id: 'connect',
  get title() { return t('nav_connect'); },
  needsSession: false,
  render(ctx) {
    const body = h('div', { class: 'stack' });
    const root = h('section', { class: 'screen', 'aria-labelledby': 'connect-title' }, h('div', null, screenHeading(t('connect_title'))), body);
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
  const lock = h('button', { type: 'button', class: 'secondary', 'data-action': 'lock' }, t('connect_lock'));
  const signOut = h('button', { type: 'button', class: 'danger', 'data-action': 'sign-out' }, t('connect_sign_out'));
  // nonces are chosen when connecting: lock (the saved key stays), then connect again with them on
  const noncesOn = h('button', { type: 'button', class: 'secondary', 'data-action': 'nonces-on' }, t('connect_nonces_on'));
  noncesOn.addEventListener('click', () => busy(noncesOn, async () => {
    try {
      await ctx.backend.lock();
      await ctx.refreshSession();
      useKeysForm();
      redraw();
      ctx.announce(t('connect_again_nonces'));
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
      ctx.announce(gateway ? t('connect_locked_gateway', store) : t('connect_locked_keys', store));
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
      ctx.announce(`${gateway ? t('connect_signed_out_gateway', store) : t('connect_signed_out_keys', store)}${next.storeName ? ` ${t('connect_now_showing', next.storeName)}` : ''}`);
      ctx.redraw?.();
      focusNext();
    } catch (e) {
      replace(msg, errorBox(e));
    }
  }));
  const addStore = h('a', { href: '#connect?add', class: 'button secondary', 'data-action': 'add-store' }, t('connect_add_another'));
  const rename = renameControl(ctx, s);
  const alerts = alertsControl(ctx);
  if (gateway) {
    return h('div', { class: 'stack' },
      h('p', { class: 'notice ok', role: 'status' }, t('connect_status_gateway', store)),
      dl([
        [t('connect_store'), rename],
        [t('connect_gateway_url'), ltr(s.gatewayUrl ?? '')],
        [t('connect_api_keys'), t('connect_api_keys_gateway')],
        [t('connect_gateway_token'), t('connect_gateway_token_where')],
        [t('connect_saved'), s.hasVault ? t('connect_saved_gateway_yes') : t('connect_no')],
      ]),
      alerts,
      h('p', { class: 'hint' }, t('connect_lock_hint_gateway')),
      h('div', { class: 'actions' }, lock, signOut, addStore),
      msg);
  }
  const expires = s.renewsOnUse || (s.expiryUnknown && s.keyInMemory) ? t('connect_expires_renews')
    : s.expiryUnknown ? t('connect_expires_unknown_ends')
      : s.expiresAt ? (Number.isFinite(left) ? t('connect_expires_at_in', formatTime(s.expiresAt), formatDuration(left)) : formatTime(s.expiresAt)) : t('connect_expires_unknown');
  return h('div', { class: 'stack' },
    h('p', { class: 'notice ok', role: 'status' }, t('connect_status_keys', store)),
    s.clockSkew ? h('div', { class: 'notice warn', role: 'status', 'data-notice': 'clock-skew' },
      h('p', null, h('strong', null, t('connect_skew_title'))),
      h('p', null, t('connect_skew_text'))) : null,
    dl([
      [t('connect_store'), rename],
      [t('connect_api_url'), ltr(s.apiUrl ?? '')],
      [t('connect_public_key'), ltr(s.publicKey ?? '')],
      [t('connect_session_expires'), expires],
      [t('connect_private_key'), s.keyInMemory ? t('connect_priv_in_memory') : t('connect_priv_not_in_memory')],
      [t('connect_saved'), s.hasVault ? t('connect_saved_keys_yes') : t('connect_no')],
      [t('connect_nonces'), s.nonces === false ? t('connect_nonces_off') : t('connect_nonces_on_state')],
      ...(/** @type {[string, string][]} */ (s.tuning ? [[t('connect_test_timing'), Object.entries(s.tuning).map(([k, v]) => `${k} ${v}`).join(', ')]] : [])),
    ]),
    alerts,
    h('p', { class: 'hint' }, t('connect_lock_hint_keys')),
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
  const f = field({ label: t('connect_alerts'), name: 'paidAlerts', type: 'checkbox', checked: true, hint: t('connect_alerts_hint') });
  f.input.disabled = true;
  ctx.backend.alerts().then((st) => { f.input.checked = !st.muted; f.input.disabled = false; }, () => { f.wrap.hidden = true; });
  f.input.addEventListener('change', async () => {
    f.input.disabled = true;
    try {
      const st = await /** @type {NonNullable<typeof ctx.backend.setAlerts>} */ (ctx.backend.setAlerts)({ muted: !f.input.checked });
      f.input.checked = !st.muted;
      ctx.announce(st.muted ? t('connect_alerts_off') : t('connect_alerts_on'));
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
    const b = h('button', { type: 'button', class: 'link', 'data-action': 'rename-store' }, t('connect_rename'));
    b.addEventListener('click', edit);
    replace(wrap, h('strong', null, s.storeName ?? ''), ' ', b);
  };
  const edit = () => {
    const f = field({ label: t('connect_store_name'), name: 'storeName', value: s.storeName ?? '', hint: t('connect_store_name_hint') });
    const save = h('button', { type: 'submit' }, t('connect_save'));
    const cancel = h('button', { type: 'button', class: 'secondary' }, t('connect_cancel'));
    const form = h('form', { class: 'inline-form', novalidate: true }, f.wrap, save, cancel);
    cancel.addEventListener('click', () => { view(); wrap.querySelector('button')?.focus(); });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(save, async () => {
        try {
          await ctx.backend.renameStore(s.storeId, f.input.value);
          const st = await ctx.refreshSession();
          s.storeName = st.storeName;
          ctx.announce(t('connect_renamed', st.storeName ?? ''));
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
  const pass = field({ label: t('connect_passphrase'), name: 'passphrase', type: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit' }, t('connect_unlock'));
  const msg = h('div');
  const gateway = s?.mode === 'gateway';
  const form = h('form', { class: 'stack', novalidate: true },
    h('p', null, tParts('connect_is_locked', h('strong', null, s?.storeName ?? ''))),
    gateway
      ? h('p', null, tParts('connect_vault_gateway', h('code', { dir: 'ltr' }, s?.gatewayUrl ?? '')))
      : h('p', null, tParts('connect_vault_keys', h('strong', { dir: 'ltr' }, s?.publicKey ?? ''), h('code', { dir: 'ltr' }, s?.apiUrl ?? ''))),
    pass.wrap,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'link', onclick: useKeys }, gateway ? t('connect_another_way') : t('connect_other_keys'))),
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
        ctx.announce(t('connect_unlocked'));
        ctx.navigate('overview');
      } catch (err) {
        const be = toBridgeError(err);
        if (be.code === 'wrong_passphrase') setFieldError(pass, be.message);
        replace(msg, errorBox(err));
        pass.input.focus();
      }
    }, t('connect_unlocking'));
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
  const viaKeys = choice('keys', t('connect_api_keys'), t('connect_mode_keys_hint'), s?.mode !== 'gateway');
  const viaGateway = choice('gateway', t('connect_mode_gateway'), t('connect_mode_gateway_hint'), s?.mode === 'gateway');
  // The dev page ('wallexkit console') may reach its own origin only (its CSP: connect-src 'self');
  // its /api passes every call on to the API it was started with. So that is its default and
  // the only address its hint names; the extension reaches Wallex Pay or a sandbox directly.
  const devPage = ctx.variant === 'page';
  const ownApi = `${location.origin}/api`;
  const apiUrl = field({ label: t('connect_api_url'), name: 'apiUrl', type: 'url', value: (s?.mode !== 'gateway' && s?.apiUrl) || (devPage ? ownApi : DEFAULT_API_URL), required: true, autocomplete: 'url',
    hint: devPage ? t('connect_api_url_hint_devpage', ownApi) : t('connect_api_url_hint'), attrs: { dir: 'ltr' } });
  const pub = field({ label: t('connect_public_key'), name: 'publicKey', value: s?.publicKey ?? '', required: true, autocomplete: 'off', attrs: { dir: 'ltr' } });
  const priv = field({ label: t('connect_private_key'), name: 'privateKey', type: 'password', required: true, autocomplete: 'off', hint: t('connect_private_key_hint'), attrs: { dir: 'ltr' } });
  const gwUrl = field({ label: t('connect_gateway_url'), name: 'gatewayUrl', type: 'url', value: s?.gatewayUrl ?? '', required: true, autocomplete: 'url', placeholder: EXAMPLE_GATEWAY_URL, hint: devPage ? t('connect_gateway_url_hint_devpage', location.origin, EXAMPLE_GATEWAY_URL) : t('connect_gateway_url_hint', EXAMPLE_GATEWAY_URL), attrs: { dir: 'ltr' } });
  const gwToken = field({ label: t('connect_gateway_token'), name: 'gatewayToken', type: 'password', required: true, autocomplete: 'off', hint: t('connect_gateway_token_hint'), attrs: { dir: 'ltr' } });
  const name = field({ label: t('connect_store_name'), name: 'storeName', value: s?.storeName ?? '', autocomplete: 'off', hint: t('connect_store_name_optional') });
  const remember = field({ label: t('connect_remember'), name: 'remember', type: 'checkbox', hint: t('connect_remember_keys') });
  const pass = field({ label: t('connect_passphrase'), name: 'passphrase', type: 'password', autocomplete: 'new-password', hint: t('connect_passphrase_hint') });
  const nonce = field({ label: t('connect_nonce'), name: 'nonce', type: 'checkbox', checked: true, hint: `${t('connect_nonce_hint')} ${noncesWhy()} ${t('connect_nonce_hint_end')}` });
  pass.wrap.hidden = true;
  remember.input.addEventListener('change', () => {
    pass.wrap.hidden = !remember.input.checked;
    pass.input.required = remember.input.checked;
    if (remember.input.checked) pass.input.focus();
  });
  const keysGroup = h('div', { 'data-mode': 'keys' }, apiUrl.wrap, pub.wrap, priv.wrap);
  const gatewayGroup = h('div', { 'data-mode': 'gateway' }, gwUrl.wrap, gwToken.wrap);
  // the last connection had nonces off: show that they are on again here
  const advanced = h('details', { open: s?.mode === 'keys' && s.nonces === false }, h('summary', null, t('connect_advanced')), nonce.wrap);
  const rememberHint = /** @type {HTMLElement} */ (remember.wrap.querySelector('.hint'));
  const submit = h('button', { type: 'submit' }, t('connect_button'));
  const msg = h('div');
  const fields = { apiUrl, publicKey: pub, privateKey: priv, gatewayUrl: gwUrl, gatewayToken: gwToken, passphrase: pass, name };
  const showMode = () => {
    const gateway = viaGateway.input.checked;
    keysGroup.hidden = gateway;
    gatewayGroup.hidden = !gateway;
    advanced.hidden = gateway; // a gateway orders nonces itself
    rememberHint.textContent = gateway
      ? t('connect_remember_gateway')
      : t('connect_remember_keys');
    for (const f of Object.values(fields)) setFieldError(f, '');
    replace(msg);
  };
  viaKeys.input.addEventListener('change', showMode);
  viaGateway.input.addEventListener('change', showMode);
  showMode();
  const others = (ctx.session?.stores ?? []).length;
  const form = h('form', { class: 'stack', novalidate: true, autocomplete: 'off' },
    // no store yet: where keys come from, and the sandbox to try things with
    others ? null : h('div', { class: 'notice info', 'data-first-run': '' },
      h('p', null, h('strong', null, t('connect_first_title')), ' ', t('connect_first_keys')),
      h('p', null, ...tParts(devPage ? 'connect_first_sandbox_devpage' : 'connect_first_sandbox', h('code', { dir: 'ltr' }, devPage ? 'wallexkit sandbox --console' : 'wallexkit sandbox')))),
    adding && others ? h('p', { class: 'hint', 'data-add-store': '' }, h('strong', null, t('connect_add_store_title')), ' ', others === 1 ? t('connect_add_store_one') : t('connect_add_store_many', others)) : null,
    h('fieldset', { class: 'choice' }, h('legend', null, t('connect_with')), viaKeys.wrap, viaGateway.wrap),
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
    // every required field left blank is flagged at once, each saying what goes there (the
    // backend's checks name one field at a time); nothing is asked for or sent before
    /** @type {[{input: HTMLInputElement, error: HTMLElement}, string][]} */
    const needed = gateway
      ? [[gwUrl, t('connect_need_gateway_url', devPage ? location.origin : EXAMPLE_GATEWAY_URL)], [gwToken, t('connect_need_gateway_token')]]
      : [[apiUrl, t('connect_need_api_url', devPage ? ownApi : DEFAULT_API_URL)], [pub, t('connect_need_public_key')], [priv, t('connect_need_private_key')]];
    if (remember.input.checked) needed.push([pass, t('connect_need_passphrase')]);
    const blank = needed.filter(([f]) => !f.input.value.trim());
    if (blank.length) {
      for (const [f, m] of blank) setFieldError(f, m);
      blank[0][0].input.focus();
      return;
    }
    // Ask for host access first, while the click still counts as a user gesture.
    const access = ctx.backend.requestAccess(target);
    busy(submit, async () => {
      try {
        if (!(await access)) {
          throw { code: 'host_permission', message: t('connect_no_access', target), retryable: false };
        }
        await ctx.backend.connect(p);
        priv.input.value = '';
        gwToken.input.value = '';
        pass.input.value = '';
        const st = await ctx.refreshSession();
        ctx.announce(gateway ? t('connect_connected_gateway', st.storeName ?? '') : t('connect_connected', st.storeName ?? ''));
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
    }, t('connect_connecting'));
  });
  return form;
}
