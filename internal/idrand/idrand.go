// Package idrand fills bytes for identifiers that must be unique, not secret (operation IDs,
// checkout invoices, claim tokens, nonce call IDs, test IPN IDs), from the host's secure
// generator at the moment they are made: crypto/rand natively, crypto.getRandomValues in the
// WebAssembly builds.
//
// Not from the Go runtime's own generator (math/rand/v2), which is seeded once, when the runtime
// starts: the edge gateway starts its Go runtime when the Worker's module loads, where Workers
// refuse crypto.getRandomValues, so that seed comes from Math.random (see
// wasm/edge/glue/worker.mjs). Two isolates must never make the same ID, whatever their seeds.
package idrand
