package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/internal/errtext"
)

//go:generate go run ./internal/gencodes

// ErrorCode is the stable, machine-readable name of a failure. It is the one source of the codes:
// the JS copies (web/lib/codes.gen.js, wasm/bridge/codes.gen.d.ts) are generated from ErrorCodes
// with `go generate ./core`, and a test fails when they are stale.
type ErrorCode string

// Error codes.
const (
	CodeInvalidInput     ErrorCode = "invalid_input"      // bad input caught before anything was sent
	CodeAPIError         ErrorCode = "api_error"          // the API answered with an error message
	CodeAuth             ErrorCode = "auth"               // the key pair or the token was refused
	CodePermission       ErrorCode = "permission"         // the API key may not run this command
	CodeNonce            ErrorCode = "nonce"              // the nonce was refused, or this key needs nonces and none was sent
	CodeRateLimited      ErrorCode = "rate_limited"       // HTTP 429: the key is throttled
	CodeTransport        ErrorCode = "transport"          // the API could not be reached, or its answer not understood
	CodeOutcomeUnknown   ErrorCode = "outcome_unknown"    // a money request may have been carried out: reconcile, never resend
	CodePendingOperation ErrorCode = "pending_operation"  // not sent: an identical operation is unsettled, or this one is done
	CodeDuplicate        ErrorCode = "possible_duplicate" // not sent: the same payment was carried out a moment ago
	CodeTimeout          ErrorCode = "timeout"            // a deadline passed while waiting
	CodeCanceled         ErrorCode = "canceled"           // the caller stopped waiting
	CodeInternal         ErrorCode = "internal"           // anything else
)

// String returns the code's text.
func (c ErrorCode) String() string { return string(c) }

// ErrorCodeInfo documents one code.
type ErrorCodeInfo struct {
	Code ErrorCode
	Doc  string
}

// ErrorCodes lists every code in order, with what it means to a caller.
func ErrorCodes() []ErrorCodeInfo {
	return []ErrorCodeInfo{
		{CodeInvalidInput, "bad input caught before anything was sent; see `field`"},
		{CodeAPIError, "the API answered with an error message"},
		{CodeAuth, "key pair or token refused (after one fresh login)"},
		{CodePermission, "the API key may not run this command (enable it under Edit Permissions)"},
		{CodeNonce, "a read's nonce refused even after one retry, or this key needs nonces and none was sent (turn nonces on)"},
		{CodeRateLimited, "HTTP 429: the key is throttled, wait before trying again"},
		{CodeTransport, "the API could not be reached or its answer was not understood (HTML page, timeout, reset)"},
		{CodeOutcomeUnknown, "a money command (or create_transaction) may have been carried out: do NOT resend, reconcile"},
		{CodePendingOperation, "not sent: an identical operation is unsettled (or this opId was used already): reconcile it first"},
		{CodeDuplicate, "not sent: the same payment was carried out a moment ago (WithDuplicateCheck); send it again only on purpose"},
		{CodeTimeout, "a deadline passed while waiting (not while talking to the API)"},
		{CodeCanceled, "the caller stopped waiting"},
		{CodeInternal, "anything else, e.g. a storage adapter that failed"},
	}
}

// Error is implemented by every error this package returns about a call. Code is its stable
// machine-readable name; Retryable says whether sending the same request again is safe.
type Error interface {
	error
	Code() ErrorCode
	Retryable() bool
}

// ValidationError reports bad input caught before any byte left the machine.
type ValidationError struct {
	Field   string // the field or option at fault
	Value   string // the offending value (never a secret)
	Problem string // what is wrong and how to fix it
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "invalid input: " + e.Problem
	}
	return "invalid " + e.Field + ": " + e.Problem
}
func (e *ValidationError) Code() ErrorCode { return CodeInvalidInput }
func (e *ValidationError) Retryable() bool { return false }

// APIError is an answer whose `error` field is not "ok" and that fits no narrower type.
type APIError struct {
	Cmd        string
	Message    string // the server's message, with any known secret redacted
	HTTPStatus int
	ServerCode string // a machine-readable "code" member, when the answer has one (the edge gateway's do)
}

func (e *APIError) Error() string {
	return e.Message + " (" + e.Cmd + ")"
}
func (e *APIError) Code() ErrorCode { return CodeAPIError }
func (e *APIError) Retryable() bool { return false }

