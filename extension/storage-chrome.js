// KV stores over chrome.storage areas (see web/host/kv.js).

/**
 * @param {chrome.storage.StorageArea} area
 * @returns {import('../web/host/kv.js').KV}
 */
export function chromeKV(area) {
  return {
    async get(k) { return (await area.get(k))[k]; },
    async set(k, v) { await area.set({ [k]: v }); },
    async remove(k) { await area.remove(k); },
    // getKeys (Chrome 130) lists the names without reading every value (payout journals can be large)
    async keys(prefix) {
      const all = typeof area.getKeys === 'function' ? await area.getKeys() : Object.keys(await area.get(null));
      return all.filter((k) => k.startsWith(prefix));
    },
  };
}
