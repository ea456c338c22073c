package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// Receiving payments (spec §7.2): pay create, tx info, tx list.

func payCreateCommand() command {
	return command{
		name:    "pay create",
		args:    "--amount A --currency C --pay-with COIN --email E [--item NAME] [--invoice ID] [--custom S] [--ipn-url URL]",
		summary: "create a payment for a buyer (create_transaction)",
		help: "Creates a payment of --amount in --currency (the price, e.g. USD) that the buyer pays in\n" +
			"--pay-with (e.g. BTC). Prints the transaction id, what the buyer pays, the address, the\n" +
			"checkout and status URLs and the time the buyer has.\n" +
			"Set --invoice or --custom: if the answer is lost (exit 4), 'wallexkit reconcile' finds the\n" +
			"payment by them instead of creating a second one.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var amount, cur1, cur2, email, item, itemNumber, invoice, custom, ipnURL, buyer, success, cancel string
			fs.StringVar(&amount, "amount", "", "price, exact decimal text, e.g. 12.5")
			fs.StringVar(&cur1, "currency", "", "pricing `CURRENCY`, e.g. USD")
			fs.StringVar(&cur2, "pay-with", "", "`COIN` the buyer pays with, e.g. BTC")
			fs.StringVar(&email, "email", "", "buyer's email `ADDRESS`")
			fs.StringVar(&buyer, "buyer-name", "", "buyer's `NAME`")
			fs.StringVar(&item, "item", "", "item `NAME`")
			fs.StringVar(&itemNumber, "item-number", "", "item `NUMBER`")
			fs.StringVar(&invoice, "invoice", "", "your invoice `ID` (kept with the payment, sent in IPNs)")
			fs.StringVar(&custom, "custom", "", "any `TEXT` kept with the payment")
			fs.StringVar(&ipnURL, "ipn-url", "", "IPN `URL` for this payment (default: the account's)")
			fs.StringVar(&success, "success-url", "", "`URL` the buyer returns to after paying")
			fs.StringVar(&cancel, "cancel-url", "", "`URL` the buyer returns to after cancelling")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("pay create", args); err != nil {
					return err
				}
				amt, cur1, err := checkAmountCoin(amount, "currency", cur1)
				if err != nil {
					return err
				}
				if cur2, err = checkTicker("pay-with", cur2); err != nil {
					return err
				}
				if email == "" {
					return usagef("--email is required: the buyer's email address")
				}
				p := &core.CreateTransactionParams{Amount: amt, Currency1: cur1, Currency2: cur2, BuyerEmail: email,
					ItemName: optStr(item), ItemNumber: optStr(itemNumber), Invoice: optStr(invoice), Custom: optStr(custom),
					IPNURL: optStr(ipnURL), BuyerName: optStr(buyer), SuccessURL: optStr(success), CancelURL: optStr(cancel)}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				tx, err := c.CreateTransaction(ctx, p)
				var ae *core.APIError
				if errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.Message), "currenc") {
					// refused, so nothing was created: say where the coins this account takes are listed
					return fmt.Errorf("%w: see 'wallexkit rates --accepted' for the coins this account takes", err)
				}
				if err != nil {
					return err
				}
				out := struct {
					*core.Transaction
					TimeoutSeconds int64 `json:"timeout"`
				}{tx, int64(tx.Timeout / time.Second)}
				return a.show(out, func(w io.Writer) {
					writeFields(w,
						"Transaction", tx.TxnID,
						"Buyer pays", coinAmount(tx.Amount, tx.Currency),
						"Address", tx.Address,
						"Checkout", tx.CheckoutURL,
						"Status page", tx.StatusURL,
						"QR code", tx.QRCodeURL,
						"Confirms needed", strconv.FormatInt(tx.ConfirmsNeeded, 10),
						"Timeout", humanDuration(tx.Timeout))
				})
			}
		},
	}
}

// optStr returns nil for "" (not sent), else a pointer to s.
func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// txView is a payment as tx info prints it in JSON: TxInfo plus the checkout details.
type txView struct {
	*core.TxInfo
	Paid     bool            `json:"paid"`
	Checkout json.RawMessage `json:"checkout,omitempty"`
}

func newTxView(t *core.TxInfo) txView {
	v := txView{TxInfo: t, Paid: t.Paid()}
	if t.Checkout.Exists() {
		v.Checkout = json.RawMessage(t.Checkout.Raw())
	}
	return v
}

func paymentState(t *core.TxInfo) string {
	switch {
	case t.Paid():
		return "paid"
	case t.Failed():
		return "failed"
	}
	return "pending"
}

func txInfoCommand() command {
	return command{
		name:    "tx info",
		args:    "TXID [--full]",
		summary: "show a payment (get_tx_info)",
		help: "Shows the status, amount, amount received and address of the payment TXID. Status\n" +
			"-1 = cancelled or timed out, 0 = waiting for funds, 1 = funds received, 2 = queued for\n" +
			"payout, 100 = complete; 2 and 100 mean you are paid. --full adds the checkout details\n" +
			"(invoice, custom, item, buyer).",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			full := fs.Bool("full", false, "add the checkout details")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("tx info needs exactly one TXID, e.g. 'wallexkit tx info CPXX...'")
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				t, err := c.TxInfo(ctx, args[0], *full)
				if err != nil {
					return notFoundHint(err, "payment", args[0], "wallexkit tx list")
				}
				return a.show(newTxView(t), func(w io.Writer) {
					writeFields(w,
						"Transaction", t.TxnID,
						"Status", statusWithText(t.Status, t.StatusText),
						"State", paymentState(t),
						"Amount", coinAmount(t.Amount, t.Coin),
						"Received", coinAmount(t.Received, t.Coin),
						"Confirms", strconv.FormatInt(t.RecvConfirms, 10),
						"Address", t.PaymentAddress,
						"Created", fmtTime(t.TimeCreated),
						"Expires", fmtTime(t.TimeExpires))
					if t.Checkout.IsObject() {
						hasF := t.Checkout.Get("amountf").Exists()
						cur := t.Checkout.Get("currency").Text()
						t.Checkout.ForEach(func(k string, v core.Value) bool {
							if k == "amount" && hasF {
								return true // base units; amountf says the same in decimal
							}
							if k == "currency" && hasF && cur != "" {
								return true // on the Price line
							}
							if k == "amountf" && cur != "" {
								writeFields(w, "Price", joinAmount(v.Text(), cur))
								return true
							}
							if s := v.Text(); s != "" {
								writeFields(w, checkoutLabel(k), s)
							}
							return true
						})
					}
				})
			}
		},
	}
}

