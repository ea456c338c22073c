//go:build js && wasm

// Command bridge is the wallexkit core compiled to WebAssembly for JavaScript hosts: the
// extension's service worker, the local dev page, node. It installs globalThis.wallexkit (see
// wallexkit.d.ts) and then waits for calls. Build:
//
//	wasm/bridge/build.sh dist/wasm/wallexkit.wasm
//
// Every function returns a Promise of a plain, structured-clonable object and rejects with
// {code, message, retryable, ...}. The Go instance may vanish (a service worker is stopped at
// will): the token and the nonce high-water mark live in the StorageAdapter the host passes to
// configure; Go only caches them.
package main

import (
	"syscall"
	"syscall/js"

	"github.com/wallexkit/wallexkit/core"
)

// version is the release (core.Version); a build may override it with -ldflags "-X main.version=…".
var version = core.Version

func main() {
	api := jsObject.New()
	api.Set("version", version)
	install(api)
	// A loader that must not leave a global (the npm package) names its own through the
	// environment it gives the Go instance, takes the object and deletes it.
	name := "wallexkit"
	if v, _ := syscall.Getenv("WALLEXKIT_GLOBAL"); v != "" { // os.Getenv would link package os
		name = v
	}
	js.Global().Set(name, api)
	select {}
}
