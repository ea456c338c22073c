package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/sandbox"
)

// The sandbox's test-only admin endpoints (spec §10) as commands: play the buyer paying or
// abandoning a payment, and the merchant answering a withdrawal's confirmation email.

const adminURLHelp = "The admin URL defaults to --api-url with its trailing /api replaced by /sandbox (only for a\n" +
	"loopback host); pass --admin-url otherwise."

// adminBase returns the admin base URL: the flag, else derived from the API URL.
func (a *app) adminBase(flagURL string) (string, error) {
	if flagURL != "" {
		u, err := url.Parse(flagURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", usagef("--admin-url %q: give an absolute URL such as http://127.0.0.1:8787/sandbox", flagURL)
		}
		return strings.TrimSuffix(flagURL, "/"), nil
	}
	api := strings.TrimSuffix(a.set.apiURL, "/")
	u, err := url.Parse(api)
	if err != nil || u.Host == "" || !strings.HasSuffix(u.Path, "/api") {
		return "", usagef("cannot derive the sandbox admin URL from the API URL %q: pass --admin-url http://HOST:PORT/sandbox", a.set.apiURL)
	}
	if !core.IsLoopbackHost(u.Hostname()) {
		return "", usagef("the API URL %s is not a local sandbox: pass --admin-url to reach a sandbox elsewhere", a.set.apiURL)
	}
	return strings.TrimSuffix(api, "/api") + "/sandbox", nil
}

// adminCall POSTs body (JSON, may be nil) to base+path and decodes the JSON answer into out.
// HTTP errors with {"error": ...} become APIErrors (exit 1); no answer is a TransportError (3).
func (a *app) adminCall(ctx context.Context, what, base, path string, body, out any) error {
	return a.adminDo(ctx, http.MethodPost, what, base, path, body, out)
}

// adminDo is adminCall with any method.
func (a *app) adminDo(ctx context.Context, method, what, base, path string, body, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return usagef("bad admin URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sandbox.AdminHeader, "1")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return &core.TransportError{Cmd: what, Err: fmt.Errorf("nothing answers at %s: is 'wallexkit sandbox' running?", req.URL.Host)}
		}
		return &core.TransportError{Cmd: what, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &core.TransportError{Cmd: what, HTTPStatus: resp.StatusCode, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return &core.APIError{Cmd: what, Message: e.Error, HTTPStatus: resp.StatusCode}
		}
		return &core.TransportError{Cmd: what, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("not a sandbox admin answer"), Excerpt: clip(string(data), 80)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &core.TransportError{Cmd: what, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("answer is not the expected JSON: %v", err), Excerpt: clip(string(data), 80)}
	}
	return nil
}

func (a *app) showTxState(st sandbox.TxState) error {
	return a.show(st, func(w io.Writer) {
		writeFields(w, "Transaction", st.TxnID, "Status", statusWithText(core.PaymentStatus(st.Status), st.StatusText),
			"Amount", coinText(st.Amount, st.Coin), "Received", coinText(st.Received, st.Coin), "Address", st.Address)
	})
}

func sandboxPayCommand() command {
	return command{
		name:    "sandbox pay",
		args:    "TXID [--amount X] [--complete=false] [--admin-url URL]",
		summary: "sandbox only: play the buyer paying a payment",
		help: "Records a payment of --amount (in the coin the buyer pays; default: all that is still due)\n" +
			"on the sandbox transaction TXID. Paid in full, it moves to status 1 and then 100 (complete,\n" +
			"the merchant's balance is credited); --complete=false stops at 1. A partial payment keeps\n" +
			"status 0. Each change sends an IPN when the account has an IPN URL and secret.\n" + adminURLHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			amount := fs.String("amount", "", "amount the buyer sends, exact decimal text (default: what is due)")
			complete := fs.Bool("complete", true, "go on to status 100 once paid in full")
			adminURL := fs.String("admin-url", "", "sandbox admin `URL`, e.g. http://127.0.0.1:8787/sandbox")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("sandbox pay needs exactly one TXID")
				}
				body := map[string]any{"complete": *complete}
				if *amount != "" {
					amt, err := checkAmount("amount", *amount)
					if err != nil {
						return err
					}
					body["amount"] = amt
				}
				base, err := a.adminBase(*adminURL)
				if err != nil {
					return err
				}
				var st sandbox.TxState
				if err := a.adminCall(ctx, "sandbox pay", base, "/tx/"+url.PathEscape(args[0])+"/pay", body, &st); err != nil {
					return err
				}
				return a.showTxState(st)
			}
		},
	}
}

func sandboxExpireCommand() command {
	return command{
		name:    "sandbox expire",
		args:    "TXID",
		summary: "sandbox only: time a waiting payment out now",
		help:    "Cancels the sandbox transaction TXID as if its time ran out (status -1).\n" + adminURLHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			adminURL := fs.String("admin-url", "", "sandbox admin `URL`")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("sandbox expire needs exactly one TXID")
				}
				base, err := a.adminBase(*adminURL)
				if err != nil {
					return err
				}
				var st sandbox.TxState
				if err := a.adminCall(ctx, "sandbox expire", base, "/tx/"+url.PathEscape(args[0])+"/expire", nil, &st); err != nil {
					return err
				}
				return a.showTxState(st)
			}
		},
	}
}

func sandboxWithdrawalCommand() command {
	return command{
		name:    "sandbox withdrawal",
		args:    "confirm|complete|cancel ID [--admin-url URL]",
		summary: "sandbox only: confirm, complete or cancel a withdrawal",
		help: "confirm plays the merchant clicking the confirmation email (a withdrawal goes from 0 to 1,\n" +
			"a transfer is carried out); complete marks a withdrawal sent (2, with a send txid); cancel\n" +
			"cancels one that is not complete (-1) and refunds it.\n" + adminURLHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			adminURL := fs.String("admin-url", "", "sandbox admin `URL`")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 2 {
					return usagef("sandbox withdrawal needs an action and an ID, e.g. 'wallexkit sandbox withdrawal complete CWSB...'")
				}
				action := args[0]
				switch action {
				case "confirm", "complete", "cancel":
				default:
					return usagef("sandbox withdrawal %q: use confirm, complete or cancel", action)
				}
				base, err := a.adminBase(*adminURL)
				if err != nil {
					return err
				}
				var st sandbox.WithdrawalState
				if err := a.adminCall(ctx, "sandbox withdrawal "+action, base, "/withdrawals/"+url.PathEscape(args[1])+"/"+action, nil, &st); err != nil {
					return err
				}
				return a.show(st, func(w io.Writer) {
					dest := st.Address
					if st.ToMerchant != "" {
						dest = "merchant " + st.ToMerchant
					}
					writeFields(w, "Withdrawal", st.ID, "Kind", st.Kind, "Status", statusWithText(core.WithdrawalStatus(st.Status), st.StatusText),
						"Amount", coinText(st.Amount, st.Coin), "To", dest, "Send txid", st.SendTxID, "Note", st.Note)
				})
			}
		},
	}
}
