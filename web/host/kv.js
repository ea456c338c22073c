// A tiny async key-value store interface, so screens can keep state without knowing where.

/**
 * @typedef {object} KV
 * @property {(key: string) => Promise<any>} get        undefined when absent
 * @property {(key: string, value: any) => Promise<void>} set
 * @property {(key: string) => Promise<void>} remove
 * @property {(prefix: string) => Promise<string[]>} keys
 */

/** In memory (tests, fallbacks). @returns {KV} */
export function memoryKV() {
  const m = new Map();
  return {
    async get(k) { return m.has(k) ? structuredClone(m.get(k)) : undefined; },
    async set(k, v) { m.set(k, structuredClone(v)); },
    async remove(k) { m.delete(k); },
    async keys(prefix) { return [...m.keys()].filter((k) => k.startsWith(prefix)); },
  };
}

/** Over a Web Storage object (localStorage / sessionStorage), JSON-encoded. @param {Storage} s @returns {KV} */
export function webStorageKV(s) {
  return {
    async get(k) { const v = s.getItem(k); return v === null ? undefined : JSON.parse(v); },
    async set(k, v) { s.setItem(k, JSON.stringify(v)); },
    async remove(k) { s.removeItem(k); },
    async keys(prefix) {
      const out = [];
      for (let i = 0; i < s.length; i++) { const k = s.key(i); if (k !== null && k.startsWith(prefix)) out.push(k); }
      return out;
    },
  };
}
