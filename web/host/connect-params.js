// The Connect form checked locally before anything is sent: API URL, keys, passphrase, gateway
// URL and token; and the loopback rule (as Go's core.IsLoopbackHost) that allows plain http.

/** Where a gateway takes calls: <gateway URL>/v1/call/<cmd>. */
export const GATEWAY_CALL_PATH = '/v1/call';

/** @param {string} code @param {string} message @param {string} [field] */
export function fail(code, message, field) {
  /** @type {{code: string, message: string, retryable: boolean, field?: string}} */
  const e = { code, message, retryable: false };
  if (field) e.field = field;
  return e;
}

/**
 * Checks the Connect form locally (nothing is sent while it fails).
 * @param {{apiUrl?: string, publicKey?: string, privateKey?: string, remember?: boolean, passphrase?: string}} p
 */
export function checkConnectParams(p) {
  const apiUrl = String(p.apiUrl ?? '').trim();
  let u;
  try {
    u = new URL(apiUrl);
  } catch {
    throw fail('invalid_input', 'API URL is not a valid address, e.g. https://wallexpay.io/api', 'apiUrl');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail('invalid_input', 'API URL must start with https://', 'apiUrl');
  if (u.username || u.password) throw fail('invalid_input', 'API URL must not contain a user name or password', 'apiUrl');
  const loopback = isLoopback(u.hostname);
  if (u.protocol === 'http:' && !loopback) {
    throw fail('invalid_input', 'API URL must use https:// (plain http is only allowed for 127.0.0.1 and localhost)', 'apiUrl');
  }
  if (!String(p.publicKey ?? '').trim()) throw fail('invalid_input', 'Public key is required', 'publicKey');
  if (/\s/.test(String(p.publicKey).trim())) throw fail('invalid_input', 'Public key must not contain spaces', 'publicKey');
  if (p.privateKey !== undefined && !String(p.privateKey).trim()) throw fail('invalid_input', 'Private key is required', 'privateKey');
  if (p.remember && String(p.passphrase ?? '').length < 8) {
    throw fail('invalid_input', 'Passphrase must be at least 8 characters to remember the key on this device', 'passphrase');
  }
  return { apiUrl: apiUrl.replace(/\/+$/, ''), publicKey: String(p.publicKey).trim(), loopback };
}

/**
 * Checks the "Through my gateway" form locally (nothing is sent while it fails).
 * @param {{gatewayUrl?: string, gatewayToken?: string, remember?: boolean, passphrase?: string}} p
 * @returns {{gatewayUrl: string, apiUrl: string, gatewayToken: string}}
 */
export function checkGatewayParams(p) {
  const raw = String(p.gatewayUrl ?? '').trim();
  let u;
  try {
    u = new URL(raw);
  } catch {
    throw fail('invalid_input', 'Gateway URL is not a valid address, e.g. https://pay-gateway.example.workers.dev', 'gatewayUrl');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail('invalid_input', 'Gateway URL must start with https://', 'gatewayUrl');
  if (u.username || u.password) throw fail('invalid_input', 'Gateway URL must not contain a user name or password', 'gatewayUrl');
  if (u.search || u.hash) throw fail('invalid_input', 'Gateway URL must not contain ? or #: give the gateway\'s address only', 'gatewayUrl');
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
    throw fail('invalid_input', 'Gateway URL must use https:// (plain http is only allowed for 127.0.0.1 and localhost)', 'gatewayUrl');
  }
  // the gateway's address; its call route may have been pasted too
  let path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith(GATEWAY_CALL_PATH)) path = path.slice(0, -GATEWAY_CALL_PATH.length);
  const gatewayUrl = u.origin + path;
  const gatewayToken = String(p.gatewayToken ?? '').trim().replace(/^Bearer\s+/i, '');
  if (!gatewayToken) throw fail('invalid_input', 'Gateway token is required', 'gatewayToken');
  if (/\s/.test(gatewayToken)) throw fail('invalid_input', 'Gateway token must not contain spaces', 'gatewayToken');
  if (p.remember && String(p.passphrase ?? '').length < 8) {
    throw fail('invalid_input', 'Passphrase must be at least 8 characters to remember the token on this device', 'passphrase');
  }
  return { gatewayUrl, apiUrl: gatewayUrl + GATEWAY_CALL_PATH, gatewayToken };
}

/**
 * Whether host (a URL's hostname: IPv6 in brackets) is loopback, exactly as Go's
 * core.IsLoopbackHost decides: localhost, any *.localhost, any IPv4 address in 127.0.0.0/8, ::1,
 * and IPv4-mapped 127.x.y.z (::ffff:127.0.0.1). Case does not matter; brackets around an IPv6
 * address are ignored.
 * @param {string} host
 */
export function isLoopback(host) {
  const h = String(host);
  const lower = h.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  const ip = h.replace(/^[[\]]+|[[\]]+$/g, '');
  const v4 = ipv4(ip);
  if (v4) return v4[0] === 127;
  const v6 = ipv6(ip);
  if (!v6) return false;
  if (v6.slice(0, 5).every((x) => x === 0) && v6[5] === 0xffff) return v6[6] >> 8 === 127; // ::ffff:a.b.c.d
  return v6.slice(0, 7).every((x) => x === 0) && v6[7] === 1;
}

/** Four octets of a dotted-quad (Go's netip rules: no leading zeros), or null. @param {string} s */
function ipv4(s) {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

/** Eight 16-bit groups of an IPv6 address (an optional %zone ignored), or null. @param {string} s */
function ipv6(s) {
  let a = s;
  const zone = a.indexOf('%');
  if (zone >= 0) {
    if (zone === a.length - 1) return null;
    a = a.slice(0, zone);
  }
  if (!a.includes(':')) return null;
  /** @param {string} part @returns {number[]|null} */
  const groups = (part) => {
    if (part === '') return [];
    const out = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i];
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = ipv4(g);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0]);
  if (!head) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  if (halves[0] !== '' && halves[0].split(':').some((g) => g.includes('.'))) return null;
  const tail = groups(halves[1]);
  if (!tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
}
