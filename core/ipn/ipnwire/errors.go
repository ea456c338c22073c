package ipnwire

import "errors"

// Errors returned by this package (and package ipn, whose errors these are). They are usually wrapped with detail; test
// them with errors.Is. No error ever contains an IPN secret or an expected HMAC.
var (
	// ErrNoSecret: the Verifier has no IPN secret, so nothing can be verified
	// (fail closed).
	ErrNoSecret = errors.New("ipn: no IPN secret configured")
	// ErrNoMerchant: the Verifier has no merchant ID to check the "merchant"
	// field against.
	ErrNoMerchant = errors.New("ipn: no merchant ID configured")
	// ErrMissingSignature: the HMAC header is absent or blank.
	ErrMissingSignature = errors.New("ipn: missing HMAC signature")
	// ErrBadSignature: the HMAC header is not 128 hex digits or does not match
	// the body under any configured secret.
	ErrBadSignature = errors.New("ipn: bad HMAC signature")
	// ErrMerchantMismatch: the signed body is for another merchant.
	ErrMerchantMismatch = errors.New("ipn: merchant mismatch")
	// ErrMalformed: the body is not a well-formed IPN (bad form encoding,
	// missing or invalid fields, ipn_mode other than hmac).
	ErrMalformed = errors.New("ipn: malformed notification")
)
