package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

func reconcileCommand() command {
	return command{
		name:    "reconcile",
		args:    "(--op ID | --cmd CMD --amount A --currency C [--address ADDR] [--note N] [--since TIME] [--sent TIME])",
		summary: "find out whether a money request of unknown outcome was carried out",
		help: "Looks an operation whose answer was lost up in the account's history, and prints a\n" +
			"verdict. It only reads, so it is safe to run at once, and as often as you like:\n" +
			"  found      exactly one operation matches: it was carried out; do not send it again\n" +
			"  not_found  nothing matches and the original can no longer land (with nonces the\n" +
			"             tool first completes a call with a higher nonce, which makes the API refuse\n" +
			"             any late copy of a request sent with this key and a lower nonce): safe to\n" +
			"             send it again\n" +
			"  in_flight  nothing proves a held request will not still land (no nonces, or by its\n" +
			"             fields without --original-nonce: another key or tool may have sent it):\n" +
			"             wait until the time shown, then run the line printed\n" +
			"  ambiguous  several match, or the API cannot tell: a person must decide\n" +
			"--op ID settles an operation the CLI recorded when its answer was lost (a money command\n" +
			"that exited 4 prints the exact line; 'wallexkit ops list' lists them). Records live in the\n" +
			"state file (WALLEX_STATE): run the line as printed, with the same state file. A settled\n" +
			"record is kept for 7 days, so asking again gives the same verdict; after that only a\n" +
			"trace stays (400 days) and --op answers ambiguous: look the operation up by its fields\n" +
			"(--cmd ... --since ...). An ID the state file has no record of was never sent with it.\n" +
			"Without --op, describe the operation: --cmd is create_withdrawal, create_mass_withdrawal,\n" +
			"create_transfer (with --address or --merchant), create_transaction (with --invoice and/or\n" +
			"--custom; --currency is the coin the buyer pays) or convert. --since takes RFC 3339, Unix\n" +
			"seconds or a duration ago (2h); an hour of slack is added for clock skew. --sent is when\n" +
			"the original left ('wallexkit ops list' shows it; --op needs none); without it the time\n" +
			"is unknown and counts as now, so the wait before not_found starts now (the line printed\n" +
			"after the wait sets --sent for you). --original-nonce is its nonce, if it was sent with\n" +
			"this key: the fence then settles it at once.\n" +
			"Exit status is 0 for every verdict (read it from the output: 'Verdict' or \"verdict\");\n" +
			"1, 2 or 3 only when the lookup itself failed.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var q core.ReconcileQuery
			var since, sent, exclude, op string
			fs.StringVar(&op, "op", "", "settle the recorded operation `ID`")
			fs.StringVar(&q.Cmd, "cmd", "", "the command whose outcome is unknown, e.g. create_withdrawal")
			fs.StringVar(&q.Amount, "amount", "", "amount as sent")
			fs.StringVar(&q.Currency, "currency", "", "`COIN` as sent")
			fs.StringVar(&q.Currency2, "currency2", "", "`CURRENCY` the amount was priced in, if any (then the amount is not compared)")
			fs.BoolVar(&q.AddTxFee, "add-tx-fee", false, "it was sent with add_tx_fee (the history may list the amount with the fee)")
			fs.StringVar(&q.Address, "address", "", "destination `ADDRESS` as sent")
			fs.StringVar(&q.Merchant, "merchant", "", "destination merchant `ID` (create_transfer)")
			fs.StringVar(&q.Note, "note", "", "note as sent")
			fs.StringVar(&q.Invoice, "invoice", "", "invoice as sent (create_transaction)")
			fs.StringVar(&q.Custom, "custom", "", "custom as sent (create_transaction)")
			fs.StringVar(&since, "since", "24h", "ignore operations created before `TIME`")
			fs.StringVar(&sent, "sent", "", "when the original request left (`TIME`)")
			fs.Int64Var(&q.Nonce, "original-nonce", 0, "the nonce the original request carried, if it was sent with this key")
			fs.StringVar(&exclude, "exclude", "", "comma-separated `IDS` already accounted for")
			fs.IntVar(&q.MaxItems, "max", 500, "search at most `N` history items")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("reconcile", args); err != nil {
					return err
				}
				if op != "" {
					if q.Cmd != "" {
						return usagef("give --op or --cmd with the operation's fields, not both")
					}
					c, err := a.client(true)
					if err != nil {
						return err
					}
					res, err := c.ReconcileOp(ctx, op)
					if err != nil {
						return err
					}
					// A settled record keeps only the id it created: show the withdrawal as the
					// API has it now (a read), not a blank one.
					for i, w := range res.Withdrawals {
						if w.ID != "" && w.TimeCreated.IsZero() && w.Coin == "" {
							if info, err := c.WithdrawalInfo(ctx, w.ID); err == nil && info != nil {
								res.Withdrawals[i] = *info
							}
						}
					}
					if res.Verdict == core.Ambiguous {
						// still recorded as unsettled (not a forgotten trace): the way out is a person's
						if ops, err := c.Ops(ctx); err == nil && slices.ContainsFunc(ops, func(o core.Op) bool { return o.ID == op }) {
							return a.showVerdictNext(res, time.Time{}, "a person must decide: check the account as the detail says; do not send it again blindly. "+
								"If it was not carried out, drop its record before sending it again: "+a.printedLine("ops", "forget", op, "--yes")+
								" (refused while a copy of it may still arrive)")
						}
					}
					return a.showVerdict(a.opVerdict(op, res), time.Time{})
				}
				switch q.Cmd {
				case "":
					return usagef("give --op ID (printed when a command's outcome was unknown; see 'wallexkit ops list') or --cmd, e.g. --cmd create_withdrawal")
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
				if sent != "" {
					t, err := parseTimeFlag(a, "sent", sent, true)
					if err != nil {
						return err
					}
					q.SentAt = t
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
				if !res.AssumedSentAt.IsZero() {
					// No send time was given, so the wait counted from this look's time (the original
					// left before it): the line to run after the wait gives that time, and then
					// settles it (without it, asking again would only count the wait from then).
					return a.showVerdictAgain(res, q.Since, a.againLine(fs, q.Since, res.AssumedSentAt))
				}
				return a.showVerdict(res, q.Since)
			}
		},
	}
}

