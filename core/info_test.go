package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/xmlwire"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestInformationalCommands(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()

	info, err := c.BasicInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.MerchantID != e.demo.MerchantID || info.Username != e.demo.Username {
		t.Fatalf("info = %+v, want merchant %s", info, e.demo.MerchantID)
	}
	if len(info.Response.Body) == 0 {
		t.Fatal("raw body missing")
	}

	if err := e.sb.SetBalances(e.demo.MerchantID, map[string]string{"BTC": "0.00000001", "LTC": "21000000.00000000", "ETH": "0"}); err != nil {
		t.Fatal(err)
	}
	bal, err := c.Balances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := bal.Get("BTC").String(); got != "0.00000001" {
		t.Errorf("BTC = %s", got)
	}
	if got := bal.Get("LTC").String(); got != "21000000.00000000" {
		t.Errorf("LTC = %s", got)
	}
	for _, b := range bal.Coins {
		if b.Coin == "ETH" {
			t.Error("zero balance listed without all=1")
		}
	}
	all, err := c.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Coins) <= len(bal.Coins) {
		t.Errorf("all=1 listed %d coins, without %d", len(all.Coins), len(bal.Coins))
	}

	a1, err := c.DepositAddress(ctx, "btc")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.DepositAddress(ctx, "BTC")
	if err != nil || a1.Address == "" || a1.Address != a2.Address {
		t.Fatalf("deposit address not stable: %q %q %v", a1.Address, a2.Address, err)
	}
	if _, err := c.DepositAddress(ctx, "NOPE1"); err == nil {
		t.Fatal("unknown coin accepted")
	}
	if _, err := c.DepositAddress(ctx, "B TC"); !isValidation(err) {
		t.Fatalf("bad ticker: %v, want ValidationError before sending", err)
	}

	rates, err := c.Rates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	btc, ok := rates.Get("BTC")
	if !ok || btc.RateBTC != "1" && !strings.HasPrefix(string(btc.RateBTC), "1") || btc.Name == "" {
		t.Fatalf("BTC rate = %+v", btc)
	}
	accepted, err := c.Rates(ctx, &core.RatesParams{Accepted: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range accepted.Coins {
		if !r.Accepted {
			t.Errorf("accepted=1 listed %s which is not accepted", r.Coin)
		}
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.Logins != 1 {
		t.Errorf("logins = %d, want 1 for %d calls", st.Logins, st.Calls)
	}
}

func TestXMLAndJSONDecodeToSameValues(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	if err := e.sb.SetBalances(e.demo.MerchantID, map[string]string{"BTC": "0.00000001", "LTC": "21000000.00000000"}); err != nil {
		t.Fatal(err)
	}
	j := e.client()
	x := e.client(core.WithWireFormat("xml", xmlwire.ToJSON))
	jb, err := j.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		t.Fatal(err)
	}
	xb, err := x.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(xb.Response.Body), "<?xml") {
		t.Fatalf("xml client got %q", xb.Response.Body[:20])
	}
	if fmt.Sprint(jb.Coins) != fmt.Sprint(xb.Coins) {
		t.Fatalf("json %v\nxml  %v", jb.Coins, xb.Coins)
	}
	ji, _ := j.BasicInfo(ctx)
	xi, err := x.BasicInfo(ctx)
	if err != nil || ji.MerchantID != xi.MerchantID || ji.PublicName != xi.PublicName || ji.Email != xi.Email {
		t.Fatalf("info differs: %+v %+v %v", ji, xi, err)
	}
	jr, _ := j.Rates(ctx, nil)
	xr, err := x.Rates(ctx, nil)
	if err != nil || len(jr.Coins) == 0 || len(jr.Coins) != len(xr.Coins) {
		t.Fatalf("rates differ: %v", err)
	}
	// last_update is the sandbox's clock at each answer: two answers a second apart differ there
	for i := range jr.Coins {
		if jr.Coins[i].LastUpdate.IsZero() || xr.Coins[i].LastUpdate.IsZero() || xr.Coins[i].LastUpdate.Sub(jr.Coins[i].LastUpdate) > 5*time.Second {
			t.Fatalf("last_update of %s: %v (json), %v (xml)", jr.Coins[i].Coin, jr.Coins[i].LastUpdate, xr.Coins[i].LastUpdate)
		}
		jr.Coins[i].LastUpdate, xr.Coins[i].LastUpdate = time.Time{}, time.Time{}
	}
	if fmt.Sprint(jr.Coins) != fmt.Sprint(xr.Coins) {
		t.Fatalf("rates differ:\njson %v\nxml  %v", jr.Coins, xr.Coins)
	}
	// An API error arrives the same way in both formats.
	_, jerr := j.Call(ctx, "get_deposit_address", core.Fields{"currency": "NOPE1"})
	_, xerr := x.Call(ctx, "get_deposit_address", core.Fields{"currency": "NOPE1"})
	if jerr == nil || xerr == nil || jerr.Error() != xerr.Error() {
		t.Fatalf("errors differ: %v / %v", jerr, xerr)
	}
}

func TestDecodeBalances200Exact(t *testing.T) {
	bal, err := core.DecodeBalances(core.ParseValue(balances200()).Get("result"))
	if err != nil || len(bal.Coins) != 200 {
		t.Fatal(err)
	}
	if got := bal.Get("C199").Units(); got != 199*123456789+1 {
		t.Fatalf("C199 = %d", got)
	}
}
