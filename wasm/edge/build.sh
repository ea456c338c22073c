#!/usr/bin/env bash
# Builds the edge Worker into wasm/edge/build/ (what wrangler.jsonc deploys):
#   app.wasm      the Go gateway (./wasm/edge), GOOS=js GOARCH=wasm, stripped
#   wasm_exec.js  Go's JS runtime support as syumai/workers ships it (workers-assets-gen)
#   worker.mjs    the Worker entry (glue/worker.mjs), which exports the Durable Object classes of
#   keys.mjs      KeyState (per API key: token, nonce mark, nonce sequencer)
#   ledger.mjs    Ledger (payments, orders, IPNs, events, forwarding)
#   limiter.mjs   Limiter (per client: rate limit window)
# Usage: wasm/edge/build.sh [--force]   (from anywhere; needs only Go)
#
# It builds only when something it is made from changed (Go sources of the gateway, core, internal/ and the
# wasm packages it uses, go.mod/go.sum, the glue, this script, the Go version): wrangler runs it
# before every `wrangler dev` and `wrangler deploy` (build.command in wrangler.jsonc) and the test
# harness before every test file, so an unchanged tree costs a look at file times. --force (or
# EDGE_REBUILD=1) builds anyway.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
out=wasm/edge/build

# The stamp names the Go version and is written last: a build that failed half-way has none.
stamp=$out/.built
want="$(go version)"
# Every file must be there too: a run stopped half-way may have left some out.
outputs="app.wasm wasm_exec.js worker.mjs keys.mjs ledger.mjs limiter.mjs"
complete() { for f in $outputs; do [ -f "$out/$f" ] || return 1; done; }
if [ "${1:-}" != "--force" ] && [ "${EDGE_REBUILD:-}" != "1" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && complete &&
  [ -z "$(find wasm/edge core wasm/fetch wasm/internal internal go.mod go.sum \( -name node_modules -o -name build -o -name 'build.tmp.*' -o -name .wrangler -o -path wasm/edge/test \) -prune -o \
    \( -name '*.go' -o -name '*.mjs' -o -name build.sh -o -name go.mod -o -name go.sum \) -newer "$stamp" -print -quit)" ]; then
  echo "wasm/edge/build: up to date"
  exit 0
fi

# Built in a directory of this run's own, then moved into $out file by file (each rename is
# atomic): wrangler dev starts this script again for every changed file, also while a run is
# still building, and a run that emptied $out under another left it without some files.
mkdir -p "$out"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# workers-assets-gen empties its directory first, then writes wasm_exec.js, runtime.mjs and worker.mjs.
go run github.com/syumai/workers/cmd/workers-assets-gen -mode go -o "$tmp"
# Its worker.mjs/runtime.mjs start a new Go instance per request; ours keeps one per isolate.
rm -f "$tmp/runtime.mjs" "$out/runtime.mjs"
cp wasm/edge/glue/*.mjs "$tmp/"
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$tmp/app.wasm" ./wasm/edge
raw=$(wc -c <"$tmp/app.wasm")
gz=$(gzip -9 -c "$tmp/app.wasm" | wc -c)
for f in "$tmp"/*; do mv -f "$f" "$out/"; done
echo "wasm/edge/build: app.wasm $raw bytes, gzip -9 $gz bytes"
echo "$want" >"$tmp/.built"
mv -f "$tmp/.built" "$stamp"
