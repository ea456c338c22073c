//go:build tools

// The edge build runs syumai/workers' workers-assets-gen (build.sh), which writes the wasm_exec.js
// the glue loads; no Go file of the gateway imports syumai/workers any more, so this keeps the
// module required for `go run` (and through `go mod tidy`).
package main

import _ "github.com/syumai/workers/cmd/workers-assets-gen"
