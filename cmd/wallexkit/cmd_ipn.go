package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/core/ipn/ipnhttp"
)

// IPN tools (spec §8): verify one body, or listen for them.

const ipnSecretHelp = "The IPN secret comes from WALLEX_IPN_SECRET (preferred) or --secret; other local users can\n" +
	"see command lines. The merchant ID comes from --merchant or WALLEX_MERCHANT_ID."

// ipnVerifier builds the verifier from the flags and the environment.
func (a *app) ipnVerifier(secretFlag, merchantFlag string) (*ipn.Verifier, error) {
	secret := a.getenv("WALLEX_IPN_SECRET")
	if secretFlag != "" {
		a.warnf("--secret is visible to other local users in the process list; prefer WALLEX_IPN_SECRET")
		secret = secretFlag
	}
	// A secret saved with a stray newline would make every genuine IPN fail verification.
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, usagef("missing IPN secret: set WALLEX_IPN_SECRET (or pass --secret)")
	}
	a.secrets = append(a.secrets, secret)
	merchant := merchantFlag
	if merchant == "" {
		merchant = a.getenv("WALLEX_MERCHANT_ID")
	}
	if merchant == "" {
		return nil, usagef("missing merchant ID: pass --merchant ID or set WALLEX_MERCHANT_ID ('wallexkit info' shows it)")
	}
	v, err := ipn.NewVerifier(merchant, secret)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return v, nil
}

// ipnView is a verified notification as printed with -o json.
type ipnView struct {
	Valid      bool               `json:"valid"`
	Type       string             `json:"ipn_type"`
	ID         string             `json:"ipn_id"`
	Merchant   string             `json:"merchant"`
	Key        string             `json:"key,omitempty"`
	Status     core.PaymentStatus `json:"status"`
	StatusText string             `json:"status_text"`
	State      string             `json:"state"` // paid, failed or pending
	// FirstPaid (ipn listen): the first paid notification of its payment this listener has seen
	// (2, queued for payout, then 100, complete, are both paid); remembered only while it runs.
	FirstPaid bool              `json:"first_paid,omitempty"`
	Fields    map[string]string `json:"fields"`
}

func newIPNView(n *ipn.Notification) ipnView {
	v := ipnView{Valid: true, Type: n.Type, ID: n.ID, Merchant: n.Merchant, Key: n.Key(), Status: n.Status,
		StatusText: n.StatusText, State: "pending", FirstPaid: n.FirstPaid, Fields: map[string]string{}}
	switch {
	case n.Paid():
		v.State = "paid"
	case n.Failed():
		v.State = "failed"
	}
	for k, vs := range n.Fields {
		if len(vs) > 0 {
			v.Fields[k] = vs[0]
		}
	}
	return v
}

// ipnKeyFields are the fields worth showing per type, in order.
func ipnKeyFields(n *ipn.Notification) [][2]string {
	var out [][2]string
	add := func(label, val string) {
		if val != "" {
			out = append(out, [2]string{label, val})
		}
	}
	switch {
	case n.API != nil:
		p := n.API
		add("Transaction", p.TxnID)
		add("Price", joinAmount(p.Amount1.String(), p.Currency1))
		add("Buyer pays", ipnCoin(p.Amount2.String(), p.Currency2))
		add("Received", ipnCoin(p.ReceivedAmount.String(), p.Currency2))
		add("Invoice", p.Invoice)
		add("Custom", p.Custom)
		add("Item", p.ItemName)
		add("Buyer email", p.Email)
	case n.Deposit != nil:
		d := n.Deposit
		add("Deposit", d.DepositID)
		add("Transaction", d.TxnID)
		add("Address", d.Address)
		add("Amount", ipnCoin(d.Amount.String(), d.Currency))
		add("Confirms", fmt.Sprint(d.Confirms))
	case n.Withdrawal != nil:
		w := n.Withdrawal
		add("Withdrawal", w.ID)
		add("Transaction", w.TxnID)
		add("Address", w.Address)
		add("Amount", ipnCoin(w.Amount.String(), w.Currency))
		add("Note", n.Fields.Get("note"))
	default:
		add("Transaction", n.Fields.Get("txn_id"))
	}
	return out
}

