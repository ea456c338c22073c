//go:build !js || !wasm

// Command edge is the wallexkit edge gateway, a Cloudflare Worker. It only runs as WebAssembly:
// build it with wasm/edge/build.sh (GOOS=js GOARCH=wasm).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "wasm/edge is a Cloudflare Worker: build it with wasm/edge/build.sh (GOOS=js GOARCH=wasm) and run it with wrangler")
	os.Exit(2)
}
