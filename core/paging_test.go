package core_test

import (
	"context"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestPagedIteratorsFetchPageByPage(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qpage", AutoConfirm: core.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for w, err := range c.WithdrawalHistory(ctx, &core.ListParams{PageSize: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, w.ID)
	}
	if len(got) != 7 {
		t.Fatalf("got %d withdrawals, want 7", len(got))
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["get_withdrawal_history"]; n != 3 {
		t.Fatalf("%d history pages fetched, want 3 (3+3+1)", n)
	}
	// Stopping early stops fetching.
	for range c.WithdrawalHistory(ctx, &core.ListParams{PageSize: 3}) {
		break
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["get_withdrawal_history"]; n != 4 {
		t.Fatalf("breaking after the first item fetched %d pages in all, want 4", n)
	}
}
