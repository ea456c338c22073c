package core

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/internal/errtext"
)

// Verdict is what Reconcile concluded.
type Verdict string

const (
	Found     Verdict = "found"     // exactly one operation matches: it was carried out
	NotFound  Verdict = "not_found" // nothing matches, and (see ReconcileResult.Proven) nothing can land any more
	Ambiguous Verdict = "ambiguous" // several match, or the API cannot tell: ask a person
	// InFlight: nothing matches yet, but no nonce fence covers the original (no nonces, or a query
	// by fields of a request another key or tool may have sent), so nothing proves it cannot
	// still arrive (a network may hold it): wait until ReconcileResult.Until, and never send it
	// again before then.
	InFlight Verdict = "in_flight"
)

// DefaultReconcileSlack is how far before Since a search reaches by default. Since comes from this
// machine's clock (the time a request left) while the API dates its history by its own: a clock
// that ran ahead by more than the slack would search from after the operation was created, miss
// it, and (with the fence) call that proven. An hour covers a badly set clock; reading more
// history costs little, and a search that reaches its item limit is ambiguous, never not_found.
const DefaultReconcileSlack = time.Hour

// ReconcileQuery describes an operation whose outcome is unknown.
type ReconcileQuery struct {
	Cmd      string // create_withdrawal, create_transfer, create_mass_withdrawal or create_transaction
	Amount   string
	Currency string // coin (create_transaction: currency2)
	// Currency2, for a withdrawal priced in another currency: the amount then says nothing about
	// the coins sent, so matching relies on coin, address and note.
	Currency2 string
	// AddTxFee, for a withdrawal sent with add_tx_fee=1: the coin's fee was added to it, and the
	// history may list the amount with the fee (a larger amount is a possible match, never proof
	// of another withdrawal).
	AddTxFee bool
	Address  string // destination address (withdrawals, transfers to an address)
	Merchant string // destination merchant (transfers)
	Note     string
	Invoice  string // create_transaction
	Custom   string // create_transaction
	// Since bounds the search: operations created before Since minus Slack are ignored.
	Since time.Time
	// Slack widens the window for clock skew (default DefaultReconcileSlack).
	Slack time.Duration
	// Exclude lists ids already accounted for (e.g. other rows of the same payout file).
	Exclude map[string]bool
	// MaxItems bounds how far back the search pages (default 500; payments: at most 100). A
	// search that stops at it with more items in its window finds nothing "not found": what it
	// did not find is ambiguous.
	MaxItems int

	// What the original request was (from OutcomeUnknownError or an Op), for the proof that it
	// can no longer land:
	//
	// Nonce is the nonce it carried, on this client's API key: the fence goes above it and proves
	// a miss at once. 0 (unknown) means the fence proves nothing about it: it may have been sent
	// with another key (nonces are per key), or by a tool whose nonces ran ahead of this one's,
	// so a miss is only final once its in-flight bound has passed, as without nonces.
	Nonce int64
	// SentWith is the store key (Client.StoreKey: API URL and public key) of the client that sent
	// the original, when known (a tool's own operation record; OutcomeUnknownError.StoreKey). The
	// fence settles it only when it is this client's: then with its Nonce, or without one (0: it
	// carried none, and a key that has sent a nonce must send one on every later call, spec §4,
	// so a late copy without one is refused too). Another key's: the fence says nothing of it.
	// Empty: a Nonce given is taken to be this key's.
	SentWith string

	SentAt   time.Time // when it left (zero: unknown, taken to be now, the latest it can have left)
	Deadline time.Time // when its client stopped waiting (zero: SentAt plus the client's timeout)
	// GatewayClosed: it went through a wallexkit edge gateway, and CloseAtGateway closed its
	// Idempotency-Key there (true only from CloseAtGateway's answer): no copy of it still on the
	// network can land, so the history read now is final for it, as after a nonce fence. (The
	// history still decides: "the gateway had no record of the key" is not proof by itself that
	// it was never sent, for a gateway's records can be lost.)
	GatewayClosed bool
}

