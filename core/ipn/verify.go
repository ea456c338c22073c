package ipn

import "github.com/wallexkit/wallexkit/core/ipn/ipnwire"

// Verifier authenticates IPN bodies for one merchant. It holds one or more IPN
// secrets so a secret can be rotated without dropping notifications: during a
// rotation pass both the new and the old secret. A Verifier is immutable and
// safe for concurrent use.
type Verifier struct {
	w *ipnwire.Verifier
}

// NewVerifier returns a Verifier for merchantID that accepts a signature made
// with any of secrets. Empty secrets are ignored; it fails (closed) when
// merchantID is empty or no non-empty secret is given.
func NewVerifier(merchantID string, secrets ...string) (*Verifier, error) {
	w, err := ipnwire.NewVerifier(merchantID, secrets...)
	if err != nil {
		return nil, err
	}
	return &Verifier{w: w}, nil
}

// MerchantID returns the merchant ID the Verifier checks against.
func (v *Verifier) MerchantID() string { return v.wire().MerchantID() }

// Verify authenticates body, the raw request body exactly as received, against
// hmacHeader, the value of the "HMAC" request header (hex, either case,
// surrounding spaces ignored), then parses it and checks ipn_mode=hmac, the
// merchant ID and the mandatory fields.
//
// Errors wrap ErrNoSecret, ErrMissingSignature, ErrBadSignature, ErrMalformed
// or ErrMerchantMismatch. Verify never parses a body whose signature failed.
func (v *Verifier) Verify(body []byte, hmacHeader string) (*Notification, error) {
	w, err := v.wire().Verify(body, hmacHeader)
	return fromWire(w), err
}

func (v *Verifier) wire() *ipnwire.Verifier {
	if v == nil {
		return nil
	}
	return v.w
}
