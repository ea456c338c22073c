#!/usr/bin/env bash
# Builds the edge Worker into wasm/edge/build/ (what wrangler.jsonc deploys):
#   app.wasm      the Go gateway (./wasm/edge), GOOS=js GOARCH=wasm, stripped
#   wasm_exec.js  Go's JS runtime support as syumai/workers ships it (workers-assets-gen)
#   worker.mjs    the Worker entry (glue/worker.mjs), which exports the Durable Object classes of
#   keys.mjs      KeyState (per API key: token, nonce mark, nonce sequencer)
#   ledger.mjs    Ledger (payments, orders, IPNs, events, forwarding)
#   limiter.mjs   Limiter (per client: rate limit window)
# Usage: wasm/edge/build.sh   (from anywhere; needs only Go)
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
out=wasm/edge/build

# workers-assets-gen empties $out first, then writes wasm_exec.js, runtime.mjs and worker.mjs.
go run github.com/syumai/workers/cmd/workers-assets-gen -mode go -o "$out"
# Its worker.mjs/runtime.mjs start a new Go instance per request; ours keeps one per isolate.
rm -f "$out/runtime.mjs"
cp wasm/edge/glue/*.mjs "$out/"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$out/app.wasm" ./wasm/edge
raw=$(wc -c <"$out/app.wasm")
gz=$(gzip -9 -c "$out/app.wasm" | wc -c)
echo "wasm/edge/build: app.wasm $raw bytes, gzip -9 $gz bytes"
