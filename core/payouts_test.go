package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestMassWithdrawalPerItem(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	mw, err := c.CreateMassWithdrawal(ctx, []core.MassWithdrawalItem{
		{Key: "a", Amount: "0.1", Currency: "BTC", Address: "bc1qa", Note: core.String("a")},
		{Key: "b", Amount: "5000", Currency: "BTC", Address: "bc1qb"}, // more than the balance
		{Key: "c", Amount: "1", Currency: "LTC", Address: "Lc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := mw.Results
	if res[0].Withdrawal == nil || res[0].Withdrawal.ID == "" || res[1].Err == nil || res[2].Withdrawal == nil {
		t.Fatalf("results = %+v", res)
	}
	w, err := c.WithdrawalInfo(ctx, res[0].Withdrawal.ID)
	if err != nil || w.Amount.String() != "0.10000000" || w.SendAddress != "bc1qa" || w.Coin != "BTC" {
		t.Fatalf("info = %+v %v", w, err)
	}
}

func TestTransferAndConvert(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	other, err := e.sb.CreateAccount(sandbox.AccountSpec{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.CreateTransfer(ctx, &core.TransferParams{Amount: "0.5", Currency: "BTC", Merchant: core.String(other.MerchantID), AutoConfirm: core.Bool(true)})
	if err != nil || tr.ID == "" {
		t.Fatalf("transfer = %+v %v", tr, err)
	}
	bals, _ := e.sb.Balances(other.MerchantID)
	if bals["BTC"] != "0.50000000" {
		t.Fatalf("receiver balances = %v", bals)
	}
	cv, err := c.Convert(ctx, &core.ConvertParams{Amount: "0.1", From: "BTC", To: "LTC"})
	if err != nil || cv.ID == "" || cv.Response == nil {
		t.Fatalf("convert = %+v %v", cv, err)
	}
	bal, _ := c.Balances(ctx, nil)
	if bal.Get("BTC").String() != "0.90000000" {
		t.Fatalf("BTC after transfer and convert = %s", bal.Get("BTC"))
	}
	if _, err := c.CallbackAddress(ctx, "LTC", &core.CallbackAddressParams{Label: core.String("shop")}); err != nil {
		t.Fatal(err)
	}
}

// replayOnDrop stands for a browser's HTTP stack: when a request on a reused connection dies
// without an answer, it sends the same bytes again and hands back the second answer.
type replayOnDrop struct{ next core.Transport }

func (r replayOnDrop) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	res, err := r.next.RoundTrip(ctx, req)
	if err != nil && !core.IsNotSent(err) {
		return r.next.RoundTrip(ctx, req)
	}
	return res, err
}

func TestReplayedMoneyCallIsNotPaidTwice(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil), core.WithTransport(replayOnDrop{next: nethttp.New(nil)}))
	ctx := context.Background()
	c.Login(ctx)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.2", Currency: "BTC", Address: "bc1qreplay"})
	var ou *core.OutcomeUnknownError
	var ne *core.NonceError
	if !errors.As(err, &ou) || !errors.As(err, &ne) {
		t.Fatalf("err = %v, want outcome unknown wrapping the nonce refusal of the replayed copy", err)
	}
	n := 0
	for w, err := range c.WithdrawalHistory(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if w.SendAddress == "bc1qreplay" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d withdrawals, want exactly 1", n)
	}
	// Reads are still resent after a nonce refusal.
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
}

// An item the answer of create_mass_withdrawal says nothing about (Missing) may have been carried
// out: its error must say so (outcome_unknown, not retryable), not be an APIError, which a
// caller reads as "the API refused this payout" and sends again.
func TestMassWithdrawalMissingItemIsOutcomeUnknown(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	inner := nethttp.New(nil)
	drop := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		hr, err := inner.RoundTrip(ctx, r)
		if err == nil && strings.HasSuffix(r.URL, "/create_mass_withdrawal") {
			var m map[string]any
			if json.Unmarshal(hr.Body, &m) == nil {
				if res, ok := m["result"].(map[string]any); ok {
					delete(res, "b") // carried out, but the answer lost it
				}
				hr.Body, _ = json.Marshal(m)
			}
		}
		return hr, err
	})
	c := e.client(core.WithTransport(drop), core.WithOpStore(core.NewMemoryStore()))
	ctx := context.Background()
	mw, err := c.CreateMassWithdrawal(ctx, []core.MassWithdrawalItem{
		{Key: "a", Amount: "0.1", Currency: "BTC", Address: sandbox.TestAddress("BTC", 1), Note: core.String("a")},
		{Key: "b", Amount: "0.2", Currency: "BTC", Address: sandbox.TestAddress("BTC", 2), Note: core.String("b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := mw.Results[1]
	if !r.Missing || r.Err == nil {
		t.Fatalf("result b = %+v, want Missing", r)
	}
	var ou *core.OutcomeUnknownError
	if core.CodeOf(r.Err) != core.CodeOutcomeUnknown || core.IsRetryable(r.Err) || !errors.As(r.Err, &ou) {
		t.Fatalf("missing item's error = %T %v (code %s), want an OutcomeUnknownError", r.Err, r.Err, core.CodeOf(r.Err))
	}
	if ou.Ref["wd[b][amount]"] != "0.2" || ou.Ref["wd[b][address]"] != sandbox.TestAddress("BTC", 2) || ou.Ref["wd[a][amount]"] != "" {
		t.Fatalf("ref = %v, want the missing payout's fields", ou.Ref)
	}
	if qs := core.QueriesFromOutcome(ou, time.Now().Add(-time.Minute)); len(qs) != 1 || qs[0].Note != "b" {
		t.Fatalf("queries = %+v, want the missing payout's", qs)
	}
}

// A payout the answer of create_mass_withdrawal left out carries the batch's operation: its
// nonce, send time, deadline, operation id and store key. The batch was answered, so with nonces
// the batch's nonce is the fence: its QueriesFromOutcome reconcile at once, to a proven not_found
// when the payout was not carried out and to found when it was, never to "wait, cannot prove".
func TestMassWithdrawalMissingItemReconcilesAtOnceWithNonces(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	inner := nethttp.New(nil)
	var drop string // the payout the answer leaves out
	tr := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		hr, err := inner.RoundTrip(ctx, r)
		if err == nil && strings.HasSuffix(r.URL, "/create_mass_withdrawal") {
			var m map[string]any
			if json.Unmarshal(hr.Body, &m) == nil {
				if res, ok := m["result"].(map[string]any); ok {
					delete(res, drop)
				}
				hr.Body, _ = json.Marshal(m)
			}
		}
		return hr, err
	})
	// an hour's timeout and in-flight window: only a fence can settle it within the test
	c := e.client(core.WithTransport(tr), core.WithNonces(nil), core.WithOpStore(core.NewMemoryStore()),
		core.WithTimeout(time.Hour), core.WithInFlightWindow(time.Hour), core.WithFencePause(time.Millisecond))
	ctx := context.Background()
	for _, tc := range []struct {
		name, amount string // 5000 BTC: more than the balance, refused (not carried out)
		want         core.Verdict
	}{
		{"refused", "5000", core.NotFound},
		{"made", "0.2", core.Found},
	} {
		drop = "b"
		mw, err := c.CreateMassWithdrawal(ctx, []core.MassWithdrawalItem{
			{Key: "a", Amount: "0.01", Currency: "BTC", Address: sandbox.TestAddress("BTC", 1), Note: core.String("a-" + tc.name)},
			{Key: "b", Amount: tc.amount, Currency: "BTC", Address: sandbox.TestAddress("BTC", 2), Note: core.String("b-" + tc.name)},
		})
		if err != nil {
			t.Fatal(err)
		}
		var ou *core.OutcomeUnknownError
		if r := mw.Results[1]; !r.Missing || !errors.As(r.Err, &ou) {
			t.Fatalf("%s: result b = %+v, want Missing with an OutcomeUnknownError", tc.name, r)
		}
		if ou.OpID == "" || ou.Nonce <= 0 || ou.SentAt.IsZero() || ou.Deadline.IsZero() || ou.StoreKey != c.StoreKey() {
			t.Fatalf("%s: outcome unknown = %+v, want the batch's op id, nonce, send time, deadline and store key", tc.name, ou)
		}
		qs := core.QueriesFromOutcome(ou, time.Now().Add(-time.Minute))
		if len(qs) != 1 {
			t.Fatalf("%s: queries = %+v", tc.name, qs)
		}
		r, err := c.Reconcile(ctx, qs[0])
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != tc.want || !r.Proven {
			t.Fatalf("%s: reconcile = %s (proven %v): %s, want %s, proven", tc.name, r.Verdict, r.Proven, r.Detail, tc.want)
		}
	}
}

// A destination tag on a coin whose addresses take none is refused before anything is sent: it is
// a mistake (a memo meant for the note), and as part of the destination it made the same
// withdrawal made again with it look unlike the first (no possible-duplicate question). A coin
// with tags (XRP) keeps it, and an empty tag is no tag.
func TestADestinationTagOnACoinWithoutTagsIsRefused(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	addr := "tltc1qtagless"
	tag := "abc"
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "ltct", Address: addr, DestTag: &tag})
	var ve *core.ValidationError
	if !errors.As(err, &ve) || ve.Field != "dest_tag" || !strings.Contains(ve.Error(), "LTCT addresses take no destination tag") {
		t.Fatalf("LTCT with a tag: %v, want a dest_tag ValidationError", err)
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["create_withdrawal"]; n != 0 {
		t.Fatalf("%d create_withdrawal reached the API, want 0", n)
	}
	empty := ""
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "LTCT", Address: addr, DestTag: &empty, Note: &tag}); err != nil {
		t.Fatalf("LTCT with an empty tag: %v", err)
	}
}