// verdictNext is the one instruction that goes with a verdict; it is safe to follow at once.
func verdictNext(res *core.ReconcileResult) string {
	switch res.Verdict {
	case core.Found:
		return "it was carried out: do NOT send it again"
	case core.NotFound:
		if res.NoRecord {
			// True of the state file asked only: a moved, renamed or restored file, or another
			// WALLEX_STATE, holds no record of an operation that was sent.
			return "this state file holds no record of it, so it was not sent with this file; if it may have been sent with another state file (WALLEX_STATE), machine or tool, reconcile it there (or by its fields: wallexkit reconcile --cmd ...) before sending it again"
		}
		if res.Proven {
			return "it was not carried out and can no longer be: safe to send it again"
		}
		return "not carried out as far as can be seen, and its in-flight window has passed (this is not proven: no nonce fence covers it): sending it again is safe unless a network held the original for longer than that window"
	case core.InFlight:
		return "wait until " + res.Until.UTC().Format(time.RFC3339) + ", then run this reconcile again; do NOT send it again before then"
	}
	return "a person must decide; do not send it again blindly"
}

// againLine is the reconcile line to run after an in_flight wait: the flags as given, --since as
// the time it meant, and --sent as the time of the look that found nothing (the original left
// before it).
func (a *app) againLine(fs *flag.FlagSet, since, look time.Time) string {
	args := []string{"reconcile"}
	fs.VisitAll(func(f *flag.Flag) { // the parsed values (cobra parses them, so none is "set" here)
		if f.Name != "since" && f.Name != "sent" && f.Value.String() != f.DefValue {
			args = append(args, "--"+f.Name, f.Value.String())
		}
	})
	if !since.IsZero() {
		args = append(args, "--since", since.UTC().Format(time.RFC3339))
	} else {
		args = append(args, "--since", "0")
	}
	return a.printedLine(append(args, "--sent", look.UTC().Format(time.RFC3339))...)
}

func (a *app) showVerdict(res *core.ReconcileResult, since time.Time) error {
	return a.showVerdictAgain(res, since, "")
}

// showVerdictAgain shows a verdict; again, for an in_flight one, is the exact line to run after
// the wait.
func (a *app) showVerdictAgain(res *core.ReconcileResult, since time.Time, again string) error {
	next := verdictNext(res)
	if again != "" {
		next = "wait until " + res.Until.UTC().Format(time.RFC3339) + ", then run: " + again + "  (do NOT send it again before then)"
	}
	return a.showVerdictNext(res, since, next)
}

