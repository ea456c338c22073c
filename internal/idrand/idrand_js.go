//go:build js && wasm

package idrand

// Read fills b from the host's crypto.getRandomValues, through the import Go's runtime and
// crypto/rand use for it (wasm_exec.js: runtime.getRandomData), with neither crypto/rand's FIPS
// module (about 8 KB gzip) nor syscall/js. At most 64 KiB a call, as getRandomValues takes.
func Read(b []byte) {
	for len(b) > 0 {
		n := min(len(b), 64<<10)
		getRandomData(b[:n])
		b = b[n:]
	}
}

//go:wasmimport gojs runtime.getRandomData
//go:noescape
func getRandomData(b []byte)