// ReconcileResult is Reconcile's answer.
type ReconcileResult struct {
	Verdict     Verdict          `json:"verdict"`
	Withdrawals []WithdrawalInfo `json:"withdrawals,omitempty"`
	TxnIDs      []string         `json:"txn_ids,omitempty"`
	Detail      string           `json:"detail"`
	// Proven is true when the verdict cannot change any more: found, or a not_found after a
	// nonce fence (the API refuses any late copy of the original). A not_found without nonces is
	// not proven: it only says the in-flight window has passed.
	Proven bool `json:"proven"`
	// Until, for in_flight: the time after which the original request can no longer be in its
	// client's hands (its deadline plus the in-flight window).
	Until time.Time `json:"until,omitzero"`
	// AssumedSentAt, for an in_flight verdict of a query that gave no send time: the time the wait
	// counted from (the look's own time: the original left before it). Ask again with it as the
	// query's SentAt: asked without one, the wait counts from then again and never ends.
	AssumedSentAt time.Time `json:"assumed_sent_at,omitzero"`
	// NoRecord, from ReconcileOp: the store holds no record of the operation, so the not_found
	// is about the clients using this store only (another store, such as another state file,
	// knows nothing of its operations).
	NoRecord bool `json:"no_record,omitempty"`
	// fenced: a fence covered the query (the nonce fence, or the gateway's closed key), so no copy
	// of the original can be carried out any more, whatever the verdict: an ambiguous one is then
	// for a person to settle at once (ReconcileOp records it, Op.Fenced, and ForgetOp no longer
	// waits out the in-flight bound).
	fenced bool
}

// Final reports whether the operation is settled: found, or not found for good (whether proven
// by a fence or only by the passing of the in-flight window).
func (r *ReconcileResult) Final() bool { return r.Verdict == Found || r.Verdict == NotFound }

// QueriesFromOutcome turns an OutcomeUnknownError into reconcile queries (one per payout of a
// mass withdrawal), with what the fence needs (nonce, sent time, deadline, the key that sent it).
func QueriesFromOutcome(ou *OutcomeUnknownError, since time.Time) []ReconcileQuery {
	qs := queriesFromRef(ou.Cmd, ou.Ref, since)
	for i := range qs {
		qs[i].Nonce, qs[i].SentAt, qs[i].Deadline, qs[i].SentWith = ou.Nonce, ou.SentAt, ou.Deadline, ou.StoreKey
	}
	return qs
}

func queriesFromRef(cmd string, r map[string]string, since time.Time) []ReconcileQuery {
	if cmd == "create_mass_withdrawal" {
		byKey := map[string]*ReconcileQuery{}
		var order []string
		for _, k := range sortedKeys(r) {
			rest, ok := strings.CutPrefix(k, "wd[")
			if !ok {
				continue
			}
			key, field, ok := strings.Cut(rest, "][")
			if !ok {
				continue
			}
			field = strings.TrimSuffix(field, "]")
			q := byKey[key]
			if q == nil {
				q = &ReconcileQuery{Cmd: cmd, Since: since}
				byKey[key] = q
				order = append(order, key)
			}
			switch field {
			case "amount":
				q.Amount = r[k]
			case "currency":
				q.Currency = r[k]
			case "address":
				q.Address = r[k]
			case "note":
				q.Note = r[k]
			case "currency2":
				q.Currency2 = r[k]
			case "add_tx_fee":
				q.AddTxFee = r[k] == "1"
			}
		}
		out := make([]ReconcileQuery, 0, len(order))
		for _, k := range order {
			out = append(out, *byKey[k])
		}
		return out
	}
	q := ReconcileQuery{Cmd: cmd, Amount: r["amount"], Currency: r["currency"], Address: r["address"],
		Merchant: r["merchant"], Note: r["note"], Invoice: r["invoice"], Custom: r["custom"], Since: since}
	switch cmd {
	case "create_transaction":
		q.Currency = r["currency2"]
	case "convert":
		q.Currency = r["from"]
	default:
		q.Currency2, q.AddTxFee = r["currency2"], r["add_tx_fee"] == "1"
	}
	if q.Address == "" {
		q.Address = r["toaddress"]
	}
	return []ReconcileQuery{q}
}

// listedNowhere reports whether no history lists q's operation (a conversion, a transfer to a
// merchant): Reconcile answers ambiguous, and once no copy can land a person settles it by the
// balances.
func (q *ReconcileQuery) listedNowhere() bool {
	return q.Cmd == "convert" || q.Cmd == "create_transfer" && q.Address == ""
}