// A money command's answer that is neither "ok" nor a plain refusal (an error text and nothing
// made) may come from an API that acted: an empty or non-text "error", or a refusal that names a
// withdrawal id. It is an outcome unknown, never "refused, safe to send again"; a plain refusal
// stays one, and so does a read's empty error.
func TestAnUnclearRefusalOfAMoneyCommandIsOutcomeUnknown(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	inner := nethttp.New(nil)
	var body string // what the API "answers" instead, after carrying the call out
	rewrite := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		hr, err := inner.RoundTrip(ctx, r)
		if err == nil && body != "" && !strings.HasSuffix(r.URL, "/login") {
			hr.Body = []byte(body)
		}
		return hr, err
	})
	ctx := context.Background()
	wd := func(note string) error {
		c := e.client(core.WithTransport(rewrite), core.WithOpStore(core.NewMemoryStore()))
		_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: sandbox.TestAddress("BTC", 7), Note: core.String(note), AutoConfirm: core.Bool(true)})
		return err
	}
	for i, tc := range []struct {
		body string
		want core.ErrorCode
	}{
		{`{"error":"","result":[]}`, core.CodeOutcomeUnknown},
		{`{"error":null,"result":[]}`, core.CodeOutcomeUnknown},
		{`{"error":0}`, core.CodeOutcomeUnknown},
		{`{"error":"Insufficient funds","result":{"id":"CWXYZ","status":1}}`, core.CodeOutcomeUnknown},
		{`{"error":"Insufficient funds","result":"CWXYZ"}`, core.CodeOutcomeUnknown},
		{`{"error":"Insufficient funds","result":[]}`, core.CodeAPIError},
		{`{"error":"Insufficient funds","result":{}}`, core.CodeAPIError},
		{`{"error":"Insufficient funds"}`, core.CodeAPIError},
	} {
		body = tc.body
		err := wd("unclear-" + strconv.Itoa(i))
		if got := core.CodeOf(err); got != tc.want {
			t.Errorf("answer %s: %v (code %s), want code %s", tc.body, err, got, tc.want)
		}
		if tc.want == core.CodeOutcomeUnknown && core.IsRetryable(err) {
			t.Errorf("answer %s: an outcome unknown must not be retryable", tc.body)
		}
	}
	// a read's empty error is its own: nothing was carried out
	body = `{"error":"","result":[]}`
	c := e.client(core.WithTransport(rewrite))
	if _, err := c.Balances(ctx, nil); core.CodeOf(err) == core.CodeOutcomeUnknown || err == nil {
		t.Fatalf("a read answered with an empty error: %v, want an API error", err)
	}
	// a mass withdrawal's item: refused plainly, refused naming an id, refused with no reason
	body = `{"error":"ok","result":{"a":{"error":"Invalid address"},"b":{"error":"Invalid address","id":"CWB"},"c":{"error":""}}}`
	c = e.client(core.WithTransport(rewrite), core.WithOpStore(core.NewMemoryStore()))
	mw, err := c.CreateMassWithdrawal(ctx, []core.MassWithdrawalItem{
		{Key: "a", Amount: "0.1", Currency: "BTC", Address: sandbox.TestAddress("BTC", 1), Note: core.String("a")},
		{Key: "b", Amount: "0.2", Currency: "BTC", Address: sandbox.TestAddress("BTC", 2), Note: core.String("b")},
		{Key: "c", Amount: "0.3", Currency: "BTC", Address: sandbox.TestAddress("BTC", 3), Note: core.String("c")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []core.ErrorCode{core.CodeAPIError, core.CodeOutcomeUnknown, core.CodeOutcomeUnknown} {
		if got := core.CodeOf(mw.Results[i].Err); got != want {
			t.Errorf("item %s: %v (code %s), want %s", mw.Results[i].Key, mw.Results[i].Err, got, want)
		}
	}
	var ou *core.OutcomeUnknownError
	if !errors.As(mw.Results[1].Err, &ou) || ou.Ref["wd[b][amount]"] != "0.2" {
		t.Fatalf("item b's outcome unknown names %v, want its own fields", ou)
	}
}

// The one rule for what a withdrawal debits and what its address receives (the CLI's review).
func TestSplitWithdrawal(t *testing.T) {
	amt, fee := core.MustParseAmount("0.01"), core.MustParseAmount("0.0001")
	s, err := core.SplitWithdrawal(amt, &fee, false)
	if err != nil || s.Debited.String() != "0.01000000" || s.Received.String() != "0.00990000" {
		t.Errorf("fee taken out: %+v %v", s, err)
	}
	s, err = core.SplitWithdrawal(amt, &fee, true)
	if err != nil || s.Debited.String() != "0.01010000" || s.Received.String() != "0.01000000" {
		t.Errorf("fee added on top: %+v %v", s, err)
	}
	s, err = core.SplitWithdrawal(amt, nil, false)
	if err != nil || s.Debited.String() != "0.01000000" || s.Received != nil || s.Fee != nil {
		t.Errorf("fee not known, taken out: %+v %v", s, err)
	}
	s, err = core.SplitWithdrawal(amt, nil, true)
	if err != nil || s.Debited != nil || s.Received.String() != "0.01000000" {
		t.Errorf("fee not known, added on top: %+v %v", s, err)
	}
	if _, err := core.SplitWithdrawal(fee, &fee, false); err == nil {
		t.Error("an amount equal to the fee taken out of it: no error")
	}
	zero := core.MustParseAmount("0")
	s, err = core.SplitWithdrawal(amt, &zero, false)
	if err != nil || s.Fee != nil || s.Received != nil || s.Debited.String() != "0.01000000" {
		t.Errorf("a fee of zero (a coin rates lists without one) is not known: %+v %v", s, err)
	}
}

// A withdrawal's default note: "wk:" and 10 hex digits, a new one each time.
func TestNewReference(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		r := core.NewReference()
		if len(r) != 13 || !strings.HasPrefix(r, "wk:") || strings.Trim(r[3:], "0123456789abcdef") != "" || seen[r] {
			t.Fatalf("reference %q (seen before: %v)", r, seen[r])
		}
		seen[r] = true
	}
}
