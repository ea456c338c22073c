// Package ipn verifies, parses and orders Wallex Pay Instant Payment
// Notifications (IPNs).
//
// Wallex POSTs a form-encoded body to the merchant's IPN URL and signs it with
// an HMAC-SHA512 of the raw request body, keyed with the account's IPN secret,
// sent as lowercase hex in the "HMAC" header (spec §8). Notifications may be
// late, repeated or out of order, so a handler must be idempotent:
//
//   - [Verifier] checks the signature on the raw bytes (never on re-encoded
//     fields), then the merchant ID and the mandatory fields, and returns a
//     [Notification] with typed views for api, deposit and withdrawal IPNs.
//   - [Tracker] drops notifications it has already handled (by ipn_id) and
//     notifications that would move a payment backwards, recording a
//     notification only after the caller's handler succeeded, and marks the one
//     that makes its payment paid (Notification.FirstPaid: fulfil on it, never on
//     Paid, which a payment's later "complete" after "queued for payout" has too).
//   - [Sign] and [SignedTestIPN] build signed bodies for the caller's own tests.
//
// The net/http adapter lives in the ipnhttp subpackage; this package is pure Go
// (no net/http, no syscall/js) so it also runs in WebAssembly.
//
// Money is never a float: decimal amounts are kept as their exact text
// ([Amount]) and base-unit amounts as int64.
package ipn
