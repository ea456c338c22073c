package core

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Verdict is what Reconcile concluded.
type Verdict string

const (
	Found     Verdict = "found"     // exactly one operation matches: it was carried out
	NotFound  Verdict = "not_found" // nothing matches in the searched window
	Ambiguous Verdict = "ambiguous" // several match, or the API cannot tell: ask a person
)

// ReconcileQuery describes an operation whose outcome is unknown.
type ReconcileQuery struct {
	Cmd      string // create_withdrawal, create_transfer, create_mass_withdrawal or create_transaction
	Amount   string
	Currency string // coin (create_transaction: currency2)
	// Currency2, for a withdrawal priced in another currency: the amount then says nothing about
	// the coins sent, so matching relies on coin, address and note.
	Currency2 string
	Address   string // destination address (withdrawals, transfers to an address)
	Merchant  string // destination merchant (transfers)
	Note      string
	Invoice   string // create_transaction
	Custom    string // create_transaction
	// Since bounds the search: operations created before Since minus Slack are ignored.
	Since time.Time
	// Slack widens the window for clock skew (default 5 minutes).
	Slack time.Duration
	// Exclude lists ids already accounted for (e.g. other rows of the same payout file).
	Exclude map[string]bool
	// MaxItems bounds how far back the search pages (default 500).
	MaxItems int
}

// ReconcileResult is Reconcile's answer.
type ReconcileResult struct {
	Verdict     Verdict          `json:"verdict"`
	Withdrawals []WithdrawalInfo `json:"withdrawals,omitempty"`
	TxnIDs      []string         `json:"txn_ids,omitempty"`
	Detail      string           `json:"detail"`
}

// QueriesFromOutcome turns an OutcomeUnknownError into reconcile queries (one per payout of a
// mass withdrawal).
func QueriesFromOutcome(ou *OutcomeUnknownError, since time.Time) []ReconcileQuery {
	r := ou.Ref
	if ou.Cmd == "create_mass_withdrawal" {
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
				q = &ReconcileQuery{Cmd: ou.Cmd, Since: since}
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
			}
		}
		out := make([]ReconcileQuery, 0, len(order))
		for _, k := range order {
			out = append(out, *byKey[k])
		}
		return out
	}
	q := ReconcileQuery{Cmd: ou.Cmd, Amount: r["amount"], Currency: r["currency"], Address: r["address"],
		Merchant: r["merchant"], Note: r["note"], Invoice: r["invoice"], Custom: r["custom"], Since: since}
	if ou.Cmd == "create_transaction" {
		q.Currency = r["currency2"]
	} else {
		q.Currency2 = r["currency2"]
	}
	if q.Address == "" {
		q.Address = r["toaddress"]
	}
	return []ReconcileQuery{q}
}

// Reconcile looks an operation of unknown outcome up in the account's history: withdrawals
// (and transfers to an address) in the withdrawal history, payments in the transaction list.
// It only reads; it never sends the operation again.
func (c *Client) Reconcile(ctx context.Context, q ReconcileQuery) (*ReconcileResult, error) {
	if q.Slack == 0 {
		q.Slack = 5 * time.Minute
	}
	if q.MaxItems <= 0 {
		q.MaxItems = 500
	}
	switch q.Cmd {
	case "create_withdrawal", "create_mass_withdrawal":
		return c.reconcileWithdrawal(ctx, q)
	case "create_transfer":
		if q.Address != "" {
			return c.reconcileWithdrawal(ctx, q)
		}
		return &ReconcileResult{Verdict: Ambiguous, Detail: "a transfer to another merchant is an internal ledger move that the API lists nowhere: compare your balance, or ask the receiving merchant, before sending it again"}, nil
	case "create_transaction":
		return c.reconcileTransaction(ctx, q)
	case "convert":
		return &ReconcileResult{Verdict: Ambiguous, Detail: "the API has no conversion history: compare your balances before converting again"}, nil
	}
	return nil, &ValidationError{Field: "cmd", Value: q.Cmd, Problem: "Reconcile knows create_withdrawal, create_mass_withdrawal, create_transfer, create_transaction and convert"}
}

