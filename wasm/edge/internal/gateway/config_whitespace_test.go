package gateway

import (
	"context"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core/ipn"
)

// WALLEX_PRIVATE_KEY is trimmed by LoadConfig, WALLEX_IPN_SECRET is not. A secret stored with a
// trailing newline (e.g. `echo $S | wrangler secret put WALLEX_IPN_SECRET`) makes every genuine IPN
// fail with 401 "does not match ... under any configured secret", and Problems() says nothing.
func TestIPNSecretTrailingNewline(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvIPNSecret: "ipn-secret-1234\n"})
	body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M1", "api", map[string]string{"ipn_id": "rv-1", "txn_id": "T1"})
	res := g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig, "content-type": "application/x-www-form-urlencoded"}, string(body)))
	if res.Status == 200 {
		return
	}
	for _, p := range g.Config().Problems() {
		if strings.Contains(p, EnvIPNSecret) {
			return
		}
	}
	t.Fatalf("genuine IPN refused (%d %s) and Config.Problems() does not name %s (whitespace around the secret)", res.Status, res.Body, EnvIPNSecret)
}
