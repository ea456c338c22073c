#!/usr/bin/env node
// The local dev page: serves web/ and the wasm core at http://127.0.0.1:8080 and proxies
// /api to a Wallex Pay API (default: the sandbox of ./build.sh run on 127.0.0.1:8787), so the
// page and the API share one origin. Plain node:http, no dependencies.
//
// Usage: node scripts/serve-console.mjs [--port 8080] [--host 127.0.0.1] [--api http://127.0.0.1:8787/api] [--wasm dist/wasm/wallexkit.wasm]
// Then open http://127.0.0.1:8080/ and connect with API URL http://127.0.0.1:8080/api.

import http from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, wasmExecPath, DEFAULT_WASM } from './lib-paths.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const PORT = Number(opt('--port', process.env.PORT ?? '8080'));
const HOST = opt('--host', '127.0.0.1');
const API = new URL(opt('--api', process.env.WALLEX_API_URL ?? `http://${process.env.WALLEX_SANDBOX_ADDR ?? '127.0.0.1:8787'}/api`));
const WASM = path.resolve(opt('--wasm', DEFAULT_WASM));
const WEB = path.join(ROOT, 'web');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** @param {http.ServerResponse} res @param {string} file */
function sendFile(res, file) {
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  createReadStream(file).pipe(res);
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function proxy(req, res) {
  const rest = req.url.replace(/^\/api/, '');
  const target = new URL(API.pathname.replace(/\/$/, '') + rest, API);
  const headers = { ...req.headers, host: target.host };
  delete headers.origin;
  delete headers.referer;
  const up = http.request(target, { method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`cannot reach the API at ${API.origin}: ${e.message}\n`);
  });
  req.pipe(up);
}

let wasmExec = '';
try {
  wasmExec = wasmExecPath();
} catch (e) {
  console.error(`serve-console: ${e.message}`);
  process.exit(1);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = decodeURIComponent(url.pathname);
  if (p === '/api' || p.startsWith('/api/')) return proxy(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405).end();
  if (p === '/' || p === '/web' || p === '/web/') return res.writeHead(302, { location: '/web/index.html' }).end();
  if (p === '/wasm/wasm_exec.js') return sendFile(res, wasmExec);
  if (p === '/wasm/wallexkit.wasm') return sendFile(res, WASM);
  if (p.startsWith('/web/')) {
    const file = path.resolve(WEB, '.' + p.slice(4));
    if (!file.startsWith(WEB + path.sep) || file.includes(`${path.sep}test${path.sep}`)) return res.writeHead(404).end();
    return sendFile(res, file);
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
});
server.listen(PORT, HOST, () => {
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`wallexkit console on http://${HOST}:${addr.port}/  (API proxied: /api -> ${API.href})`);
  console.log(`Connect with API URL http://${HOST}:${addr.port}/api`);
  if (!existsSync(WASM)) console.warn(`warning: ${path.relative(ROOT, WASM)} is missing; build the wasm first`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