// AuthError means the key pair or the token was refused (login failure, or HTTP 401 even after
// one fresh login).
type AuthError struct {
	Cmd        string
	Message    string
	HTTPStatus int
	Hint       string // what to check; "" = the key pair
}

func (e *AuthError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "check the public and private key, and that the key is enabled"
	}
	return "authentication failed: " + e.Message + "; " + hint + " (" + e.Cmd + ")"
}
func (e *AuthError) Code() ErrorCode { return CodeAuth }
func (e *AuthError) Retryable() bool { return false }

// PermissionError means the API key is not allowed to run the command.
type PermissionError struct {
	Cmd     string
	Message string
}

func (e *PermissionError) Error() string {
	return e.Message + ": enable " + e.Cmd + " for this key under Edit Permissions in your Wallex Pay account"
}
func (e *PermissionError) Code() ErrorCode { return CodePermission }
func (e *PermissionError) Retryable() bool { return false }

// NonceError means the server refused the nonce, so that request was not carried out. For reads
// the client already resent once with a new nonce. A money command never gets a NonceError: the
// refused request may have been a replayed copy of one that was carried out, so it is reported as
// an OutcomeUnknownError wrapping the NonceError instead.
type NonceError struct {
	Cmd     string
	Message string
	// Required is true when the server wants a nonce and this client sends none: the key has
	// been used with nonces (by another tool, or another copy of this one), and from then on
	// every call must carry one. Turn nonces on (WithNonces) in this client.
	Required       bool
	causeOfUnknown bool // read through an OutcomeUnknownError (its As): not retryable
}

func (e *NonceError) Error() string {
	if e.Required {
		return e.Message + ": this API key has been used with nonces, so every call must send one: turn nonces on in this tool (" + e.Cmd + ")"
	}
	return e.Message + ": another program may be using this API key with nonces (" + e.Cmd + ")"
}
func (e *NonceError) Code() ErrorCode { return CodeNonce }

// Retryable is false for a missing nonce (it stays missing until nonces are turned on) and for
// the cause of an OutcomeUnknownError (a money request's copy refused: the original may have
// been carried out).
func (e *NonceError) Retryable() bool { return !e.Required && !e.causeOfUnknown }

// RateLimitError means the key is throttled (HTTP 429). Wait before trying again.
type RateLimitError struct {
	Cmd        string
	Message    string
	HTTPStatus int
	RetryAfter time.Duration // zero when the server gave no hint
}

func (e *RateLimitError) Error() string {
	s := "rate limited: " + e.Message
	if e.RetryAfter > 0 {
		s += "; retry after " + e.RetryAfter.String()
	}
	return s + " (" + e.Cmd + ")"
}
func (e *RateLimitError) Code() ErrorCode { return CodeRateLimited }
func (e *RateLimitError) Retryable() bool { return true }

// TransportError means the API could not be reached or its answer could not be understood
// (connection failure, timeout, HTML error page, truncated body). For commands that do not move
// money it is safe to retry; money commands get an OutcomeUnknownError instead whenever the
// request may have reached the server, and the TransportError it wraps (errors.As finds it)
// then says Retryable false.
type TransportError struct {
	Cmd        string
	HTTPStatus int    // 0 when no answer arrived
	Excerpt    string // a short, redacted excerpt of a body that was not the expected JSON
	Err        error

	causeOfUnknown bool // read through an OutcomeUnknownError (its As): not retryable
}

func (e *TransportError) Error() string {
	var b strings.Builder
	switch {
	case e.HTTPStatus != 0 && e.Excerpt != "":
		b.WriteString("unexpected answer from the API (HTTP " + errtext.D(e.HTTPStatus) + "): " + errtext.Of(e.Err) + "; body starts " + errtext.Q(e.Excerpt))
	case e.HTTPStatus != 0:
		b.WriteString("unexpected answer from the API (HTTP " + errtext.D(e.HTTPStatus) + "): " + errtext.Of(e.Err))
	default:
		b.WriteString("could not reach the API: " + plainNetError(e.Err))
	}
	b.WriteString(" (" + e.Cmd + ")")
	return b.String()
}
func (e *TransportError) Unwrap() error   { return e.Err }
func (e *TransportError) Code() ErrorCode { return CodeTransport }
func (e *TransportError) Retryable() bool { return !e.causeOfUnknown }

