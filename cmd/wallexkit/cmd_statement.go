package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core/statement"
)

func statementCommand() command {
	return command{
		name:    "statement",
		args:    "[--from DATE] [--to DATE] [--payments | --payouts] [-o table|json|csv]",
		summary: "payments and payouts of a date range, with totals (CSV for accounting)",
		help: "Reads the account's payments (get_tx_ids, get_tx_info_multi, and get_tx_info once per\n" +
			"payment for its price and invoice) and payouts (get_withdrawal_history) created in a date\n" +
			"range, newest first, with totals per coin (paid, sent, pending, net) and the prices of paid\n" +
			"payments per pricing currency. Amounts are exact, as the API keeps them.\n" +
			"Dates are YYYY-MM-DD in UTC (--to includes that whole day) or RFC 3339 times; the default is\n" +
			"this month so far. -o csv writes one line per row (times in UTC, cells safe to open in a\n" +
			"spreadsheet, the payment's price as its fiat value where it was priced in fiat); -o json\n" +
			"writes rows and totals. It only reads: nothing moves.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			from := fs.String("from", "", "first `DATE` (default: the 1st of this month, UTC)")
			to := fs.String("to", "", "last `DATE`, included (default: now)")
			payments := fs.Bool("payments", false, "payments only")
			payouts := fs.Bool("payouts", false, "payouts only")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("statement", args); err != nil {
					return err
				}
				now := a.now().UTC()
				start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
				end := now.Add(time.Second)
				var err error
				if *from != "" {
					if start, err = statementDate("from", *from, false); err != nil {
						return err
					}
				}
				if *to != "" {
					if end, err = statementDate("to", *to, true); err != nil {
						return err
					}
				}
				if !end.After(start) {
					return usagef("--to %s is before --from %s: the range must end after it starts", end.Format(time.RFC3339), start.Format(time.RFC3339))
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				st, err := statement.Build(ctx, c, statement.Params{From: start, To: end, Payments: *payments, Payouts: *payouts})
				if err != nil {
					return err
				}
				switch a.set.output {
				case "csv":
					_, err := a.stdout.Write(st.CSV())
					return err
				case "json":
					return writeJSON(a.stdout, st)
				}
				return a.show(st, func(w io.Writer) { writeStatement(w, st) })
			}
		},
	}
}

// statementDate reads YYYY-MM-DD (UTC; the end of that day when end) or RFC 3339.
func statementDate(name, s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, usagef("--%s %q: give a date such as 2026-11-01 (UTC) or an RFC 3339 time such as 2026-11-01T09:00:00Z", name, s)
}

func writeStatement(w io.Writer, st *statement.Statement) {
	fmt.Fprintf(w, "Statement %s to %s (UTC), %s\n\n", st.From.Format("2006-01-02 15:04"), st.To.Format("2006-01-02 15:04"), plural(len(st.Rows), "row"))
	if len(st.Rows) > 0 {
		fmt.Fprintln(w, "TIME (UTC)\tKIND\tID\tSTATUS\tAMOUNT\tPRICE\tINVOICE / DESTINATION")
		for _, r := range st.Rows {
			price, ref := "", r.Invoice
			if r.PriceCurrency != "" {
				price = r.Price.Text() + " " + r.PriceCurrency
			}
			amount := coinAmount(r.Amount, r.Coin)
			if r.Kind == statement.Payout {
				// money out reads as out (the table only: -o json and csv keep the API's amount)
				ref, amount = r.Address, "-"+amount
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Format("2006-01-02 15:04"), r.Kind, r.ID, r.StatusText,
				amount, price, oneLine(ref))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "COIN\tPAID IN\tSENT OUT\tPENDING OUT\tNET")
	for _, t := range st.Totals {
		fmt.Fprintf(w, "%s\t%s (%d)\t%s (%d)\t%s (%d)\t%s\n", t.Coin, t.PaymentsPaid, t.PaidCount, t.PayoutsSent, t.SentCount,
			t.PayoutsPending, t.PendingCount, t.Net)
	}
	for _, p := range st.Prices {
		fmt.Fprintf(w, "\nPaid at prices in %s: %s (%s)\n", p.Currency, p.Paid.Text(), plural(p.Count, "payment"))
	}
}

// plural is "1 row", "2 rows".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprint(n) + " " + word + "s"
}

// oneLine keeps a cell on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}
