package ipn

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
)

// signatureHexLen is the length of a hex-encoded HMAC-SHA512.
const signatureHexLen = 2 * sha512.Size

// Verifier authenticates IPN bodies for one merchant. It holds one or more IPN
// secrets so a secret can be rotated without dropping notifications: during a
// rotation pass both the new and the old secret. A Verifier is immutable and
// safe for concurrent use.
type Verifier struct {
	merchantID string
	secrets    [][]byte
}

// NewVerifier returns a Verifier for merchantID that accepts a signature made
// with any of secrets. Empty secrets are ignored; it fails (closed) when
// merchantID is empty or no non-empty secret is given.
func NewVerifier(merchantID string, secrets ...string) (*Verifier, error) {
	if strings.TrimSpace(merchantID) == "" {
		return nil, fmt.Errorf("%w: pass your Wallex merchant ID (get_basic_info's merchant_id) to NewVerifier", ErrNoMerchant)
	}
	v := &Verifier{merchantID: merchantID}
	for _, s := range secrets {
		if s != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	if len(v.secrets) == 0 {
		return nil, fmt.Errorf("%w: set the IPN secret in the Wallex account settings and pass it to NewVerifier (no IPN can be trusted without it)", ErrNoSecret)
	}
	return v, nil
}

// MerchantID returns the merchant ID the Verifier checks against.
func (v *Verifier) MerchantID() string {
	if v == nil {
		return ""
	}
	return v.merchantID
}

// Verify authenticates body, the raw request body exactly as received, against
// hmacHeader, the value of the "HMAC" request header (hex, either case,
// surrounding spaces ignored), then parses it and checks ipn_mode=hmac, the
// merchant ID and the mandatory fields.
//
// Errors wrap ErrNoSecret, ErrMissingSignature, ErrBadSignature, ErrMalformed
// or ErrMerchantMismatch. Verify never parses a body whose signature failed.
func (v *Verifier) Verify(body []byte, hmacHeader string) (*Notification, error) {
	if v == nil || len(v.secrets) == 0 {
		return nil, fmt.Errorf("%w: build the Verifier with NewVerifier and a non-empty IPN secret", ErrNoSecret)
	}
	if err := v.checkSignature(body, hmacHeader); err != nil {
		return nil, err
	}
	n, err := Parse(body)
	if err != nil {
		return nil, err
	}
	if n.Mode != "hmac" {
		return nil, fmt.Errorf("%w: ipn_mode is %q, want \"hmac\"", ErrMalformed, clip(n.Mode))
	}
	if n.Merchant != v.merchantID {
		return nil, fmt.Errorf("%w: notification is for merchant %q", ErrMerchantMismatch, clip(n.Merchant))
	}
	return n, nil
}

// checkSignature compares the header with the HMAC of body under every secret,
// in constant time and without stopping at the first match, so timing reveals
// neither the expected value nor which secret matched.
func (v *Verifier) checkSignature(body []byte, hmacHeader string) error {
	h := strings.TrimSpace(hmacHeader)
	if h == "" {
		return ErrMissingSignature
	}
	if len(h) != signatureHexLen {
		return fmt.Errorf("%w: %d hex digits, want %d (hex HMAC-SHA512)", ErrBadSignature, len(h), signatureHexLen)
	}
	got, err := hex.DecodeString(h) // accepts upper and lower case
	if err != nil {
		return fmt.Errorf("%w: not hexadecimal", ErrBadSignature)
	}
	match := 0
	for _, s := range v.secrets {
		if hmac.Equal(got, mac(s, body)) {
			match |= 1
		}
	}
	if match == 0 {
		return fmt.Errorf("%w: does not match the body under any configured secret", ErrBadSignature)
	}
	return nil
}

func mac(secret, body []byte) []byte {
	m := hmac.New(sha512.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