func (c *Client) reconcileWithdrawal(ctx context.Context, q ReconcileQuery) (*ReconcileResult, error) {
	amt, err := ParseAmount(q.Amount)
	if err != nil {
		return nil, err
	}
	coin, err := CheckTicker("currency", q.Currency)
	if err != nil {
		return nil, err
	}
	if q.Address == "" {
		return nil, &ValidationError{Field: "address", Problem: "is required to reconcile a withdrawal"}
	}
	p := &ListParams{Limit: q.MaxItems}
	if !q.Since.IsZero() {
		p.Newer = q.Since.Add(-q.Slack)
	}
	// Priced in another currency: the coins sent differ from Amount, so amounts cannot be compared.
	priced := q.Currency2 != "" && !strings.EqualFold(q.Currency2, coin)
	var matches, noteMatches []WithdrawalInfo
	for w, err := range c.WithdrawalHistory(ctx, p) {
		if err != nil {
			return nil, err
		}
		if q.Exclude[w.ID] || !strings.EqualFold(w.Coin, coin) || (!priced && w.Amount != amt) || w.SendAddress != q.Address {
			continue
		}
		if !q.Since.IsZero() && w.TimeCreated.Before(q.Since.Add(-q.Slack)) {
			continue
		}
		if q.Note != "" && w.Note != "" && w.Note != q.Note {
			continue
		}
		matches = append(matches, w)
		if q.Note != "" && w.Note == q.Note {
			noteMatches = append(noteMatches, w)
		}
	}
	if priced && len(noteMatches) != 1 {
		if len(matches) == 0 {
			return &ReconcileResult{Verdict: NotFound, Detail: fmt.Sprintf("no %s withdrawal to %s in the history searched", coin, q.Address)}, nil
		}
		return &ReconcileResult{Verdict: Ambiguous, Withdrawals: matches, Detail: fmt.Sprintf("the amount was priced in %s, so it cannot be matched; %d %s withdrawals to this address: set a distinct note to tell them apart", q.Currency2, len(matches), coin)}, nil
	}
	switch {
	case len(noteMatches) == 1:
		return &ReconcileResult{Verdict: Found, Withdrawals: noteMatches, Detail: "withdrawal " + noteMatches[0].ID + " matches amount, coin, address and note"}, nil
	case len(matches) == 1:
		return &ReconcileResult{Verdict: Found, Withdrawals: matches, Detail: "withdrawal " + matches[0].ID + " matches amount, coin and address"}, nil
	case len(matches) == 0:
		return &ReconcileResult{Verdict: NotFound, Detail: fmt.Sprintf("no withdrawal of %s %s to %s in the history searched", amt.Text(), coin, q.Address)}, nil
	}
	return &ReconcileResult{Verdict: Ambiguous, Withdrawals: matches, Detail: fmt.Sprintf("%d withdrawals match; set a distinct note on each payout so they can be told apart", len(matches))}, nil
}

func (c *Client) reconcileTransaction(ctx context.Context, q ReconcileQuery) (*ReconcileResult, error) {
	if q.Invoice == "" && q.Custom == "" {
		return &ReconcileResult{Verdict: Ambiguous, Detail: "set invoice or custom on create_transaction so a payment can be found again"}, nil
	}
	p := &ListParams{Limit: min(q.MaxItems, 100)}
	if !q.Since.IsZero() {
		p.Newer = q.Since.Add(-q.Slack)
	}
	var ids []string
	for id, err := range c.TxIDs(ctx, p) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	var found []string
	for _, id := range ids {
		info, err := c.TxInfo(ctx, id, true)
		if err != nil {
			return nil, err
		}
		co := info.Checkout
		if q.Invoice != "" && co.Get("invoice").Str() != q.Invoice {
			continue
		}
		if q.Custom != "" && co.Get("custom").Str() != q.Custom {
			continue
		}
		found = append(found, id)
	}
	switch len(found) {
	case 0:
		return &ReconcileResult{Verdict: NotFound, Detail: fmt.Sprintf("none of the %d recent payments has this invoice/custom", len(ids))}, nil
	case 1:
		return &ReconcileResult{Verdict: Found, TxnIDs: found, Detail: "payment " + found[0] + " has this invoice/custom"}, nil
	}
	return &ReconcileResult{Verdict: Ambiguous, TxnIDs: found, Detail: fmt.Sprintf("%d payments share this invoice/custom", len(found))}, nil
}
