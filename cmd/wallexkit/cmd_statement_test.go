package main

import (
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

func TestStatementCommand(t *testing.T) {
	h := newHarness(t)
	txid := field(t, h.mustRun("pay", "create", "--amount", "12.5", "--currency", "USD", "--pay-with", "BTC", "--email", "b@example.com", "--invoice", "INV-9"), "Transaction")
	h.mustRun("sandbox", "pay", txid)
	h.mustRun("withdraw", "--amount", "0.01", "--currency", "BTC", "--address", sandbox.NewAddress("BTC"), "--note", "supplier", "--yes")

	out := h.mustRun("statement", "-o", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	kinds := recs[1][0] + "," + recs[2][0]
	if kinds != "payout,payment" && kinds != "payment,payout" {
		t.Fatalf("kinds %s", kinds)
	}
	for _, r := range recs[1:] {
		if r[0] == "payment" && (r[11] != "INV-9" || r[6] != "0.00020000" || r[18] != "12.50000000" || r[19] != "USD") {
			t.Errorf("payment line %v", r)
		}
		if r[0] == "payout" && (r[6] != "0.01000000" || r[10] != "supplier") {
			t.Errorf("payout line %v", r)
		}
	}

	var st struct {
		Rows   []map[string]any `json:"rows"`
		Totals []struct {
			Coin         string `json:"coin"`
			PaymentsPaid string `json:"payments_paid"`
			PayoutsSent  string `json:"payouts_sent"`
			Pending      string `json:"payouts_pending"`
			Net          string `json:"net"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(h.mustRun("statement", "-o", "json", "--payments")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 1 || st.Rows[0]["invoice"] != "INV-9" || len(st.Totals) != 1 || st.Totals[0].PaymentsPaid != "0.00020000" {
		t.Fatalf("json: %+v", st)
	}

	table := h.mustRun("statement")
	for _, want := range []string{"2 rows", "INV-9", "0.00020000 BTC", "12.5 USD", "Paid at prices in USD: 12.5 (1 payment)"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	// money out reads as out in the table (a minus sign), money in without one; -o json (what
	// scripts read) keeps the amount as the API gives it, unsigned, with its kind
	seen := 0
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 6 && (f[2] == "payout" || f[2] == "payment") {
			seen++
			want := map[string]string{"payout": "-0.01000000 BTC", "payment": "0.00020000 BTC"}[f[2]]
			if got := regexp.MustCompile(`-?[0-9.]+ BTC`).FindString(l); got != want {
				t.Errorf("table line %q: amount %q, want %q", l, got, want)
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d payment or payout lines in the table, want 2:\n%s", seen, table)
	}
	if err := json.Unmarshal([]byte(h.mustRun("statement", "-o", "json", "--payouts")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 1 || st.Rows[0]["kind"] != "payout" || st.Rows[0]["amount"] != "0.01000000" {
		t.Errorf("json payout row: %+v", st.Rows)
	}

	// Dates: a range that ends before it starts, a bad date; -o csv elsewhere is refused before
	// anything is sent.
	for _, args := range [][]string{{"statement", "--from", "2026-11-05", "--to", "2026-11-01"}, {"statement", "--from", "yesterday"}} {
		if r := h.run(args...); r.code != 2 || !strings.Contains(r.stderr, "--") {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	before := h.cmdCount("create_withdrawal")
	r := h.run("withdraw", "-o", "csv", "--amount", "0.01", "--currency", "BTC", "--address", sandbox.NewAddress("BTC"), "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "-o csv is for 'wallexkit statement'") || h.cmdCount("create_withdrawal") != before {
		t.Fatalf("withdraw -o csv: exit %d %s", r.code, r.stderr)
	}
}
