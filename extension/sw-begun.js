// Imported first by the service worker (extension/sw.js), so that its one line runs before any
// other module of the worker: when the worker's own code began, in milliseconds since Chrome
// started the worker. What comes before it is Chrome's (the worker's thread and the script's
// load); the startup marks in sw.js tell the two apart with it.
export const BEGUN = performance.now();
