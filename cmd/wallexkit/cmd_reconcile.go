package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

func reconcileCommand() command {
	return command{
		name:    "reconcile",
		args:    "--cmd CMD --amount A --currency C [--address ADDR] [--note N] [--since TIME]",
		summary: "find out whether a money request of unknown outcome was carried out",
		help: "Looks an operation whose answer was lost up in the account's history, and prints a\n" +
			"verdict: found (exactly one operation matches: it was carried out; its id is shown),\n" +
			"not_found (nothing matches in the window: it is safe to send it again), or ambiguous\n" +
			"(several match, or the API cannot tell: a person must decide). It only reads.\n" +
			"--cmd is create_withdrawal, create_mass_withdrawal, create_transfer (with --address or\n" +
			"--merchant), create_transaction (with --invoice and/or --custom; --currency is the coin\n" +
			"the buyer pays) or convert. --since takes RFC 3339, Unix seconds or a duration ago\n" +
			"(2h); 5 minutes of slack are added for clock skew.\n" +
			"Money commands whose outcome is unknown (exit 4) print the exact line to run.\n" +
			"Exit status is 0 for every verdict (read it from the output: 'Verdict' or \"verdict\");\n" +
			"1, 2 or 3 only when the lookup itself failed.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var q core.ReconcileQuery
			var since, exclude string
			fs.StringVar(&q.Cmd, "cmd", "", "the command whose outcome is unknown, e.g. create_withdrawal")
			fs.StringVar(&q.Amount, "amount", "", "amount as sent")
			fs.StringVar(&q.Currency, "currency", "", "`COIN` as sent")
			fs.StringVar(&q.Currency2, "currency2", "", "`CURRENCY` the amount was priced in, if any (then the amount is not compared)")
			fs.StringVar(&q.Address, "address", "", "destination `ADDRESS` as sent")
			fs.StringVar(&q.Merchant, "merchant", "", "destination merchant `ID` (create_transfer)")
			fs.StringVar(&q.Note, "note", "", "note as sent")
			fs.StringVar(&q.Invoice, "invoice", "", "invoice as sent (create_transaction)")
			fs.StringVar(&q.Custom, "custom", "", "custom as sent (create_transaction)")
			fs.StringVar(&since, "since", "24h", "ignore operations created before `TIME`")
			fs.StringVar(&exclude, "exclude", "", "comma-separated `IDS` already accounted for")
			fs.IntVar(&q.MaxItems, "max", 500, "search at most `N` history items")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("reconcile", args); err != nil {
					return err
				}
				switch q.Cmd {
				case "":
					return usagef("--cmd is required, e.g. --cmd create_withdrawal")
				case "create_withdrawal", "create_mass_withdrawal", "create_transfer", "create_transaction", "convert":
				default:
					return usagef("--cmd %q: use create_withdrawal, create_mass_withdrawal, create_transfer, create_transaction or convert", q.Cmd)
				}
				if q.Cmd != "convert" && !(q.Cmd == "create_transfer" && q.Address == "") && q.Cmd != "create_transaction" {
					amt, err := checkAmount("amount", q.Amount)
					if err != nil {
						return err
					}
					q.Amount = amt
					if q.Currency, err = checkTicker("currency", q.Currency); err != nil {
						return err
					}
					if q.Address == "" {
						return usagef("--address is required to reconcile %s", q.Cmd)
					}
				}
				if since != "" && since != "0" {
					t, err := parseTimeFlag(a, "since", since, true)
					if err != nil {
						return err
					}
					q.Since = t
				}
				if exclude != "" {
					q.Exclude = map[string]bool{}
					for _, id := range strings.Split(exclude, ",") {
						if id = strings.TrimSpace(id); id != "" {
							q.Exclude[id] = true
						}
					}
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				res, err := c.Reconcile(ctx, q)
				if err != nil {
					return err
				}
				return a.show(res, func(w io.Writer) {
					writeFields(w, "Verdict", string(res.Verdict), "Detail", res.Detail)
					if !q.Since.IsZero() {
						writeFields(w, "Searched since", q.Since.UTC().Format(time.RFC3339))
					}
					switch res.Verdict {
					case core.Found:
						writeFields(w, "Next", "it was carried out: do NOT send it again")
					case core.NotFound:
						writeFields(w, "Next", "not carried out in this window: safe to send again")
					default:
						writeFields(w, "Next", "a person must decide; do not send it again blindly")
					}
					for _, x := range res.Withdrawals {
						writeFields(w, "Match", fmt.Sprintf("%s  %s %s to %s, status %s, created %s, note %q",
							x.ID, x.Amount.Text(), x.Coin, x.SendAddress, statusWithText(x.Status, withdrawalStatusText(x.Status)),
							fmtTime(x.TimeCreated), x.Note))
					}
					for _, id := range res.TxnIDs {
						writeFields(w, "Match", id)
					}
				})
			}
		},
	}
}
