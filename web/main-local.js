// Entry of the local dev page ('wallexkit console', 'wallexkit sandbox --console'): wasm core in the page.
import '../wasm/wasm_exec.js';
import { mount } from './app.js';
import { localBackend } from './backend-local.js';
import { webStorageKV } from './host/kv.js';
import { initI18n, t } from './lib/i18n.js';

await initI18n();

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
mount(root, {
  backend: localBackend({ wasmUrl: new URL('../wasm/wallexkit.wasm', import.meta.url) }),
  store: webStorageKV(localStorage),
  variant: 'page',
  title: t('app_title_local'),
});