// notFoundHint names the id an API "not found" answer was about, and where the ids are listed; other
// errors pass unchanged.
func notFoundHint(err error, what, id, list string) error {
	var ae *core.APIError
	if errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.Message), "not found") {
		return fmt.Errorf("%s %q: %w: check the ID ('%s' shows recent ones)", what, id, err, list)
	}
	return err
}

// checkoutLabel names a checkout detail of get_tx_info full=1 in a merchant's words.
func checkoutLabel(k string) string {
	switch k {
	case "amountf":
		return "Price"
	case "currency":
		return "Price currency"
	case "buyer_email":
		return "Buyer email"
	case "buyer_name":
		return "Buyer name"
	case "item_name":
		return "Item"
	case "item_number":
		return "Item number"
	case "invoice":
		return "Invoice"
	case "custom":
		return "Custom"
	case "ipn_url":
		return "IPN URL"
	}
	s := strings.ReplaceAll(k, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// parseTimeFlag reads RFC 3339 or Unix seconds; with ago it also takes a duration ("2h" = two
// hours before now).
func parseTimeFlag(a *app, name, s string, ago bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	if ago {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return a.now().Add(-d), nil
		}
		return time.Time{}, usagef("--%s %q: give RFC 3339 (2024-05-01T12:00:00Z), Unix seconds, or a duration ago such as 2h", name, s)
	}
	return time.Time{}, usagef("--%s %q: give RFC 3339 (2024-05-01T12:00:00Z) or Unix seconds", name, s)
}

// listParams reads the --limit and --newer flags of the list commands.
func listParams(a *app, limit int, newer string) (*core.ListParams, error) {
	if limit < 0 {
		return nil, usagef("--limit must be 0 (all) or more")
	}
	p := &core.ListParams{Limit: limit}
	if limit > 0 {
		p.PageSize = min(limit, 100)
	}
	if newer != "" {
		t, err := parseTimeFlag(a, "newer", newer, false)
		if err != nil {
			return nil, err
		}
		p.Newer = t
	}
	return p, nil
}

func txListCommand() command {
	return command{
		name:    "tx list",
		args:    "[--limit N] [--newer TIME] [--ids-only]",
		summary: "list recent payments, newest first (get_tx_ids)",
		help: "Lists up to --limit payments (0 = all), newest first, with their status and amounts\n" +
			"(fetched 25 at a time with get_tx_info_multi). --ids-only prints only the ids.\n" +
			"--newer takes RFC 3339 (2024-05-01T12:00:00Z) or Unix seconds.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			limit := fs.Int("limit", 25, "how many payments in total (0 = all)")
			newer := fs.String("newer", "", "only payments created after `TIME`")
			idsOnly := fs.Bool("ids-only", false, "print only the ids")
			all := fs.Bool("all", false, "include transactions of all types")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("tx list", args); err != nil {
					return err
				}
				p, err := listParams(a, *limit, *newer)
				if err != nil {
					return err
				}
				p.All = *all
				c, err := a.client(true)
				if err != nil {
					return err
				}
				var ids []string
				for id, err := range c.TxIDs(ctx, p) {
					if err != nil {
						return err
					}
					ids = append(ids, id)
				}
				if *idsOnly {
					if ids == nil {
						ids = []string{}
					}
					return a.show(ids, func(w io.Writer) {
						for _, id := range ids {
							fmt.Fprintln(w, id)
						}
					})
				}
				views := []txView{}
				errs := map[string]error{}
				for start := 0; start < len(ids); start += core.MaxTxInfoMulti {
					chunk := ids[start:min(start+core.MaxTxInfoMulti, len(ids))]
					m, err := c.TxInfoMulti(ctx, chunk)
					if err != nil {
						return err
					}
					for _, id := range chunk {
						it, ok := m[id]
						switch {
						case !ok:
							errs[id] = fmt.Errorf("missing from the answer")
						case it.Err != nil:
							errs[id] = it.Err
						default:
							views = append(views, newTxView(it.Info))
						}
					}
				}
				for _, id := range ids {
					if err := errs[id]; err != nil {
						fmt.Fprintf(a.stderr, "wallexkit: %s: %s\n", id, a.redact(err.Error()))
					}
				}
				if len(ids) == 0 && a.set.output == "table" {
					fmt.Fprintln(a.stderr, "no payments")
				}
				return a.show(views, func(w io.Writer) {
					if len(views) == 0 {
						return
					}
					writeRow(w, "TXID", "CREATED", "STATUS", "COIN", "AMOUNT", "RECEIVED")
					for _, v := range views {
						writeRow(w, v.TxnID, fmtTime(v.TimeCreated), statusWithText(v.Status, v.StatusText), v.Coin, v.Amount.String(), v.Received.String())
					}
				})
			}
		},
	}
}
