// Package ipnhttp serves Wallex Pay IPNs over net/http, on top of package ipn.
package ipnhttp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/wallexkit/wallexkit/core/ipn"
)

// DefaultMaxBodyBytes is the default limit on an IPN request body.
const DefaultMaxBodyBytes = 64 << 10

// SignatureHeader is the request header carrying the body's HMAC.
const SignatureHeader = "HMAC"

// Option configures Handler.
type Option func(*config)

type config struct {
	maxBody int64
	log     *slog.Logger
}

// WithMaxBodyBytes sets the largest accepted body (default 64 KiB); a larger
// body is answered 413.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithLogger logs rejected notifications and handler failures (never the
// body, the signature or a secret). By default nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = l }
}

// Handler returns an http.Handler for the IPN URL. It accepts POST only
// (405), reads the raw body up to the size limit (413), verifies it with v on
// the raw bytes (401 for a missing or bad signature, 403 for another
// merchant, 400 for a malformed body) and then, through t, calls fn once per
// new notification:
//
//   - duplicates and stale notifications get 200 without calling fn, so
//     Wallex stops retrying them;
//   - fn returning nil gets 200 and the notification is recorded;
//   - fn returning an error (or a tracker store failure) gets 500 and nothing
//     is recorded, so Wallex retries and the retry is accepted.
//
// fn receives the request's context. A nil t calls fn for every verified
// notification (fn must then be idempotent itself); a nil fn only
// acknowledges. Answers are short plain text. Handler panics if v is nil.
func Handler(v *ipn.Verifier, t *ipn.Tracker, fn func(ctx context.Context, n *ipn.Notification) error, opts ...Option) http.Handler {
	if v == nil {
		panic("ipnhttp: Handler needs a non-nil *ipn.Verifier")
	}
	c := config{maxBody: DefaultMaxBodyBytes}
	for _, o := range opts {
		o(&c)
	}
	return &handler{v: v, t: t, fn: fn, cfg: c}
}

type handler struct {
	v   *ipn.Verifier
	t   *ipn.Tracker
	fn  func(context.Context, *ipn.Notification) error
	cfg config
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.logf(r, "ipn rejected", "reason", "body too large", "limit", h.cfg.maxBody)
			reply(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		reply(w, http.StatusBadRequest, "cannot read body")
		return
	}

	n, err := h.v.Verify(body, r.Header.Get(SignatureHeader))
	if err != nil {
		code, msg := classify(err)
		h.logf(r, "ipn rejected", "status", code, "err", err)
		reply(w, code, msg)
		return
	}

	ctx := r.Context()
	if h.t == nil {
		if h.fn != nil {
			if err := h.fn(ctx, n); err != nil {
				h.logf(r, "ipn handler failed", "ipn_id", n.ID, "err", err)
				reply(w, http.StatusInternalServerError, "handler error")
				return
			}
		}
		reply(w, http.StatusOK, "ok")
		return
	}
	d, err := h.t.Handle(ctx, n, h.fn)
	if err != nil {
		h.logf(r, "ipn handler failed", "ipn_id", n.ID, "err", err)
		reply(w, http.StatusInternalServerError, "handler error")
		return
	}
	switch d {
	case ipn.Duplicate:
		reply(w, http.StatusOK, "duplicate")
	case ipn.Stale:
		reply(w, http.StatusOK, "stale")
	default:
		reply(w, http.StatusOK, "ok")
	}
}

// classify maps a Verify error to a status code and a short answer.
func classify(err error) (int, string) {
	switch {
	case errors.Is(err, ipn.ErrMissingSignature):
		return http.StatusUnauthorized, "missing signature"
	case errors.Is(err, ipn.ErrBadSignature):
		return http.StatusUnauthorized, "bad signature"
	case errors.Is(err, ipn.ErrMerchantMismatch):
		return http.StatusForbidden, "merchant mismatch"
	case errors.Is(err, ipn.ErrMalformed):
		return http.StatusBadRequest, "malformed notification"
	}
	return http.StatusInternalServerError, "server error"
}

func (h *handler) logf(r *http.Request, msg string, args ...any) {
	if h.cfg.log != nil {
		h.cfg.log.WarnContext(r.Context(), msg, append(args, "remote", r.RemoteAddr)...)
	}
}

func reply(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}
