package ipn

import (
	"net/url"

	"github.com/wallexkit/wallexkit/core/ipn/ipnwire"
	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/idrand"
)

// Sign returns the lowercase hex HMAC-SHA512 of body keyed with secret: the
// value Wallex sends in the "HMAC" header. It is meant for tests and tools.
func Sign(secret string, body []byte) string { return ipnwire.Sign(secret, body) }

// NewTestBody form-encodes fields (sorted by key) into an IPN body. It adds
// nothing; see SignedTestIPN for a complete notification.
func NewTestBody(fields url.Values) []byte {
	return []byte(fields.Encode())
}

// SignedTestIPN builds a signed IPN body for tests of the caller's own IPN
// handler. It fills ipn_version=1.0, ipn_mode=hmac, a random unique ipn_id,
// ipn_type=typ, merchant and status=0, then applies fields, which may
// override any of them (set "ipn_id" to test replays). It returns the body and
// the value for the "HMAC" header.
func SignedTestIPN(secret, merchant, typ string, fields map[string]string) (body []byte, hmac string) {
	v := url.Values{}
	v.Set("ipn_version", "1.0")
	v.Set("ipn_id", newTestID())
	v.Set("ipn_mode", "hmac")
	v.Set("ipn_type", typ)
	v.Set("merchant", merchant)
	v.Set("status", "0")
	for k, s := range fields {
		v.Set(k, s)
	}
	body = NewTestBody(v)
	return body, Sign(secret, body)
}

func newTestID() string {
	var b [16]byte
	idrand.Read(b[:])
	return hexstr.Encode(b[:])
}
