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
    async keys(prefix) { return Object.keys(await area.get(null)).filter((k) => k.startsWith(prefix)); },
  };
}
