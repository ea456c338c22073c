package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
)

// deadlineOnly is an upstream context whose deadline is set but whose cancel has not come yet:
// the Worker's host cancels it with its own timer, and the key's sequencer, which bounds its
// fetch by the same deadline, can answer "no answer came back" first.
type deadlineOnly struct {
	context.Context
	at time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.at, true }

// A read whose upstream call failed once its deadline had passed is a 504 timeout, whether the
// host's cancel or the sequencer's own timer came first (CI once saw a 502 from that race); before
// the deadline the same failure is the transport error it is.
func TestReadFailureAtTheDeadlineIsATimeout(t *testing.T) {
	g := &Gateway{}
	sendErr := &core.TransportError{Cmd: "get_basic_info", Err: errors.New("the request was sent but no answer came back: The operation was aborted due to timeout")}
	for _, tc := range []struct {
		name     string
		upstream context.Context
		status   int
		code     string
	}{
		{"deadline passed, not cancelled yet", deadlineOnly{context.Background(), time.Now().Add(-time.Millisecond)}, 504, "timeout"},
		{"deadline ahead", deadlineOnly{context.Background(), time.Now().Add(time.Minute)}, 502, "transport"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := g.apiFailure(&Request{Upstream: tc.upstream}, nil, "get_basic_info", sendErr)
			if m := decode(t, res); res.Status != tc.status || m["code"] != tc.code || m["retryable"] != true {
				t.Fatalf("status %d %v, want %d %s retryable", res.Status, m, tc.status, tc.code)
			}
		})
	}
}

// An outcome_unknown answer's reconcile body of a withdrawal sent with add_tx_fee says so, and
// /v1/reconcile reads it back: the history may list that withdrawal with the fee added, and
// compared with the amount alone it was "not found".
func TestReconcileBodyKeepsAddTxFee(t *testing.T) {
	q := core.QueriesFromOutcome(&core.OutcomeUnknownError{Cmd: "create_withdrawal",
		Ref: map[string]string{"amount": "0.1", "currency": "BTC", "address": "bc1qx", "add_tx_fee": "1"}}, time.Now())[0]
	back, res := parseReconcileQuery(gjson.ParseBytes(queryJSON(&q, "")))
	if res != nil || !back.AddTxFee {
		t.Fatalf("read back %+v (%v), want add_tx_fee", back, res)
	}
}
