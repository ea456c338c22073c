// Child processes shared by the test harnesses (extension/test/harness.mjs, wasm/edge/test/lib.mjs).

/**
 * Waits for a started server to print the address it listens on. Servers under test are started
 * on port 0 and report the port the kernel gave them: a port picked first and passed in can be
 * taken by any connection of a test running alongside before the server listens on it.
 * @param {import('node:child_process').ChildProcess} proc
 * @param {RegExp} re  its first group is the URL
 * @param {string} what  the server, for the error
 * @returns {Promise<string>}
 */
export function printedURL(proc, re, what) {
  let log = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start within 15 s:\n${log}`)), 15000);
    proc.stdout?.on('data', (d) => {
      log += d;
      const m = re.exec(log);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    proc.stderr?.on('data', (d) => { log += d; });
    proc.once('exit', (c) => { clearTimeout(t); reject(new Error(`${what} exited ${c}:\n${log}`)); });
  });
}
