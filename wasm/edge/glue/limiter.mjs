// The Limiter Durable Object (binding LIMITER): one object per client, named "rl:<client>" (its
// IP address, an IPv6 client by its /64, as Go's limitKey decides), holding a fixed window. Go's
// side: gateway.Limiter (internal/gateway/platform.go), implemented in platform_js.go. Go passes
// the limit and the window; this class only counts.
import { DurableObject } from "cloudflare:workers";

export class Limiter extends DurableObject {
  // hit counts one request in the current window of windowMs and reports whether it is within
  // limit, and if not, in how many ms the window ends.
  async hit(limit, windowMs) {
    const now = Date.now();
    let w = await this.ctx.storage.get("window");
    if (!w || now >= w.start + windowMs) w = { start: now, count: 0 };
    w.count++;
    await this.ctx.storage.put("window", w);
    if (w.count > limit) return { ok: false, retry_ms: w.start + windowMs - now };
    return { ok: true, retry_ms: 0 };
  }
}
