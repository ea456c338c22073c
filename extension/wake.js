// Loaded first by the console's pages, as a classic script, before their modules: if Chrome has
// stopped the service worker, this starts it now, so that it compiles and starts the core while
// the page loads, instead of after the page's first call. One message when a page opens; the
// worker ignores it (extension/sw.js takes only a channel offer from a page's messages).
navigator.serviceWorker?.ready.then((reg) => reg.active?.postMessage({ type: 'wk.wake' })).catch(() => {});
