package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/sandbox"
)

// listen and trigger: the Stripe CLI's `listen --forward-to` and `trigger`, for the sandbox. listen
// points the account's IPN URL at itself, verifies each IPN the sandbox sends and forwards it,
// byte for byte with its HMAC header, to the merchant's own endpoint; trigger makes the sandbox
// produce an event.

func listenCommand() command {
	return command{
		name:    "listen",
		args:    "--forward-to URL [--addr HOST:PORT]",
		summary: "receive the sandbox's IPNs and forward them to a local endpoint",
		help: "Points the sandbox account's IPN URL at a local listener, and forwards every IPN the sandbox\n" +
			"sends, byte for byte with its HMAC header, to --forward-to (your IPN handler). Each one is\n" +
			"verified first (WALLEX_IPN_SECRET, printed by 'wallexkit sandbox') and printed with your\n" +
			"handler's answer. The sandbox gets your handler's status back, so a failing handler sees the\n" +
			"sandbox's retries. Ctrl-C stops it and restores the account's previous IPN URL.\n" +
			"Produce events with 'wallexkit trigger'. Verify in your handler with the same secret, e.g.\n" +
			"core/ipn in Go (ipn.NewVerifier(merchantID, secret)).\n" + adminURLHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			forward := fs.String("forward-to", "", "your IPN handler's `URL`, e.g. http://localhost:3000/ipn")
			addr := fs.String("addr", "127.0.0.1:0", "where the listener listens (port 0 picks a free one)")
			adminURL := fs.String("admin-url", "", "sandbox admin `URL`")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("listen", args); err != nil {
					return err
				}
				if *forward == "" {
					return usagef("--forward-to is required: the URL of your IPN handler, e.g. --forward-to http://localhost:3000/ipn")
				}
				fu, err := url.Parse(*forward)
				if err != nil || (fu.Scheme != "http" && fu.Scheme != "https") || fu.Host == "" {
					return usagef("--forward-to %q: give an absolute http(s) URL such as http://localhost:3000/ipn", *forward)
				}
				base, err := a.adminBase(*adminURL)
				if err != nil {
					return err
				}
				return a.listenAndForward(ctx, base, *addr, fu.String())
			}
		},
	}
}

func (a *app) listenAndForward(ctx context.Context, base, addr, forwardTo string) error {
	c, err := a.client(true)
	if err != nil {
		return err
	}
	info, err := c.BasicInfo(ctx)
	if err != nil {
		return err
	}
	secret := a.getenv("WALLEX_IPN_SECRET")
	if secret == "" {
		return usagef("set WALLEX_IPN_SECRET to the account's IPN secret ('wallexkit sandbox' prints it with the export line)")
	}
	a.secrets = append(a.secrets, secret)
	v, err := ipn.NewVerifier(info.MerchantID, secret)
	if err != nil {
		return usagef("%v", err)
	}
	var acct sandbox.Account
	if err := a.adminDo(ctx, http.MethodGet, "listen", base, "/accounts/"+url.PathEscape(info.MerchantID), nil, &acct); err != nil {
		return err
	}
	if !acct.HasIPNSecret {
		return usagef("the sandbox account %s has no IPN secret, so it sends no IPNs: restart the sandbox (the demo account gets one) or set one with PUT /sandbox/accounts/%s/ipn", info.MerchantID, info.MerchantID)
	}
	ln, err := listen(addr, "--addr")
	if err != nil {
		return err
	}
	host, _ := displayHost(ln.Addr())
	own := "http://" + host + "/ipn"
	if err := a.adminDo(ctx, http.MethodPut, "listen", base, "/accounts/"+url.PathEscape(info.MerchantID)+"/ipn", map[string]string{"url": own}, nil); err != nil {
		ln.Close()
		return err
	}
	restore := func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.adminDo(rctx, http.MethodPut, "listen", base, "/accounts/"+url.PathEscape(info.MerchantID)+"/ipn", map[string]string{"url": acct.IPNURL}, nil); err != nil {
			a.warnf("could not restore the account's IPN URL (%s): %v", orDash(acct.IPNURL), err)
		}
	}
	defer restore()

	fwd := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var outMu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		n, verr := v.Verify(body, r.Header.Get("HMAC"))
		status, answer := a.forwardIPN(r.Context(), fwd, forwardTo, r, body)
		outMu.Lock()
		switch {
		case verr != nil:
			fmt.Fprintf(a.stderr, "%s %s (forwarded anyway: %s)\n", a.paint("1;33", "wallexkit: IPN not valid:"), a.redact(verr.Error()), answer)
		case a.set.output == "json":
			_ = writeJSONLine(a.stdout, struct {
				ipnView
				Forward string `json:"forward"`
			}{newIPNView(n), answer})
		default:
			fmt.Fprintf(a.stdout, "%s  --> %s\n", ipnLine(n, a.now()), answer)
		}
		outMu.Unlock()
		w.WriteHeader(status)
	})
	hs := newServer(h, &lineHandler{w: a.stderr, mu: &outMu, redact: a.redact})
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(a.stderr, "Ready. The sandbox sends %s's IPNs to %s; each goes on to %s.\n"+
		"Make one with 'wallexkit trigger payment.complete'. Press Ctrl-C to stop.\n", info.MerchantID, own, forwardTo)
	err = waitAndShutdown(ctx, served, a.stderr, hs)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// forwardIPN posts the IPN as received (body, Content-Type and HMAC) to the merchant's handler,
