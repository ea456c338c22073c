//go:build !js

// Command sandboxserver runs a memory-only sandbox for the extension's browser tests when
// cmd/wallexkit cannot be built. Same flags as `wallexkit sandbox`; serves until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wallexkit/wallexkit/sandbox"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	pub := flag.String("demo-public-key", "", "demo public key")
	priv := flag.String("demo-private-key", "", "demo private key")
	ttl := flag.Duration("token-ttl", time.Hour, "token lifetime")
	flag.Parse()
	srv, err := sandbox.New(sandbox.Config{DemoPublicKey: *pub, DemoPrivateKey: *priv, TokenTTL: *ttl})
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
