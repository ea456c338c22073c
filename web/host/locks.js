// Named locks across the tabs and the extension's worker (Web Locks), or in memory (node): the
// stores' lifecycle and calls, and the payout journals, take them.

/**
 * Named locks: the Web Locks API where the host has one (pages and service workers share it per
 * origin, so it holds across tabs and the extension's worker), else an in-memory queue (node).
 * A lock held by a page or worker that goes away is released with it. mode 'shared': any number
 * of shared holders at once, none while an exclusive one holds the name (and the reverse).
 * @param {any} [locks]  a LockManager (navigator.locks)
 * @returns {{acquire: (name: string, opts?: {mode?: 'exclusive'|'shared'}) => Promise<() => void>}}
 */
export function lockManager(locks = /** @type {any} */ (globalThis).navigator?.locks) {
  if (locks && typeof locks.request === 'function') {
    return {
      acquire(name, opts = {}) {
        return new Promise((resolve, reject) => {
          /** @type {() => void} */
          let release = () => {};
          const held = new Promise((r) => { release = () => r(undefined); });
          locks.request(name, { mode: opts.mode ?? 'exclusive' }, () => { resolve(release); return held; }).catch(reject);
        });
      },
    };
  }
  // In memory: a queue of waiters per name; shared waiters next to each other run together.
  /** @type {Map<string, {shared: number, exclusive: boolean, queue: {mode: string, go: () => void}[]}>} */
  const names = new Map();
  /** @param {string} name */
  const pump = (name) => {
    const st = names.get(name);
    if (!st) return;
    while (st.queue.length && !st.exclusive) {
      const w = st.queue[0];
      if (w.mode === 'shared') {
        st.queue.shift();
        st.shared++;
        w.go();
      } else if (st.shared === 0) {
        st.queue.shift();
        st.exclusive = true;
        w.go();
      } else break;
    }
    if (!st.shared && !st.exclusive && !st.queue.length) names.delete(name);
  };
  return {
    acquire(name, opts = {}) {
      const mode = opts.mode === 'shared' ? 'shared' : 'exclusive';
      if (!names.has(name)) names.set(name, { shared: 0, exclusive: false, queue: [] });
      const st = /** @type {NonNullable<ReturnType<typeof names.get>>} */ (names.get(name));
      return new Promise((resolve) => {
        st.queue.push({
          mode,
          go: () => {
            let done = false;
            resolve(() => {
              if (done) return;
              done = true;
              if (mode === 'shared') st.shared--;
              else st.exclusive = false;
              pump(name);
            });
          },
        });
        pump(name);
      });
    },
  };
}
