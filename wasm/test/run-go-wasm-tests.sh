#!/usr/bin/env bash
# Runs the whole wasm suite: the Go GOOS=js tests (under node, via go_js_wasm_exec) and the node
# tests of the bridge, against a local sandbox started here on a free loopback port.
# Exits non-zero on any failure. Usage: wasm/test/run-go-wasm-tests.sh [go test flags]
set -uo pipefail
cd "$(dirname "$0")/../.."

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
GOROOT=$(go env GOROOT)
export PATH="$GOROOT/lib/wasm:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/wallexkit-wasm-test.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pub="wasm-test-pub-$RANDOM$RANDOM"
priv="wasm-test-priv-$RANDOM$RANDOM$RANDOM"

# The sandbox: the CLI's emulator on a free loopback port.
go build -o "$work/wallexkit" ./cmd/wallexkit || exit 1
"$work/wallexkit" sandbox --addr 127.0.0.1:0 --demo-public-key "$pub" --demo-private-key "$priv" >"$work/sandbox.out" 2>"$work/sandbox.err" &
server_pid=$!

api_url=
for _ in $(seq 1 100); do
  api_url=$(grep -o 'listening on http://[^ ]*' "$work/sandbox.out" 2>/dev/null | head -1 | sed 's/^listening on //')
  [ -n "$api_url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$api_url" ]; then
  echo "run-go-wasm-tests: the sandbox did not start:" >&2
  cat "$work/sandbox.out" "$work/sandbox.err" >&2
  exit 1
fi
export WALLEX_TEST_API_URL="$api_url"
export WALLEX_TEST_ADMIN_URL="${api_url%/api}/sandbox"
export WALLEX_TEST_PUBLIC_KEY="$pub" WALLEX_TEST_PRIVATE_KEY="$priv"
echo "run-go-wasm-tests: sandbox at $api_url"

status=0

echo "==> the wasm packages stay off net/http"
if GOOS=js GOARCH=wasm go list -deps ./wasm/bridge ./wasm/fetch ./wasm/internal/... | grep -Ex 'net/http|crypto/tls'; then
  echo "run-go-wasm-tests: a wasm package imports net/http (above): reach the network through wasm/fetch" >&2
  status=1
fi

echo "==> go test (GOOS=js GOARCH=wasm, under node)"
go_log="$work/go-test.log"
go_start=$(date +%s%N)
if GOOS=js GOARCH=wasm go test -count=1 -v "$@" ./wasm/... ./internal/idrand/ >"$go_log" 2>&1; then
  grep -E '^(ok|\?) ' "$go_log"
else
  status=1
  cat "$go_log"
fi
printf 'go: %d passed, %d failed, %d skipped in %d ms\n' "$(grep -c -- '--- PASS' "$go_log")" \
  "$(grep -c -- '--- FAIL' "$go_log")" "$(grep -c -- '--- SKIP' "$go_log")" $((($(date +%s%N) - go_start) / 1000000))

echo "==> build the bridge"
export WALLEX_WASM="$work/wallexkit.wasm"
if wasm/bridge/build.sh "$WALLEX_WASM"; then
  echo "==> node --test (bridge)"
  node --test --test-reporter=spec wasm/test/*.test.mjs || status=1
else
  status=1
fi

if [ "$status" -eq 0 ]; then echo "run-go-wasm-tests: PASS"; else echo "run-go-wasm-tests: FAIL" >&2; fi
exit "$status"
