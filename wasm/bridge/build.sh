#!/usr/bin/env bash
# Builds the bridge (the core for JavaScript) into OUT: the one recipe for it, which ./build.sh,
# the wasm test harness and the edge suite's bridge test all use, so that what is tested and
# measured is what ships.
# Usage: wasm/bridge/build.sh OUT   (from anywhere; needs only Go)
#        WASM_NAMES=1 wasm/bridge/build.sh OUT   keeps the name section, for wasm/test/wasmsize
#
# -s -w: no symbol table or DWARF (names stay in Go's own function table).
# -gcflags=github.com/wallexkit/...=-l: wallexkit's own packages are built without inlining. It
#   takes 23 KB off the gzip -9 size (1.201 → 1.178 MB on 2026-11-29) for the same raw size
#   (+0.4%), and no difference in a call's time that the node benchmark (wasm/test/bench.mjs) can
#   tell from its noise: the bridge's work is I/O. Go's runtime, gjson and the standard library
#   keep inlining. The edge gateway (CPU per request) is built with inlining.
set -euo pipefail
out=${1:?usage: wasm/bridge/build.sh OUT}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")/../.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
ldflags='-s -w'
if [ "${WASM_NAMES:-}" = 1 ]; then ldflags=''; fi
GOOS=js GOARCH=wasm exec go build -trimpath -gcflags='github.com/wallexkit/...=-l' -ldflags="$ldflags" -o "$out" ./wasm/bridge