// showVerdictNext shows a verdict with next as what to do.
func (a *app) showVerdictNext(res *core.ReconcileResult, since time.Time, next string) error {
	out := struct {
		*core.ReconcileResult
		Next string `json:"next"`
	}{res, next}
	return a.show(out, func(w io.Writer) {
		writeFields(w, "Verdict", string(res.Verdict), "Proven", yesNo(res.Proven), "Detail", res.Detail)
		if !res.Until.IsZero() {
			writeFields(w, "Wait until", res.Until.UTC().Format(time.RFC3339))
		}
		if !since.IsZero() {
			writeFields(w, "Searched since", since.UTC().Format(time.RFC3339))
		}
		writeFields(w, "Next", out.Next)
		for _, x := range res.Withdrawals {
			if x.TimeCreated.IsZero() && x.Coin == "" { // only its id is known
				writeFields(w, "Match", x.ID)
				continue
			}
			writeFields(w, "Match", fmt.Sprintf("%s  %s to %s, status %s, created %s, note %q",
				x.ID, coinAmount(x.Amount, x.Coin), x.SendAddress, statusWithText(x.Status, ""),
				fmtTime(x.TimeCreated), x.Note))
		}
		for _, id := range res.TxnIDs {
			writeFields(w, "Match", id)
		}
	})
}

func opsListCommand() command {
	return command{
		name:    "ops list",
		summary: "list money requests whose outcome is not settled yet",
		help: "Lists the operations this CLI recorded before sending (money commands and payments) whose\n" +
			"answer was lost or that a stopped run left behind. Settle each with\n" +
			"'wallexkit reconcile --op ID'. While one is listed, the same command with the same fields is\n" +
			"refused (exit 4) so that it cannot be paid twice.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("ops list", args); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				ops, err := c.Ops(ctx)
				if err != nil {
					return err
				}
				if ops == nil {
					ops = []core.Op{}
				}
				if len(ops) == 0 && a.set.output == "table" {
					fmt.Fprintln(a.stderr, "no unsettled operations")
				}
				return a.show(ops, func(w io.Writer) {
					if len(ops) == 0 {
						return
					}
					writeRow(w, "ID", "SENT", "COMMAND", "STATE", "WHAT")
					for _, o := range ops {
						writeRow(w, o.ID, fmtTime(o.SentAt), o.Cmd, string(o.State), opSummary(o))
					}
				})
			}
		},
	}
}

// opSummary is an operation's amount and destination in a few words.
func opSummary(o core.Op) string {
	r := o.Ref
	parts := []string{}
	if r["amount"] != "" {
		parts = append(parts, r["amount"]+" "+firstNonEmpty(r["currency"], r["currency1"], r["from"]))
	}
	if d := firstNonEmpty(r["address"], r["toaddress"], r["merchant"], r["to"], r["buyer_email"]); d != "" {
		parts = append(parts, "to "+d)
	}
	if r["note"] != "" {
		parts = append(parts, "note "+r["note"])
	}
	n := 0
	for k := range r {
		if strings.HasPrefix(k, "wd[") && strings.HasSuffix(k, "][amount]") {
			n++
		}
	}
	if n > 0 {
		parts = append(parts, fmt.Sprintf("%d payouts", n))
	}
	return strings.Join(parts, ", ")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func opsForgetCommand() command {
	return command{
		name:    "ops forget",
		args:    "ID --yes",
		summary: "drop a recorded operation without reconciling it",
		help: "Drops a recorded operation after you have checked the account yourself. Prefer\n" +
			"'wallexkit reconcile --op ID', which settles it from the history. Nothing is sent. It is\n" +
			"refused while the request may still arrive (until its in-flight bound, or until\n" +
			"'reconcile --op ID' has run its fence): no check of the account can tell before then.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			yes := fs.Bool("yes", false, "confirm")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("ops forget needs exactly one operation ID (see 'wallexkit ops list')")
				}
				if !*yes {
					return usagef("forgetting an operation lets the same payment be sent again: check the account first, then pass --yes")
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				if err := c.ForgetOp(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "forgot operation %s\n", args[0])
				return nil
			}
		},
	}
}