// and returns the status for the sandbox (the handler's, or 502) and a note for the person.
func (a *app) forwardIPN(ctx context.Context, hc *http.Client, to string, r *http.Request, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return http.StatusBadGateway, "not forwarded: " + err.Error()
	}
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	req.Header.Set("HMAC", r.Header.Get("HMAC"))
	req.Header.Set("User-Agent", "wallexkit-listen/"+version)
	resp, err := hc.Do(req)
	if err != nil {
		return http.StatusBadGateway, "your handler did not answer (" + shortNetError(err) + "): is it running on " + to + "?"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}

func shortNetError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// Events trigger makes the sandbox produce.
var triggerEvents = []struct{ name, what string }{
	{"payment.complete", "a payment is created and paid in full (IPNs: 0 waiting, 1 funds received, 100 complete)"},
	{"payment.partial", "a payment is created and half paid (IPNs: 0 waiting, then 0 again with half received)"},
	{"payment.expired", "a payment is created and times out unpaid (IPNs: 0 waiting, -1 cancelled)"},
	{"withdrawal.complete", "a withdrawal is made and completed (IPNs: 1 pending, 2 complete)"},
	{"deposit", "coins arrive at a callback address (deposit IPNs: 0 seen, 100 confirmed)"},
}

func triggerCommand() command {
	var names, lines []string
	for _, e := range triggerEvents {
		names = append(names, e.name)
		lines = append(lines, fmt.Sprintf("  %-20s %s", e.name, e.what))
	}
	return command{
		name:    "trigger",
		args:    strings.Join(names, "|"),
		summary: "make the sandbox produce an event (and its IPNs)",
		help: "Makes the sandbox produce one event, with the API calls and sandbox actions it takes:\n" +
			strings.Join(lines, "\n") + "\n" +
			"Run 'wallexkit listen --forward-to URL' in another terminal to receive the IPNs.\n" + adminURLHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			coin := fs.String("coin", "LTCT", "the `COIN` the event is in")
			adminURL := fs.String("admin-url", "", "sandbox admin `URL`")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("trigger needs one event: %s", strings.Join(names, ", "))
				}
				if !slices.Contains(names, args[0]) {
					if s := nearest(args[0], names); s != "" {
						return usagef("unknown event %q: did you mean '%s'? (events: %s)", args[0], s, strings.Join(names, ", "))
					}
					return usagef("unknown event %q: use %s", args[0], strings.Join(names, ", "))
				}
				cur, err := checkTicker("coin", *coin)
				if err != nil {
					return err
				}
				base, err := a.adminBase(*adminURL)
				if err != nil {
					return err
				}
				return a.trigger(ctx, base, args[0], cur)
			}
		},
	}
}

func (a *app) trigger(ctx context.Context, base, event, coin string) error {
	c, err := a.client(true)
	if err != nil {
		return err
	}
	stamp := "trigger-" + a.now().UTC().Format("20060102T150405.000")
	report := func(pairs ...string) error {
		return a.show(map[string]string{"event": event, pairs[0]: pairs[1]}, func(w io.Writer) {
			writeFields(w, append([]string{"Event", event}, pairs...)...)
		})
	}
	switch event {
	case "payment.complete", "payment.partial", "payment.expired":
		tx, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{Amount: "10", Currency1: "USD", Currency2: coin,
			BuyerEmail: "buyer@example.com", ItemName: core.String("Test item"), Invoice: &stamp})
		if err != nil {
			return err
		}
		var st sandbox.TxState
		switch event {
		case "payment.complete":
			err = a.adminCall(ctx, "trigger", base, "/tx/"+url.PathEscape(tx.TxnID)+"/pay", map[string]any{"complete": true}, &st)
		case "payment.partial":
			half := core.AmountFromUnits(tx.Amount.Units() / 2)
			err = a.adminCall(ctx, "trigger", base, "/tx/"+url.PathEscape(tx.TxnID)+"/pay", map[string]any{"amount": half.Text(), "complete": false}, &st)
		default:
			err = a.adminCall(ctx, "trigger", base, "/tx/"+url.PathEscape(tx.TxnID)+"/expire", nil, &st)
		}
		if err != nil {
			return err
		}
		return report("Transaction", tx.TxnID, "Status", statusWithText(core.PaymentStatus(st.Status), st.StatusText), "Invoice", stamp)
	case "withdrawal.complete":
		addr, err := c.DepositAddress(ctx, coin)
		if err != nil {
			return err
		}
		// a sandbox event, not a payment: the same one again is meant
		w, err := c.CreateWithdrawal(core.AllowDuplicate(ctx), &core.WithdrawalParams{Amount: "0.01", Currency: coin, Address: addr.Address,
			AutoConfirm: core.Bool(true), Note: &stamp})
		if err != nil {
			return err
		}
		var st sandbox.WithdrawalState
		if err := a.adminCall(ctx, "trigger", base, "/withdrawals/"+url.PathEscape(w.ID)+"/complete", nil, &st); err != nil {
			return err
		}
		return report("Withdrawal", w.ID, "Status", statusWithText(core.WithdrawalStatus(st.Status), st.StatusText), "Note", stamp)
	case "deposit":
		cb, err := c.CallbackAddress(ctx, coin, &core.CallbackAddressParams{Label: &stamp})
		if err != nil {
			return err
		}
		var dep sandbox.DepositResult
		if err := a.adminCall(ctx, "trigger", base, "/deposits", map[string]string{"address": cb.Address, "currency": coin, "amount": "0.5"}, &dep); err != nil {
			return err
		}
		return report("Address", cb.Address, "Amount", coinText("0.5", coin))
	}
	return fmt.Errorf("trigger: no case for event %q", event) // triggerCommand lists only events handled above
}
