#!/usr/bin/env bash
# wallexkit's one entry point. Usage: ./build.sh build | run | test | bench | dist
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

# Go lives in /usr/local/go on a fresh machine; make sure it is on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || { echo "build.sh: Go 1.26 is required (https://go.dev/dl)" >&2; exit 1; }

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

build_native() {
  log "building bin/wallexkit"
  mkdir -p bin
  go build -trimpath -o bin/wallexkit ./cmd/wallexkit
}

build_wasm() {
  log "building dist/wasm/wallexkit.wasm (the core for JavaScript)"
  mkdir -p dist/wasm
  wasm/bridge/build.sh dist/wasm/wallexkit.wasm
  cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" dist/wasm/wasm_exec.js
  # The CLI embeds the console (web/), with the core, for 'wallexkit sandbox --console'.
  cp dist/wasm/wallexkit.wasm dist/wasm/wasm_exec.js web/wasm/
  # ...and the browser modules it takes from npm (pinned in package-lock.json): the QR encoder
  ensure_npm .
  node scripts/vendor.mjs web/lib/vendor
}

# npm packages pinned by package-lock.json, installed with npm ci; again whenever the lock file changes.
ensure_npm() {
  local dir=$1 stamp=$1/node_modules/.wallexkit-lock
  if ! cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
    log "npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

# Debian's Chromium for the browser tests (we are root on CI and dev machines).
ensure_chromium() {
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then return; fi
  log "installing Debian's chromium"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

build_npm() {
  log "packing the npm package @wallexkit/core (dist/npm)"
  node scripts/build-npm.mjs >/dev/null
}

build_extension() {
  log "building dist/extension (load unpacked)"
  node scripts/build-extension.mjs
}

build_edge() {
  log "building the edge gateway Worker (wasm/edge/build)"
  wasm/edge/build.sh
}

cmd_build() {
  build_wasm
  build_native
  build_npm
  build_extension
  build_edge
}

# port_free HOST:PORT: nothing answers there.
port_free() { ! (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# run: one process (the CLI) serves the sandbox and the console, and replaces this shell, so
# Ctrl-C, a kill or either server stopping leaves nothing behind.
cmd_run() {
  local addr=${WALLEX_SANDBOX_ADDR:-127.0.0.1:8787} console=127.0.0.1:${WALLEX_CONSOLE_PORT:-8080}
  local data=${WALLEX_SANDBOX_DATA:-$ROOT/dist/sandbox.db}
  port_free "$addr" || { echo "build.sh: $addr is in use (an earlier ./build.sh run still going?): stop it, or pick another with WALLEX_SANDBOX_ADDR=127.0.0.1:8797 ./build.sh run" >&2; exit 1; }
  port_free "$console" || { echo "build.sh: $console is in use (an earlier ./build.sh run still going?): stop it, or pick another with WALLEX_CONSOLE_PORT=8081 ./build.sh run" >&2; exit 1; }
  [ -n "${WALLEX_RUN_NO_BUILD:-}" ] || cmd_build
  mkdir -p "$(dirname "$data")"
  cat >&2 <<MSG

What next (Ctrl-C stops everything):
  * CLI: in another terminal, paste the export line below and
        export PATH="$ROOT/bin:\$PATH"   # the lines wallexkit prints for you to run start with 'wallexkit'
    then
        bin/wallexkit balances --all
        bin/wallexkit listen --forward-to http://localhost:4242/webhook   # IPNs to your handler
        bin/wallexkit trigger payment.complete                            # one arrives
  * Console: open http://$console/ and connect with API URL http://$console/api and the demo keys.
  * Extension: chrome://extensions → Developer mode → Load unpacked → $ROOT/dist/extension
    (connect with API URL http://$addr/api; the extension asks for permission to reach it).

MSG
  exec "${WALLEX_BIN:-$ROOT/bin/wallexkit}" sandbox --addr "$addr" --console "$console" --data "$data"
}

cmd_test() {
  log "gofmt"
  local unformatted
  unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
  if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; exit 1; fi
  log "go vet"
  go vet ./...
  log "core stays pure (no net/http, syscall/js, encoding/xml)"
  if go list -deps ./core | grep -Ex 'net/http|syscall/js|encoding/xml'; then
    echo "core imports a forbidden package (above)" >&2; exit 1
  fi
  # The two halves side by side: most of their time is waiting (payout holds, the CLI's real
  # processes), so together they take about as long as the slower one. Each one's output is
  # printed whole when it ends, the race half first.
  log "go test -race (core, sandbox) beside go test (the rest)"
  local race_out rest_out race_pid rest_pid failed=""
  race_out=$(mktemp) rest_out=$(mktemp)
  go test -race -count=1 ./core/... ./sandbox/... >"$race_out" 2>&1 &
  race_pid=$!
  go test -count=1 $(go list ./... | grep -v -E '/core($|/)|/sandbox($|/)') >"$rest_out" 2>&1 &
  rest_pid=$!
  wait "$race_pid" || failed="go test -race (core, sandbox)"
  cat "$race_out"
  wait "$rest_pid" || failed="${failed:+$failed and }go test (the rest)"
  cat "$rest_out"
  rm -f "$race_out" "$rest_out"
  if [ -n "$failed" ]; then echo "build.sh test: $failed failed (above)" >&2; exit 1; fi
  log "go test (internal/jsonpretty, our github.com/tidwall/pretty: a module of its own)"
  (cd internal/jsonpretty && go vet ./... && go test -count=1 ./...)
  log "wasm suite (GOOS=js go test under node, bridge node tests, size budget)"
  wasm/test/run-go-wasm-tests.sh
  ensure_npm .
  ensure_npm wasm/edge
  ensure_chromium
  build_wasm
  build_native
  build_npm
  build_extension
  build_edge
  log "console and extension suite (node unit tests, Playwright + Debian chromium; the gateway test runs the Worker)"
  npm test
  log "edge gateway suite (real workerd via Miniflare, against the sandbox)"
  npm --prefix wasm/edge test
}

cmd_bench() {
  cmd_build
  log "Go benchmarks (core call and decode, CLI mass payout)"
  go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" ./core/... ./cmd/...
  log "wasm bridge vs plain fetch (node)"
  node wasm/test/bench.mjs
  log "extension round trip and service-worker cold start (Chromium)"
  ensure_npm .
  ensure_chromium
  node extension/test/bench.mjs
  log "sizes: bridge and gateway wasm, gzip -9, against the 1.2 MB floor (issue #12)"
  node wasm/test/size-report.mjs --packages
  log "edge gateway vs a plain JS Worker (workerd): throughput at 8 and 64, cold start, checkout with 64 clients"
  ensure_npm wasm/edge
  npm --prefix wasm/edge run bench -- --nonce --legacy-off
}

cmd_dist() {
  cmd_build
}

case "${1:-}" in
  build) cmd_build ;;
  run) cmd_run ;;
  test) cmd_test ;;
  bench) cmd_bench ;;
  dist) cmd_dist ;;
  *) echo "usage: ./build.sh build | run | test | bench | dist" >&2; exit 2 ;;
esac