// joinAmount shows a price as the IPN sent it, in its pricing currency.
func joinAmount(amount, cur string) string {
	if amount == "" {
		return ""
	}
	return strings.TrimSpace(amount + " " + cur)
}

// ipnCoin shows a coin amount of an IPN like every other coin amount.
func ipnCoin(amount, coin string) string {
	if amount == "" {
		return ""
	}
	return coinText(amount, coin)
}

// ipnLine is the one-line summary ipn listen prints per notification.
func ipnLine(n *ipn.Notification, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s ipn_id=%s status=%d", at.UTC().Format(time.RFC3339), n.Type, n.ID, n.Status)
	if n.StatusText != "" {
		fmt.Fprintf(&b, " (%s)", n.StatusText)
	}
	for _, kv := range ipnKeyFields(n) {
		v := kv[1]
		if strings.ContainsAny(v, " \t\"") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", strings.ReplaceAll(strings.ToLower(kv[0]), " ", "_"), v)
	}
	if n.FirstPaid {
		b.WriteString(" first_paid")
	}
	return b.String()
}

func ipnVerifyCommand() command {
	return command{
		name:    "ipn verify",
		args:    "--merchant M --hmac H [--secret S] < body",
		summary: "verify one IPN body read from stdin",
		help: "Reads a raw IPN body (form-encoded, exactly as received) from stdin and checks its HMAC\n" +
			"header value (--hmac), then the merchant ID and the mandatory fields. Prints the\n" +
			"notification when it is valid (exit 0), the reason when it is not (exit 1).\n" + ipnSecretHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			secret := fs.String("secret", "", "IPN `SECRET` (prefer WALLEX_IPN_SECRET)")
			merchant := fs.String("merchant", "", "your merchant `ID`")
			sig := fs.String("hmac", "", "the HMAC header's `VALUE` (hex)")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("ipn verify", args); err != nil {
					return err
				}
				v, err := a.ipnVerifier(*secret, *merchant)
				if err != nil {
					return err
				}
				if *sig == "" {
					return usagef("--hmac is required: the value of the IPN's HMAC header")
				}
				body, err := io.ReadAll(io.LimitReader(a.stdin, ipnhttp.DefaultMaxBodyBytes+1))
				if err != nil {
					return usagef("cannot read the body from stdin: %v", err)
				}
				if len(body) > ipnhttp.DefaultMaxBodyBytes {
					return &codedError{code: exitAPI, msg: fmt.Sprintf("invalid IPN: body larger than %d bytes", ipnhttp.DefaultMaxBodyBytes)}
				}
				n, err := v.Verify(body, *sig)
				if err != nil {
					msg := "invalid IPN: " + err.Error()
					if errors.Is(err, ipn.ErrBadSignature) {
						// The usual cause: a body saved with an editor or echo, which adds a newline the
						// signed body does not have. Say so; the body is still refused as given.
						trimmed := bytes.TrimRight(body, "\r\n")
						if _, terr := v.Verify(trimmed, *sig); len(trimmed) < len(body) && terr == nil {
							msg += "; it matches without the line break at the end of the body: pass the body exactly as received, e.g. printf '%s' \"$BODY\" | wallexkit ipn verify ..."
						} else {
							msg += "; check that the secret (WALLEX_IPN_SECRET or --secret) is the account's IPN secret and that the body is byte for byte as received"
						}
					}
					return &codedError{code: exitAPI, msg: msg}
				}
				view := newIPNView(n)
				return a.show(view, func(w io.Writer) {
					writeFields(w, "Valid", "yes", "Type", n.Type, "IPN id", n.ID, "Merchant", n.Merchant,
						"Status", statusWithText(n.Status, n.StatusText), "State", view.State)
					for _, kv := range ipnKeyFields(n) {
						writeFields(w, kv[0], kv[1])
					}
				})
			}
		},
	}
}

