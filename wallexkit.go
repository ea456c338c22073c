// Package wallexkit is the one-line way into the Wallex Pay merchant API from Go:
//
//	c, err := wallexkit.New(publicKey, privateKey)
//	bal, err := c.Balances(ctx, nil)
//
// New wires what a native program needs (the net/http transport, nonces, operation records)
// into a core.Client; everything else — commands, exact amounts, typed errors, Reconcile — is in
// package core (github.com/wallexkit/wallexkit/core), IPN verification in core/ipn, mass payouts
// in core/payout. The command-line tool is cmd/wallexkit.
package wallexkit

import (
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
)

// Version is this release.
const Version = core.Version

// New returns a client for the key pair, talking to https://wallexpay.io/api over net/http, with
// nonces on (spec §4: one nonce-bearing call in flight, and Reconcile can prove a lost money
// request will not land) and tokens, nonces and operation records kept in memory. Options come
// after these defaults and override them, e.g.:
//
//	core.WithAPIURL("http://127.0.0.1:8787/api")  // the local sandbox (wallexkit sandbox)
//	core.WithNonces(filestore.New(...))             // share nonces with other processes
//	core.WithoutNonces()                            // a key that must not use nonces
func New(publicKey, privateKey string, opts ...core.Option) (*core.Client, error) {
	store := core.NewMemoryStore()
	base := []core.Option{
		core.WithKeys(publicKey, privateKey),
		core.WithTransport(nethttp.New(nil)),
		core.WithTokenStore(store),
		core.WithNonces(store),
		core.WithOpStore(store),
	}
	return core.New(append(base, opts...)...)
}
