//go:build !js

// Command sandboxserver runs a memory-only sandbox on a free loopback port for the wasm test
// suite, when cmd/wallexkit cannot be built. It prints
//
//	Wallex Pay sandbox listening on http://127.0.0.1:PORT/api
//
// like `wallexkit sandbox`, and serves until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/wallexkit/wallexkit/sandbox"
)

func main() {
	pub := flag.String("demo-public-key", "", "demo public key")
	priv := flag.String("demo-private-key", "", "demo private key")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	srv, err := sandbox.New(sandbox.Config{DemoPublicKey: *pub, DemoPrivateKey: *priv})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "Wallex Pay sandbox listening on http://%s/api\n", ln.Addr())
	log.Fatal(http.Serve(ln, srv.Handler()))
}