func ipnListenCommand() command {
	return command{
		name:    "ipn listen",
		args:    "[--addr HOST:PORT] --merchant M [--secret S]",
		summary: "receive IPNs over HTTP and print each verified one",
		help: "Serves an IPN URL on --addr (any path). Every POST is verified on its raw body; a verified,\n" +
			"new notification is printed on stdout as one line (one JSON object per line with -o json)\n" +
			"and answered 200. Repeats (same ipn_id) and stale ones (a status that would move a payment\n" +
			"backwards) are answered 200 without printing. The rest are refused: 401 bad or missing\n" +
			"signature, 403 another merchant, 400 malformed; the reason goes to stderr.\n" +
			"The first paid notification of a payment this listener has seen is marked first_paid (a\n" +
			"payment is paid twice over: 2, queued for payout, then 100, complete). Repeats and\n" +
			"first_paid are remembered only while it runs: a script that fulfils orders must make the\n" +
			"fulfilment itself idempotent (e.g. set paid_at only where it is not set yet).\n" +
			"Stop it with Ctrl-C.\n" + ipnSecretHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			addr := fs.String("addr", "127.0.0.1:8789", "listen `ADDR` (port 0 picks a free one; 8788 is wrangler dev's)")
			secret := fs.String("secret", "", "IPN `SECRET` (prefer WALLEX_IPN_SECRET)")
			merchant := fs.String("merchant", "", "your merchant `ID`")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("ipn listen", args); err != nil {
					return err
				}
				v, err := a.ipnVerifier(*secret, *merchant)
				if err != nil {
					return err
				}
				return a.listenIPN(ctx, *addr, v)
			}
		},
	}
}

func (a *app) listenIPN(ctx context.Context, addr string, v *ipn.Verifier) error {
	ln, err := listen(addr, "--addr")
	if err != nil {
		return err
	}
	var outMu sync.Mutex
	print := func(_ context.Context, n *ipn.Notification) error {
		outMu.Lock()
		defer outMu.Unlock()
		if a.set.output == "json" {
			return writeJSONLine(a.stdout, newIPNView(n))
		}
		_, err := fmt.Fprintln(a.stdout, ipnLine(n, a.now()))
		return err
	}
	logger := slog.New(&lineHandler{w: a.stderr, mu: &outMu, redact: a.redact})
	h := ipnhttp.Handler(v, ipn.NewTracker(nil), print, ipnhttp.WithLogger(logger))
	hs := newServer(h, logger.Handler())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	host, _ := displayHost(ln.Addr())
	fmt.Fprintf(a.stderr, "Listening for IPNs on http://%s/ for merchant %s. Press Ctrl-C to stop.\n", host, v.MerchantID())

	serveErr := waitAndShutdown(ctx, served, a.stderr, hs)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("the IPN listener stopped: %w", serveErr)
	}
	fmt.Fprintln(a.stderr, "IPN listener stopped.")
	return nil
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// lineHandler is a slog.Handler printing "wallexkit: MSG key=value ..." lines (no time, no
// level), with secrets removed.
type lineHandler struct {
	w      io.Writer
	mu     *sync.Mutex
	redact func(string) string
	attrs  []slog.Attr
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("wallexkit: ")
	b.WriteString(r.Message)
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(at slog.Attr) bool { attrs = append(attrs, at); return true })
	sort.SliceStable(attrs, func(i, j int) bool { return attrRank(attrs[i].Key) < attrRank(attrs[j].Key) })
	for _, at := range attrs {
		val := at.Value.String()
		if strings.ContainsAny(val, " \t\"=") {
			val = fmt.Sprintf("%q", val)
		}
		fmt.Fprintf(&b, " %s=%s", at.Key, val)
	}
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, h.redact(b.String()))
	return err
}

func attrRank(k string) int {
	switch k {
	case "status":
		return 0
	case "err", "reason":
		return 1
	}
	return 2
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &n
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }
