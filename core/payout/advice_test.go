package payout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core/payout"
)

// The CLI's sentences, word for word: mass-withdraw prints them and its tests read them.
func TestAdviceSayCLI(t *testing.T) {
	until := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	cases := []struct {
		a    payout.Advice
		want string
	}{
		{payout.Advice{Step: payout.StepDone}, "every payout is sent"},
		{payout.Advice{Step: payout.StepWait, Count: 3, Until: until}, "3 payout(s) may still be on their way and no nonce fence covers them, so they cannot be settled before 2026-01-02T15:04:05Z: run it again after that time; they are never sent twice"},
		{payout.Advice{Step: payout.StepReconcile, Count: 2}, "2 payout(s) have an unknown outcome: run it again to reconcile them (it is safe at once: they are looked up, never sent twice)"},
		{payout.Advice{Step: payout.StepCheck, Count: 2, Lines: []int{4, 9}}, "2 payout(s) are ambiguous (lines 4, 9): check them in the withdrawal history; they are never sent again by this tool"},
		{payout.Advice{Step: payout.StepRetry, Count: 1, Lines: []int{7}}, "1 payout(s) were refused (lines 7; nothing moved): fix the cause, then retry them"},
		{payout.Advice{Step: payout.StepSend, Count: 5}, "5 payout(s) are not sent yet: run it again to send them"},
		{payout.Advice{}, ""},
	}
	for _, c := range cases {
		if got := c.a.Say(payout.CLI); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.a.Step, got, c.want)
		}
	}
}

// Another host's verbs and clock go into the same sentences.
func TestAdviceSayOtherHost(t *testing.T) {
	w := payout.Wording{Again: "press Resume", AgainLater: "press Check again after that time", Retry: "press Retry refused rows",
		Tool: "this console", Time: func(t time.Time) string { return t.Format("15:04:05") }}
	until := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		a    payout.Advice
		want string
	}{
		{payout.Advice{Step: payout.StepWait, Count: 1, Until: until}, "1 payout(s) may still be on their way and no nonce fence covers them, so they cannot be settled before 15:04:05: press Check again after that time; they are never sent twice"},
		{payout.Advice{Step: payout.StepReconcile, Count: 2}, "2 payout(s) have an unknown outcome: press Resume to reconcile them (it is safe at once: they are looked up, never sent twice)"},
		{payout.Advice{Step: payout.StepCheck, Count: 1, Lines: []int{3}}, "1 payout(s) are ambiguous (lines 3): check them in the withdrawal history; they are never sent again by this console"},
		{payout.Advice{Step: payout.StepRetry, Count: 1, Lines: []int{7}}, "1 payout(s) were refused (lines 7; nothing moved): fix the cause, then press Retry refused rows"},
		{payout.Advice{Step: payout.StepSend, Count: 5}, "5 payout(s) are not sent yet: press Resume to send them"},
	} {
		if got := c.a.Say(w); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.a.Step, got, c.want)
		}
	}
}

// A run's advice follows its rows, and Summary.Next is the advice in the CLI's words.
func TestRunAdvice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 12, "advice")
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a := r.Advice(); a.Step != payout.StepSend || a.Count != 12 {
		t.Fatalf("fresh file: %+v", a)
	}
	c := e.client(true)
	if _, err := r.Step(ctx, c, payout.StepOptions{Batch: 5}); err != nil { // the first look-up
		t.Fatal(err)
	}
	if a := r.Advice(); a.Step != payout.StepHold || a.Count != 12 || a.Until.IsZero() {
		t.Fatalf("after the first look-up: %+v", a)
	}
	if s := r.Summary(); s.Held != 12 || !strings.Contains(s.Next, "12 payout(s) are held until ") {
		t.Fatalf("after the first look-up: %+v", s)
	}
	sendNext(t, ctx, r, c, 5, nil) // one batch of 5
	a := r.Advice()
	if a.Step != payout.StepSend || a.Count != 7 {
		t.Fatalf("after one batch: %+v", a)
	}
	if s := r.Summary(); s.Next != a.Say(payout.CLI) || s.Next != "7 payout(s) are not sent yet: run it again to send them" {
		t.Fatalf("Summary.Next = %q", s.Next)
	}
	r.Close()
	if s := follow(t, ctx, f, j, c, 5); !s.Done {
		t.Fatalf("not done: %+v", s)
	}
	r, err = payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if a := r.Advice(); a.Step != payout.StepDone {
		t.Fatalf("done file: %+v", a)
	}
}