// OutcomeUnknownError is returned when a command that is not safe to repeat (money commands,
// create_transaction) may have reached the server but no usable answer came back. Do NOT send it
// again: look the operation up first (see Reconcile). Ref holds the fields that identify it.
type OutcomeUnknownError struct {
	Cmd        string
	Ref        map[string]string // identifying fields: amount, currency, address, merchant, note, invoice, custom...
	HTTPStatus int
	Err        error
	// What Reconcile needs to prove, later, that the request can no longer land:
	OpID     string    // the operation's id (WithOperationID, or one the client made)
	Nonce    int64     // the nonce the request carried; 0 without nonces
	SentAt   time.Time // when the request was handed to the transport
	Deadline time.Time // when the client stopped waiting for it (its context's deadline)
	// StoreKey is the sending client's (Client.StoreKey: API URL and public key): a nonce fence of
	// another key says nothing of this request.
	StoreKey string
}

func (e *OutcomeUnknownError) Error() string {
	s := "outcome unknown: the " + cmdNoun(e.Cmd) + " may have been carried out"
	if e.Err != nil {
		s += " (" + strings.TrimSuffix(e.Err.Error(), " ("+e.Cmd+")") + ")"
	}
	s += "; do not send it again: reconcile it first (" + e.Cmd
	if e.HTTPStatus != 0 {
		s += ", HTTP " + errtext.D(e.HTTPStatus)
	}
	return s + ")"
}

// cmdNoun names what a command makes, in a merchant's words.
func cmdNoun(cmd string) string {
	switch cmd {
	case "create_withdrawal":
		return "withdrawal"
	case "create_mass_withdrawal":
		return "mass payout"
	case "create_transfer":
		return "transfer"
	case "convert":
		return "conversion"
	case "create_transaction":
		return "payment request"
	}
	return "request"
}

// plainNetError says what a network failure means, without the transport's noise (URLs, the
// dialer's words); the error itself keeps every detail for errors.Is/As.
func plainNetError(err error) string {
	if err == nil {
		return "no answer"
	}
	msg := err.Error()
	addr := ""
	if i := strings.Index(msg, "dial tcp "); i >= 0 {
		rest := msg[i+len("dial tcp "):]
		if j := strings.Index(rest, ": "); j > 0 {
			addr = rest[:j]
		}
	}
	if !strings.HasPrefix(msg, "Post \"") && !strings.Contains(msg, " tcp ") {
		return msg // not net/http's words: a transport's own message, or a caller's hint
	}
	switch {
	case strings.Contains(msg, "connection refused"):
		if addr != "" {
			return "nothing answers at " + addr + " (connection refused): is the API URL right, and is the server running?"
		}
		return "connection refused: is the API URL right, and is the server running?"
	case strings.Contains(msg, "no such host"):
		// "dial tcp: lookup HOST on RESOLVER: no such host": name the host, which may be the
		// default's when no API URL was set.
		if _, rest, ok := strings.Cut(msg, "lookup "); ok {
			if host, _, ok := strings.Cut(rest, " "); ok && host != "" {
				return "the API host name " + strings.TrimSuffix(host, ":") + " does not resolve: check the API URL"
			}
		}
		return "the API host name does not resolve: check the API URL"
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "EOF"):
		return "the connection was closed before an answer came"
	case strings.Contains(msg, "deadline exceeded"), strings.Contains(msg, "timeout"):
		return "no answer in time"
	case strings.Contains(msg, "certificate"), strings.Contains(msg, "tls:"):
		return "the secure connection failed (" + msg + ")"
	}
	return msg
}
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// As gives errors.As, asked for the cause's *TransportError or *NonceError, a copy of it that
// says Retryable false: a request that may have been carried out is never safe to send again,
// whichever error of the chain a retry loop reads. A copy, not the cause itself marked: a cause
// may be shared (a failed login's error, which every call waiting on that login gets).
func (e *OutcomeUnknownError) As(target any) bool {
	switch t := target.(type) {
	case **TransportError:
		var te *TransportError
		if errors.As(e.Err, &te) {
			c := *te
			c.causeOfUnknown = true
			*t = &c
			return true
		}
	case **NonceError:
		var ne *NonceError
		if errors.As(e.Err, &ne) {
			c := *ne
			c.causeOfUnknown = true
			*t = &c
			return true
		}
	}
	return false
}
func (e *OutcomeUnknownError) Code() ErrorCode { return CodeOutcomeUnknown }
func (e *OutcomeUnknownError) Retryable() bool { return false }

