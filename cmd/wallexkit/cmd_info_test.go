package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
)

func TestInfoCommandsTable(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		args    []string
		want    []string // regular expressions, each must match a line
		notWant []string
	}{
		{[]string{"info"}, []string{`^Username +demo$`, `^Merchant ID +` + h.demo.MerchantID + `$`, `^Public name +Demo Store$`}, nil},
		{[]string{"balances"}, []string{`^COIN +BALANCE$`, `^BTC +1\.50000000$`, `^LTCT +100\.00000000$`}, []string{`DOGE`}},
		{[]string{"balances", "--all"}, []string{`^BTC +1\.50000000$`, `^DOGE +0\.00000000$`}, nil},
		{[]string{"deposit-address", "btc"}, []string{`^Currency +BTC$`, `^Address +bc1q\w+$`}, nil},
		{[]string{"rates"}, []string{`^COIN +NAME +RATE \(BTC\) +TX FEE`, `^BTC +Bitcoin +1\.00000000 +0\.00010000 +2 +yes +yes +online`, `^TRX +TRON `}, nil},
		{[]string{"rates", "--accepted", "--short"}, []string{`^BTC +- +1\.00000000 +0\.00010000 +- +yes`}, []string{`TRX`}},
	}
	for _, tc := range tests {
		out := h.mustRun(tc.args...)
		for _, re := range tc.want {
			if !regexp.MustCompile(`(?m)` + re).MatchString(out) {
				t.Errorf("%v: no line matches %s in\n%s", tc.args, re, out)
			}
		}
		for _, s := range tc.notWant {
			if strings.Contains(out, s) {
				t.Errorf("%v: output holds %q:\n%s", tc.args, s, out)
			}
		}
	}
}

func TestInfoCommandsJSON(t *testing.T) {
	h := newHarness(t)

	var info core.BasicInfo
	decode(t, h.mustRun("info", "-o", "json"), &info)
	if info.MerchantID != h.demo.MerchantID || info.Username != "demo" {
		t.Errorf("info = %+v", info)
	}

	var bal core.Balances
	decode(t, h.mustRun("-o", "json", "balances"), &bal)
	want, err := h.srv.Balances(h.demo.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bal.Coins) != len(want) {
		t.Errorf("balances = %+v, want %v", bal.Coins, want)
	}
	for _, c := range bal.Coins {
		if want[c.Coin] != c.Amount.String() {
			t.Errorf("%s = %s, want %s", c.Coin, c.Amount, want[c.Coin])
		}
	}
	if out := h.mustRun("balances", "-o", "json"); !strings.Contains(out, `"amount": "1.50000000"`) {
		t.Errorf("amounts must be JSON strings:\n%s", out)
	}

	var dep core.DepositAddress
	decode(t, h.mustRun("deposit-address", "BTC", "-o", "json"), &dep)
	table := h.mustRun("deposit-address", "BTC")
	if dep.Currency != "BTC" || dep.Address == "" || !strings.Contains(table, dep.Address) {
		t.Errorf("deposit address %+v, table %s", dep, table)
	}

	var rates core.Rates
	decode(t, h.mustRun("rates", "--accepted", "-o", "json"), &rates)
	btc, ok := rates.Get("BTC")
	if !ok || btc.RateBTC != "1.00000000" || btc.Name != "Bitcoin" || !btc.Accepted {
		t.Errorf("BTC rate = %+v", btc)
	}
	if _, ok := rates.Get("TRX"); ok {
		t.Error("--accepted listed TRX, which is not accepted")
	}
}

func TestXMLWireFormatGivesTheSameOutput(t *testing.T) {
	h := newHarness(t)
	// rates carries last_update = the server's clock, which may tick between two calls.
	lastUpdate := regexp.MustCompile(`"last_update": "[^"]*"`)
	for _, args := range [][]string{
		{"info"}, {"balances", "--all"}, {"deposit-address", "ETH"}, {"rates"}, {"rates", "--short", "--accepted"},
	} {
		args = append(args, "-o", "json")
		j := h.mustRun(args...)
		x := h.mustRun(append(args, "--format", "xml")...)
		j = lastUpdate.ReplaceAllString(j, "")
		x = lastUpdate.ReplaceAllString(x, "")
		if j != x {
			t.Errorf("%v: json and xml differ:\njson: %s\nxml:  %s", args, j, x)
		}
	}
	// call prints the decoded tree; with xml every scalar is text.
	var m map[string]any
	decode(t, h.mustRun("--format", "xml", "call", "get_basic_info"), &m)
	if m["merchant_id"] != h.demo.MerchantID {
		t.Errorf("xml call result = %v", m)
	}
}
