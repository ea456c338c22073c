// Command verifyforward checks one forwarded event with gateway.VerifyForward, as a merchant's
// receiver would: the edge tests (test/lib.mjs) run it on the Worker's real forwards, so the
// signature the Durable Object makes in JS is checked by the Go rule.
//
//	FORWARD_SECRET=... verifyforward [-now UNIX] TIMESTAMP SIGNATURE < body
//
// Exit status 0: valid; 1: rejected (the reason on stderr); 2: bad usage.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wallexkit/wallexkit/wasm/edge/internal/gateway"
)

func main() {
	now := flag.Int64("now", 0, "the receiver's clock, unix seconds (default: now)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: FORWARD_SECRET=... verifyforward [-now UNIX] TIMESTAMP SIGNATURE < body")
		os.Exit(2)
	}
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	at := time.Now()
	if *now > 0 {
		at = time.Unix(*now, 0)
	}
	if err := gateway.VerifyForward(os.Getenv("FORWARD_SECRET"), flag.Arg(0), body, flag.Arg(1), at); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