// ListedNowhere reports whether no history lists the operation cmd with the fields ref (an Op's
// Ref): a conversion or a transfer to a merchant. Reconcile answers ambiguous for it; a person
// settles it by the balances and forgets its record (ForgetOp).
func ListedNowhere(cmd string, ref map[string]string) bool {
	qs := queriesFromRef(cmd, ref, time.Time{})
	return len(qs) == 1 && qs[0].listedNowhere()
}

// Reconcile looks an operation of unknown outcome up in the account's history: withdrawals
// (and transfers to an address) in the withdrawal history, payments in the transaction list.
// It only reads; it never sends the operation again.
//
// A "not found" is only believed once the original request can no longer land:
//
//   - With nonces (WithNonces) Reconcile first completes a call whose nonce is above the
//     original's (the fence). The API takes a nonce only if it is greater than every nonce the
//     key used before (spec §4), so once the fence has been carried out a late copy of the
//     original is refused. The API's check is not atomic, so a copy that arrives while the fence
//     itself is being processed could still pass: the history is read after the fence returns
//     and once more after WithFencePause, and only a miss in both is a not_found (Proven).
//   - Without nonces nothing proves it: a network can hold a request and deliver it late. Until
//     the original's deadline plus WithInFlightWindow the verdict is in_flight (with Until),
//     never not_found; after that, a not_found is reported with Proven false.
//
// The fence proves the point only for a request of this client's key whose nonce is below the
// fence's, so it proves a miss only when the query's Nonce says what the original carried (the
// fence goes above it). A query without it (an operation described by its fields, which another
// tool, key or machine may have sent with a nonce above this one's) is treated as without
// nonces: in_flight until its in-flight bound, then not_found, not proven.
func (c *Client) Reconcile(ctx context.Context, q ReconcileQuery) (*ReconcileResult, error) {
	rs, err := c.ReconcileAll(ctx, []ReconcileQuery{q})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// ReconcileAll reconciles several operations at once (the rows of a payout file) with one fence
// and one pass over each history. A history item matches at most one query, in order.
func (c *Client) ReconcileAll(ctx context.Context, qs []ReconcileQuery) ([]*ReconcileResult, error) {
	qs = append([]ReconcileQuery(nil), qs...) // defaults and the clock's widening below are this call's
	out := make([]*ReconcileResult, len(qs))
	var (
		wd, tx       []int // indexes of queries searched in each history
		blind        []int // queries no history lists (convert, a transfer to a merchant)
		floor        int64
		winWd, winTx searchWindow
		maxWd, maxTx int
	)
	for i := range qs {
		q := &qs[i]
		if q.Slack == 0 {
			q.Slack = DefaultReconcileSlack
		}
		if s := q.SentAt.Add(-time.Minute); !q.SentAt.IsZero() && !q.Since.IsZero() && s.Before(q.Since) {
			// a window that opens after the original left would not find it
			q.Since = s
		}
		if q.MaxItems <= 0 {
			q.MaxItems = 500
		}
		switch q.Cmd {
		case "create_withdrawal", "create_mass_withdrawal", "create_transfer":
			if q.listedNowhere() {
				out[i] = &ReconcileResult{Verdict: Ambiguous, Detail: "a transfer to another merchant is an internal ledger move that the API lists nowhere: compare your balance, or ask the receiving merchant, before sending it again"}
				blind = append(blind, i)
				floor = max(floor, q.Nonce)
				continue
			}
			if err := checkWithdrawalQuery(q); err != nil {
				return nil, err
			}
			wd = append(wd, i)
			maxWd = max(maxWd, q.MaxItems)
		case "create_transaction":
			if q.Invoice == "" && q.Custom == "" {
				out[i] = &ReconcileResult{Verdict: Ambiguous, Detail: "set invoice or custom on create_transaction so a payment can be found again"}
				continue
			}
			tx = append(tx, i)
			maxTx = max(maxTx, q.MaxItems)
		case "convert":
			out[i] = &ReconcileResult{Verdict: Ambiguous, Detail: "the API has no conversion history: compare your balances before converting again"}
			blind = append(blind, i)
			floor = max(floor, q.Nonce)
			continue
		default:
			return nil, &ValidationError{Field: "cmd", Value: q.Cmd, Problem: "Reconcile knows create_withdrawal, create_mass_withdrawal, create_transfer, create_transaction and convert"}
		}
		floor = max(floor, q.Nonce)
	}
	if len(wd) == 0 && len(tx) == 0 && len(blind) == 0 {
		return out, nil
	}
	fenced := c.cfg.nonces != nil
	if fenced {
		ctx = withFence(ctx) // the fence and the reads after it (Request.Fence)
		// The fence: one completed nonce-bearing call above the original's nonce.
		cmd := "get_withdrawal_history"
		if len(wd) == 0 {
			cmd = "get_tx_ids"
		}
		if _, err := c.Call(withNonceFloor(ctx, floor), cmd, Fields{"limit": "1"}); err != nil {
			return nil, errtext.Prefix("wallex reconcile: the fence call failed, nothing is concluded: ", err)
		}
	} else if (len(wd) > 0 || len(tx) > 0) && !c.ahead.known.Load() {
		// No answer of the API seen yet (a token from the store, no login): one short read
		// first, for its Date.
		cmd := "get_withdrawal_history"
		if len(wd) == 0 {
			cmd = "get_tx_ids"
		}
		if _, err := c.Call(ctx, cmd, Fields{"limit": "1"}); err != nil {
			return nil, errtext.Prefix("wallex reconcile: cannot read the history, nothing is concluded: ", err)
		}
	}
	// The send times are this machine's clock, the history's the API's: a clock ahead of the
	// API's by more than the slack would search from after the original was created and miss it
	// (after the fence, "proven"). Widen by how far ahead it is (the last answer's Date header:
	// the fence's, or without nonces the login's or an earlier call's).
	ahead := c.ahead.get()
	for _, i := range wd {
		qs[i].Slack += ahead
		winWd.add(&qs[i])
	}
	for _, i := range tx {
		qs[i].Slack += ahead
		winTx.add(&qs[i])
	}
	search := func() error {
		if len(wd) > 0 {
			if err := c.matchWithdrawals(ctx, qs, wd, out, winWd.newer(), maxWd); err != nil {
				return err
			}
		}
		if len(tx) > 0 {
			if err := c.matchTransactions(ctx, qs, tx, out, winTx.newer(), maxTx); err != nil {
				return err
			}
		}
		return nil
	}
	// Without a fence "not found" needs a history read that began after the original's in-flight
	// bound: one that began inside it (the original still held by the network) may not list it,
	// though it landed before the read ended (a slow history, many pages, a paused process).
	// So the wait is judged by the clock when the reads began, not when they ended.
	now := c.cfg.now()
	if err := search(); err != nil {
		return nil, err
	}
	missing := func() bool {
		for _, i := range append(append([]int(nil), wd...), tx...) {
			if out[i].Verdict == NotFound {
				return true
			}
		}
		return false
	}
	closed := false
	for i := range qs {
		closed = closed || qs[i].GatewayClosed
	}
	if (fenced || closed) && missing() {
		// A copy processed together with the fence shows up now, or never.
		if err := c.cfg.sleep(ctx, c.cfg.fencePause); err != nil {
			return nil, err
		}
		if err := search(); err != nil {
			return nil, err
		}
	}
	// What no history lists is settled by a person comparing balances, which tells only once the
	// original can no longer be carried out: after the fence, or (without nonces) after its
	// in-flight bound. Before that, a balance that has not moved yet invites sending it again.
	covered := func(q *ReconcileQuery) bool { return fenced && c.fenceCovers(q) || q.GatewayClosed }
	for _, i := range blind {
		if covered(&qs[i]) {
			out[i].Detail += "; " + fenceRan(&qs[i]) + ", so a late copy of the original can no longer be carried out and your balances show whether it was"
		} else {
			c.waitInFlight(out[i], &qs[i], now, fenced, "no history lists it", ", then compare your balances before sending it again")
		}
	}
	for _, i := range append(append([]int(nil), wd...), tx...) {
		r, q := out[i], &qs[i]
		if r.Verdict == NotFound && q.Cmd == "create_transfer" {
			// A transfer is an internal ledger move when the coin allows (spec §7.3): to an
			// address of another Wallex account too, and no history lists those. Settled as a
			// transfer to a merchant: by the balances, once the original can no longer land.
			r.Verdict = Ambiguous
			r.Detail += ", but a transfer to an address of another Wallex account is an internal ledger move that the API lists nowhere: compare your balance, or ask the receiver, before sending it again"
			if covered(q) {
				r.Detail += "; " + fenceRan(q) + ", so a late copy of the original can no longer be carried out and your balance shows whether it was"
			} else {
				c.waitInFlight(r, q, now, fenced, "not in the withdrawal history, and a transfer may be an internal move that no history lists", ", then compare your balances before sending it again")
			}
			continue
		}
		switch {
		case r.Verdict != NotFound:
			r.Proven = r.Verdict == Found
		case q.GatewayClosed:
			r.Proven = true
			r.Detail += "; the gateway refuses any copy of it now (its Idempotency-Key is closed there), so the original request can no longer be carried out"
		case covered(q):
			r.Proven = true
			r.Detail += "; the nonce fence proves the original request can no longer be carried out"
		case c.waitInFlight(r, q, now, fenced, "not in the history yet", " before sending it again"):
		case fenced:
			r.Detail += " (not proven: its nonce on this API key is not known, so the fence says nothing of it, and a request held by the network for longer than the in-flight window could still arrive)"
		default:
			r.Detail += " (without nonces this is not proven: a request held by the network for longer than the in-flight window could still arrive)"
		}
	}
	for i := range out {
		if out[i] != nil {
			out[i].fenced = covered(&qs[i])
		}
	}
	return out, nil
}

// fenceRan names the fence that covers q: the gateway's closed Idempotency-Key, or the nonce fence.
func fenceRan(q *ReconcileQuery) string {
	if q.GatewayClosed {
		return "the gateway has closed its Idempotency-Key"
	}
	return "the nonce fence has run"
}

// fenceCovers reports whether a nonce fence of this client would settle q's original: sent with
// this client's key (its nonce, or none), or given a nonce taken to be this key's.
func (c *Client) fenceCovers(q *ReconcileQuery) bool {
	if q.SentWith != "" {
		return q.SentWith == c.storeKey
	}
	return q.Nonce > 0
}

// searchWindow is the earliest Since (minus slack) of the queries read from one history; a query
// without Since reads it all.
type searchWindow struct {
	since     time.Time
	unbounded bool
}

func (w *searchWindow) add(q *ReconcileQuery) {
	if q.Since.IsZero() {
		w.unbounded = true
		return
	}
	if s := q.Since.Add(-q.Slack); w.since.IsZero() || s.Before(w.since) {
		w.since = s
	}
}

func (w searchWindow) newer() time.Time {
	if w.unbounded {
		return time.Time{}
	}
	return w.since
}

// waitInFlight makes r, a verdict no fence proves (no nonces, or fenced but the original's nonce
// unknown), in_flight while the original may still arrive (before q's in-flight bound), saying
// why (what was seen) and what to do after the wait; it reports whether it did. When q does not
// say when the original left, the wait counts from now and asking again without that time only
// moves it on: the detail says so.
func (c *Client) waitInFlight(r *ReconcileResult, q *ReconcileQuery, now time.Time, fenced bool, seen, then string) bool {
	until := c.inFlightUntil(q)
	if !now.Before(until) {
		return false
	}
	r.Verdict, r.Until = InFlight, until
	if fenced {
		r.Detail = seen + ", and the nonce fence says nothing of the original request (its nonce on this API key is not known: another key or tool may have sent it, with a nonce above this one's), so nothing proves it will not still arrive: wait until " +
			until.UTC().Format(time.RFC3339) + then + " (or give its nonce, if it was sent with this key: the fence then settles it at once)"
	} else {
		r.Detail = seen + ", and without nonces nothing proves the original request will not still arrive: wait until " +
			until.UTC().Format(time.RFC3339) + then
		if c.fenceCovers(q) {
			r.Detail += " (or turn nonces on: a nonce fence settles that wait at once)"
		}
	}
	if q.SentAt.IsZero() && q.Deadline.IsZero() {
		r.AssumedSentAt = now
		r.Detail += "; the time the original left is not known, so the wait counts from now (" + now.UTC().Format(time.RFC3339) + "): ask again with that time, or the time it left (the tool that sent it printed it), as its send time, to settle it"
	}
	return true
}

// inFlightUntil is when a request sent without a nonce can no longer be in its client's hands:
// its deadline (or sent time plus the client's timeout) plus the in-flight window. An unknown
// send time counts as now: it may have left a moment ago (the start of the search window is no
// bound on it: a window opened a day ago would let "not found" through at once).
func (c *Client) inFlightUntil(q *ReconcileQuery) time.Time {
	return c.InFlightUntil(q.SentAt, q.Deadline)
}

// InFlightUntil is when a request sent without a nonce at sentAt, given up at deadline (zero:
// sentAt plus this client's timeout), can no longer arrive as far as anything can tell: the
// deadline plus the in-flight window (WithInFlightWindow).
func (c *Client) InFlightUntil(sentAt, deadline time.Time) time.Time {
	if deadline.IsZero() {
		if sentAt.IsZero() {
			sentAt = c.cfg.now()
		}
		deadline = sentAt.Add(c.cfg.timeout)
	}
	return deadline.Add(c.cfg.inFlightWindow)
}

// Nonces reports whether the client sends nonces (and so can fence).
func (c *Client) Nonces() bool { return c.cfg.nonces != nil }

func checkWithdrawalQuery(q *ReconcileQuery) error {
	if _, err := ParseAmount(q.Amount); err != nil {
		return err
	}
	coin, err := CheckTicker("currency", q.Currency)
	if err != nil {
		return err
	}
	q.Currency = coin
	if q.Address == "" {
		return &ValidationError{Field: "address", Problem: "is required to reconcile a withdrawal"}
	}
	return nil
}

// matchWithdrawals reads the withdrawal history once and gives each query its verdict. It reads
// one item more than maxItems: when that one exists, the window holds more than was searched,
// and no query is "not found" (truncated).
func (c *Client) matchWithdrawals(ctx context.Context, qs []ReconcileQuery, idx []int, out []*ReconcileResult, since time.Time, maxItems int) error {
	p := &ListParams{Limit: maxItems + 1, Newer: since}
	var hist []WithdrawalInfo
	for w, err := range c.WithdrawalHistory(ctx, p) {
		if err != nil {
			return err
		}
		hist = append(hist, w)
	}
	taken := map[string]bool{}
	for _, i := range idx {
		out[i] = matchWithdrawal(&qs[i], hist, taken)
		// An item the history lists without its id (left out, or under another name) is no id
		// to take: taken, "" would skip every other such item, and their operations would be
		// "not found".
		if r := out[i]; r.Verdict == Found && r.Withdrawals[0].ID != "" {
			taken[r.Withdrawals[0].ID] = true
		}
	}
	if len(hist) > maxItems {
		truncated(out, idx, maxItems, "withdrawals", since)
	}
	return nil
}

// truncated turns the "not found" verdicts of a search that stopped at its item limit, with more
// items in its window, into ambiguous ones: the original may be among the items not read, and
// "not found" would invite sending it again.
func truncated(out []*ReconcileResult, idx []int, maxItems int, what string, since time.Time) {
	window := "in the history"
	if !since.IsZero() {
		window = "since " + since.UTC().Format(time.RFC3339)
	}
	for _, i := range idx {
		if r := out[i]; r.Verdict == NotFound {
			r.Verdict = Ambiguous
			r.Detail = "not among the newest " + errtext.D(maxItems) + " " + what + " searched, but there are more " + window +
				": the original may be among the older ones; search further (a larger item limit, or the time it was sent as the start) before sending it again"
		}
	}
}

func matchWithdrawal(q *ReconcileQuery, hist []WithdrawalInfo, taken map[string]bool) *ReconcileResult {
	amt, _ := ParseAmount(q.Amount)
	coin := q.Currency
	// Priced in another currency: the coins sent differ from Amount, so amounts cannot be compared.
	priced := q.Currency2 != "" && !strings.EqualFold(q.Currency2, coin)
	// matches: the same as far as the history tells; unsure: may be it, as the API may list it
	// (no address yet, the fee added to the amount, a note trimmed or cut), so it is never proof
	// that the original was not carried out.
	var matches, noteMatches, unsure []WithdrawalInfo
	var why [len(unsureWhy)]bool // which of unsureWhy apply
	for _, w := range hist {
		// A coin or amount the history does not list (left out, or under another name) may be
		// the original's: never proof of another withdrawal.
		noCoin := w.Coin == ""
		if taken[w.ID] || q.Exclude[w.ID] || !noCoin && !strings.EqualFold(w.Coin, coin) {
			continue
		}
		// An item the history gives no readable time (time_created left out, or in another
		// form) may be the original: only a known time puts it outside the window.
		if !q.Since.IsZero() && !w.TimeCreated.IsZero() && w.TimeCreated.Before(q.Since.Add(-q.Slack)) {
			continue
		}
		sameAddr, noAddr := CompareSendAddress(w.SendAddress, q.Address)
		noAmount := w.Amount.IsZero()
		sameAmount := priced || w.Amount == amt
		sameNote := q.Note == "" || w.Note == "" || w.Note == q.Note
		if !sameAddr && !noAddr || !sameAmount && !noAmount && !(q.AddTxFee && w.Amount.Cmp(amt) > 0) || !sameNote && !noteMayBe(w.Note, q.Note) {
			continue
		}
		byNote := q.Note != "" && w.Note == q.Note
		if byNote || sameAddr && sameAmount && sameNote && !noCoin {
			matches = append(matches, w)
			if byNote {
				noteMatches = append(noteMatches, w)
			}
			continue
		}
		unsure = append(unsure, w)
		switch {
		case noCoin:
			why[3] = true
		case noAmount && !sameAmount:
			why[4] = true
		case noAddr:
			why[0] = true
		case !sameAmount:
			why[1] = true
		default:
			why[2] = true
		}
	}
	r := matchVerdict(q, amt, coin, priced, matches, noteMatches)
	if r.Verdict == NotFound && len(unsure) > 0 {
		var reasons []string
		for i, ok := range why {
			if ok {
				reasons = append(reasons, unsureWhy[i])
			}
		}
		r = &ReconcileResult{Verdict: Ambiguous, Withdrawals: unsure, Detail: errtext.D(len(unsure)) + " " + coin + " withdrawal(s) may be it but cannot be told apart from it: the history " +
			strings.Join(reasons, ", and ") + "; check them (get_withdrawal_info, the account's page) before sending it again"}
	}
	return r
}

// unsureWhy says why a history item may be the original without being told apart from it (a
// table, not a map and a sort: a generic sort is 11 KB of a WebAssembly build).
var unsureWhy = [...]string{
	"lists no address yet (the API gives it once the withdrawal is complete)",
	"lists a larger amount (add_tx_fee: the fee may be listed with it)",
	"has a note that differs only as the API may have trimmed, cut or written it as a number",
	"lists no coin",
	"lists no amount",
}

// matchVerdict is matchWithdrawal's verdict from what matched.
func matchVerdict(q *ReconcileQuery, amt Amount, coin string, priced bool, matches, noteMatches []WithdrawalInfo) *ReconcileResult {
	if priced && len(noteMatches) != 1 {
		if len(matches) == 0 {
			return &ReconcileResult{Verdict: NotFound, Detail: "no " + coin + " withdrawal to " + q.Address + " in the history searched"}
		}
		return &ReconcileResult{Verdict: Ambiguous, Withdrawals: matches, Detail: "the amount was priced in " + q.Currency2 + ", so it cannot be matched; " + errtext.D(len(matches)) + " " + coin + " withdrawals to this address: set a distinct note to tell them apart"}
	}
	switch {
	case len(noteMatches) == 1:
		return &ReconcileResult{Verdict: Found, Withdrawals: noteMatches, Detail: "withdrawal " + noteMatches[0].ID + " matches amount, coin, address and note"}
	case len(matches) == 1:
		return &ReconcileResult{Verdict: Found, Withdrawals: matches, Detail: "withdrawal " + matches[0].ID + " matches amount, coin and address"}
	case len(matches) == 0:
		return &ReconcileResult{Verdict: NotFound, Detail: "no withdrawal of " + amt.Text() + " " + coin + " to " + q.Address + " in the history searched"}
	}
	return &ReconcileResult{Verdict: Ambiguous, Withdrawals: matches, Detail: errtext.D(len(matches)) + " withdrawals match; set a distinct note on each payout so they can be told apart"}
}

// noteMayBe reports whether a note the history lists may be the note sent, kept by the API
// trimmed of spaces or cut to its length, or written as a JSON number (PHP's JSON_NUMERIC_CHECK:
// "000123" listed as 123, "1.50" as 1.5).
func noteMayBe(listed, sent string) bool {
	l, s := strings.TrimSpace(listed), strings.TrimSpace(sent)
	if l == "" {
		return false
	}
	if strings.HasPrefix(s, l) {
		return true
	}
	a, err1 := strconv.ParseFloat(l, 64)
	b, err2 := strconv.ParseFloat(s, 64)
	return err1 == nil && err2 == nil && a == b
}

// CompareSendAddress compares a withdrawal's send_address in the history with the address its
// request gave. same: the same address, in whatever form the API keeps it (Bech32, CashAddr and
// hex addresses in either case, Ethereum's EIP-55 capitals, a Bitcoin Cash address with or
// without its "bitcoincash:" prefix; two Base58 addresses that differ only in case are not both
// valid). unknown: the history cannot tell: it lists no address (the API gives it once the
// withdrawal is complete, spec §7.3), or one is a Bitcoin Cash CashAddr and the other is not (a
// legacy address the API may list converted). Neither: another address.
func CompareSendAddress(listed, sent string) (same, unknown bool) {
	l, s := canonAddress(listed), canonAddress(sent)
	switch {
	case l == "":
		return false, true
	case l == s:
		return true, false
	}
	return false, isCashAddr(l) != isCashAddr(s)
}

func canonAddress(a string) string {
	a = strings.ToLower(strings.TrimSpace(a))
	if rest, ok := strings.CutPrefix(a, "bitcoincash:"); ok {
		return rest
	}
	return a
}

// isCashAddr: a CashAddr payload (after canonAddress): 42 characters of the Bech32 set, starting q or p.
func isCashAddr(a string) bool {
	return len(a) == 42 && (a[0] == 'q' || a[0] == 'p') && strings.Trim(a, bech32Charset) == ""
}

// matchTransactions reads the recent payments once (with their checkout details) and gives each
// query its verdict.
func (c *Client) matchTransactions(ctx context.Context, qs []ReconcileQuery, idx []int, out []*ReconcileResult, since time.Time, maxItems int) error {
	limit := min(maxItems, 100) // each payment costs a get_tx_info: at most 100 are read
	p := &ListParams{Limit: limit + 1, Newer: since}
	var ids []string
	for id, err := range c.TxIDs(ctx, p) {
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	// hasInv, hasCustom: the answer lists the field (checkout details are [compat], spec §7.2: an
	// API that leaves them out tells nothing of which sale a payment is for).
	type co struct {
		id, invoice, custom string
		hasInv, hasCustom   bool
	}
	var recs []co
	for _, id := range ids {
		info, err := c.TxInfo(ctx, id, true)
		if err != nil {
			return err
		}
		inv, cus := info.Checkout.Get("invoice"), info.Checkout.Get("custom")
		recs = append(recs, co{id, inv.Text(), cus.Text(), inv.Exists(), cus.Exists()})
	}
	for _, i := range idx {
		q := &qs[i]
		var found, unsure []string
		for _, r := range recs {
			sameInv, sameCustom := q.Invoice == "" || r.hasInv && r.invoice == q.Invoice, q.Custom == "" || r.hasCustom && r.custom == q.Custom
			if sameInv && sameCustom {
				found = append(found, r.id)
			} else if (sameInv || !r.hasInv || noteMayBe(r.invoice, q.Invoice)) && (sameCustom || !r.hasCustom || noteMayBe(r.custom, q.Custom)) {
				unsure = append(unsure, r.id) // not listed, or kept trimmed or cut to the API's length
			}
		}
		switch len(found) {
		case 0:
			if len(unsure) > 0 {
				out[i] = &ReconcileResult{Verdict: Ambiguous, TxnIDs: unsure, Detail: errtext.D(len(unsure)) + " recent payment(s) may have this invoice/custom (the API lists it trimmed, cut or as a number, or not at all): check them before creating it again"}
				continue
			}
			out[i] = &ReconcileResult{Verdict: NotFound, Detail: "none of the " + errtext.D(len(ids)) + " recent payments has this invoice/custom"}
		case 1:
			out[i] = &ReconcileResult{Verdict: Found, TxnIDs: found, Detail: "payment " + found[0] + " has this invoice/custom"}
		default:
			out[i] = &ReconcileResult{Verdict: Ambiguous, TxnIDs: found, Detail: errtext.D(len(found)) + " payments share this invoice/custom"}
		}
	}
	if more {
		truncated(out, idx, limit, "payments", since)
	}
	return nil
}