// PendingOpError refuses a money command because an identical one (same command, same
// identifying fields; for a withdrawal or a transfer, whatever its note) sent earlier has an unknown outcome and has not been reconciled: sending it
// again could pay twice. Nothing was sent. Reconcile the earlier one (Client.ReconcileOp) first.
type PendingOpError struct {
	Op Op
	// StoreKey, when not empty, is the store key (Client.StoreKey: API URL and public key) the
	// earlier one was sent with, another than this client's: reconcile it with that key and URL.
	StoreKey string
}

func (e *PendingOpError) Error() string {
	at := e.Op.SentAt.UTC().Format(time.RFC3339)
	switch e.Op.State {
	case OpDone:
		return "wallex " + e.Op.Cmd + ": not sent: operation " + e.Op.ID + " was already carried out at " + at + " (" + orNone(e.Op.Result) + ")"
	case OpRefused, OpNotFound:
		return "wallex " + e.Op.Cmd + ": not sent: operation " + e.Op.ID + " was settled at " + at + "; send it as a new operation"
	case OpForgotten:
		return "wallex " + e.Op.Cmd + ": not sent: operation " + e.Op.ID + " was used before (sent at " + at + ") and its record has been forgotten; " +
			"find out what became of it by its fields, and send anything new as a new operation"
	}
	like := "an identical request"
	if e.Op.Cmd == "create_withdrawal" || e.Op.Cmd == "create_transfer" {
		like = "a request for the same amount of the same coin to the same destination" // whatever its note
	}
	msg := "wallex " + e.Op.Cmd + ": not sent: " + like + " sent at " + at + " (operation " + e.Op.ID + ") has an unknown outcome and may have been carried out; reconcile it first"
	if e.StoreKey != "" {
		// this client's ReconcileOp does not see another key's records: it would say "no record"
		msg += ", with a client of the API key and URL it was sent with (store key " + e.StoreKey + ")"
	}
	return msg
}
func (e *PendingOpError) Code() ErrorCode { return CodePendingOperation }
func (e *PendingOpError) Retryable() bool { return false }

// DuplicateError refuses a withdrawal or a transfer because one for the same amount of the same
// coin to the same destination was carried out Ago ago (WithDuplicateCheck): its answer may have
// been lost to the person who asks again. Nothing was sent. Op is the earlier one (Op.Result is
// the withdrawal or transfer it made). To pay again on purpose, send with AllowDuplicate.
type DuplicateError struct {
	Op  Op
	Ago time.Duration
}

// What names the earlier payment's kind: "withdrawal" or "transfer".
func (e *DuplicateError) What() string {
	if e.Op.Cmd == "create_transfer" {
		return "transfer"
	}
	return "withdrawal"
}

func (e *DuplicateError) Error() string {
	what := e.What()
	return "wallex " + e.Op.Cmd + ": not sent: the same " + what + " (amount, coin and destination) was carried out at " +
		e.Op.Settled.UTC().Format(time.RFC3339) + " (operation " + e.Op.ID + ", " + what + " " + orNone(e.Op.Result) +
		"); check it, and send this one only if you mean to pay again"
}
func (e *DuplicateError) Code() ErrorCode { return CodeDuplicate }
func (e *DuplicateError) Retryable() bool { return false }

// CodeOf returns the Code of err if it is (or wraps) an Error, CodeCanceled or CodeTimeout for
// context errors, and CodeInternal otherwise ("" for nil).
func CodeOf(err error) ErrorCode {
	var e Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code()
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeInternal
}

// IsRetryable reports whether err says the same request may safely be sent again.
func IsRetryable(err error) bool {
	var e Error
	return errors.As(err, &e) && e.Retryable()
}

type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// NotSent marks a transport error as certain that no byte of the request reached the server
// (for example a refused connection or a failed DNS lookup). Transports use it so that even
// money commands can be retried safely.
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return &notSentError{err: err}
}

// IsNotSent reports whether err was marked with NotSent.
func IsNotSent(err error) bool {
	var ns *notSentError
	return errors.As(err, &ns)
}
