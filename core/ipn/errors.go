package ipn

import "github.com/wallexkit/wallexkit/core/ipn/ipnwire"

// Errors returned by this package. They are usually wrapped with detail; test
// them with errors.Is. No error ever contains an IPN secret or an expected HMAC.
// (They are ipnwire's, which verifies and parses for this package.)
var (
	// ErrNoSecret: the Verifier has no IPN secret, so nothing can be verified
	// (fail closed).
	ErrNoSecret = ipnwire.ErrNoSecret
	// ErrNoMerchant: the Verifier has no merchant ID to check the "merchant"
	// field against.
	ErrNoMerchant = ipnwire.ErrNoMerchant
	// ErrMissingSignature: the HMAC header is absent or blank.
	ErrMissingSignature = ipnwire.ErrMissingSignature
	// ErrBadSignature: the HMAC header is not 128 hex digits or does not match
	// the body under any configured secret.
	ErrBadSignature = ipnwire.ErrBadSignature
	// ErrMerchantMismatch: the signed body is for another merchant.
	ErrMerchantMismatch = ipnwire.ErrMerchantMismatch
	// ErrMalformed: the body is not a well-formed IPN (bad form encoding,
	// missing or invalid fields, ipn_mode other than hmac).
	ErrMalformed = ipnwire.ErrMalformed
)
