package gateway

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// Forwarded events (POST FORWARD_URL) carry
//
//	X-Wallexkit-Timestamp: <unix seconds>
//	X-Wallexkit-Signature: sha256=<hex HMAC-SHA256(FORWARD_SECRET, timestamp + "." + body)>
//
// The timestamp is signed with the body, so a recorded forward cannot be replayed later with a
// fresh timestamp. The ledger Durable Object signs at each delivery attempt (glue/worker.mjs);
// this file is the rule's reference: the edge tests check the Worker's real forwards with
// VerifyForward.

// ForwardMaxAge is how old (or how far ahead of the receiver's clock) a forward's timestamp may
// be.
const ForwardMaxAge = 5 * time.Minute

// Errors of VerifyForward.
var (
	ErrForwardSignature = errors.New("forward: the signature does not match the timestamp and body")
	ErrForwardTimestamp = errors.New("forward: the timestamp is missing, malformed, or more than 5 minutes from now")
)

// SignForward returns the X-Wallexkit-Signature value for body sent at timestamp (unix seconds).
func SignForward(secret string, timestamp int64, body []byte) string {
	m := sha2.NewHMAC256([]byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hexstr.Encode(m.Sum(nil))
}

// VerifyForward checks a forwarded event as its receiver should: on the raw body, with the
// X-Wallexkit-Timestamp and X-Wallexkit-Signature header values, in constant time, refusing a
// timestamp more than ForwardMaxAge from now. It returns nil, ErrForwardSignature or
// ErrForwardTimestamp. Dedupe by ipn_id as well: a retry after a lost answer sends the same body.
func VerifyForward(secret, timestamp string, body []byte, signature string, now time.Time) error {
	if secret == "" {
		return ErrForwardSignature // fail closed
	}
	timestamp = strings.TrimSpace(timestamp)
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts <= 0 || strings.TrimLeft(timestamp, "0123456789") != "" {
		return ErrForwardTimestamp
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	got, valid := decodeHex(hexSig)
	if !ok || !valid || len(got) != sha2.Size256 {
		return ErrForwardSignature
	}
	m := sha2.NewHMAC256([]byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	if !sha2.Equal(got, m.Sum(nil)) {
		return ErrForwardSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > ForwardMaxAge || d < -ForwardMaxAge {
		return ErrForwardTimestamp
	}
	return nil
}
