package ipn

import (
	"crypto/hmac"
	"crypto/sha512"
	"github.com/wallexkit/wallexkit/core/internal/errtext"
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
		return nil, errtext.Wrap(ErrNoMerchant, ErrNoMerchant.Error()+": pass your Wallex merchant ID (get_basic_info's merchant_id) to NewVerifier")
	}
	v := &Verifier{merchantID: merchantID}
	for _, s := range secrets {
		if s != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	if len(v.secrets) == 0 {
		return nil, errtext.Wrap(ErrNoSecret, ErrNoSecret.Error()+": set the IPN secret in the Wallex account settings and pass it to NewVerifier (no IPN can be trusted without it)")
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
		return nil, errtext.Wrap(ErrNoSecret, ErrNoSecret.Error()+": build the Verifier with NewVerifier and a non-empty IPN secret")
	}
	if err := v.checkSignature(body, hmacHeader); err != nil {
		return nil, err
	}
	n, err := Parse(body)
	if err != nil {
		return nil, err
	}
	if n.Mode != "hmac" {
		return nil, errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": ipn_mode is "+errtext.Q(clip(n.Mode))+", want \"hmac\"")
	}
	if n.Merchant != v.merchantID {
		return nil, errtext.Wrap(ErrMerchantMismatch, ErrMerchantMismatch.Error()+": notification is for merchant "+errtext.Q(clip(n.Merchant)))
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
		return errtext.Wrap(ErrBadSignature, ErrBadSignature.Error()+": "+errtext.D(len(h))+" hex digits, want "+errtext.D(signatureHexLen)+" (hex HMAC-SHA512)")
	}
	got, ok := decodeHex(h) // accepts upper and lower case
	if !ok {
		return errtext.Wrap(ErrBadSignature, ErrBadSignature.Error()+": not hexadecimal")
	}
	match := 0
	for _, s := range v.secrets {
		if hmac.Equal(got, mac(s, body)) {
			match |= 1
		}
	}
	if match == 0 {
		return errtext.Wrap(ErrBadSignature, ErrBadSignature.Error()+": does not match the body under any configured secret")
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

// decodeHex is hex.DecodeString for an even-length string (checkSignature checks the length
// first), without encoding/hex's error type, whose message needs fmt.
func decodeHex(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out[i] = hi<<4 | lo
	}
	return out, true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
