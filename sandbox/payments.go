package sandbox

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Receiving payments (spec §7.2): create_transaction, get_callback_address,
// get_tx_info, get_tx_info_multi, get_tx_ids, plus the admin side that plays
// the buyer (PayTransaction, ExpireTransaction, Deposit).

// txTimeout is how long a buyer has to pay a created transaction.
const txTimeout = 2 * time.Hour

// Payment statuses (spec §7.2).
const (
	TxCancelled = -1
	TxWaiting   = 0
	TxReceived  = 1
	TxQueued    = 2
	TxComplete  = 100
)

func txStatusText(st int) string {
	switch st {
	case TxCancelled:
		return "Cancelled / Timed Out"
	case TxWaiting:
		return "Waiting for buyer funds..."
	case TxReceived:
		return "Funds received and confirmed, sending to you shortly..."
	case TxQueued:
		return "Queued for nightly payout"
	case TxComplete:
		return "Complete"
	}
	return "Unknown"
}

func (s *Server) cmdCreateTransaction(c *call) (any, error) {
	amount1, err := amountField(c, "amount")
	if err != nil {
		return nil, err
	}
	cur1, _, err := anyCoinField(c, "currency1", true)
	if err != nil {
		return nil, err
	}
	cur2, _, err := anyCoinField(c, "currency2", true)
	if err != nil {
		return nil, err
	}
	if cur2.Fiat {
		return nil, apiErrorf("Invalid currency2: %s is fiat; currency2 is the coin the buyer pays with", cur2.Ticker)
	}
	if !cur2.Accepted {
		return nil, apiErrorf("Invalid currency2: %s is not accepted by this merchant", cur2.Ticker)
	}
	email, err := requiredField(c, "buyer_email")
	if err != nil {
		return nil, err
	}
	if !validEmail(email) {
		return nil, apiError("Invalid buyer_email: must be an email address")
	}
	tx := &txRec{
		MerchantID:     c.merchantID,
		Created:        c.now.Unix(),
		Expires:        c.now.Add(txTimeout).Unix(),
		Status:         TxWaiting,
		Currency1:      cur1.Ticker,
		Currency2:      cur2.Ticker,
		Amount1:        amount1,
		ConfirmsNeeded: cur2.Confirms,
		Timeout:        int(txTimeout / time.Second),
		BuyerEmail:     email,
	}
	texts := []struct {
		field string
		max   int
		dst   *string
	}{
		{"buyer_name", 255, &tx.BuyerName},
		{"item_name", 255, &tx.ItemName},
		{"item_number", 128, &tx.ItemNumber},
		{"invoice", 128, &tx.Invoice},
		{"custom", 128, &tx.Custom},
	}
	for _, t := range texts {
		if *t.dst, err = textField(c, t.field, t.max); err != nil {
			return nil, err
		}
	}
	for _, u := range []struct {
		field string
		dst   *string
	}{{"ipn_url", &tx.IPNURL}, {"success_url", &tx.SuccessURL}, {"cancel_url", &tx.CancelURL}} {
		if *u.dst, err = urlField(c, u.field); err != nil {
			return nil, err
		}
	}
	if a := c.get("address"); a != "" {
		if !validAddress(a) {
			return nil, apiError("Invalid address: not a valid payout address")
		}
		tx.PayoutAddress = a
	}
	tx.Amount2, err = convertUnits(amount1, cur1.RateBTC, cur2.RateBTC, true)
	if err != nil {
		return nil, apiErrorf("Invalid amount: %v", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.st.accounts[c.merchantID]
	if acct == nil {
		return nil, apiError("Account not found")
	}
	for {
		tx.TxnID = randID("CPSB", 20)
		if s.st.txs[tx.TxnID] == nil {
			break
		}
	}
	tx.Address = s.newAddressLocked(cur2)
	seq, seqChange := s.nextSeq()
	tx.Seq = seq
	addr := &addressRec{Address: tx.Address, MerchantID: c.merchantID, Coin: cur2.Ticker, Kind: "payment", TxnID: tx.TxnID, Created: tx.Created}
	if err := s.commit(put(bTxs, tx.TxnID, tx), put(bAddresses, tx.Address, addr), seqChange); err != nil {
		return nil, err
	}
	s.queueTxIPNLocked(tx)
	id := url.PathEscape(tx.TxnID)
	return map[string]any{
		"amount":          formatUnits(tx.Amount2),
		"txn_id":          tx.TxnID,
		"address":         tx.Address,
		"confirms_needed": strconv.Itoa(tx.ConfirmsNeeded),
		"timeout":         tx.Timeout,
		"checkout_url":    c.origin + "/checkout/" + id,
		"status_url":      c.origin + "/status/" + id,
		"qrcode_url":      c.origin + "/qrcode/" + id,
	}, nil
}

// expireLocked times out a waiting transaction whose deadline passed. It
// commits the change and queues the IPN; it returns the current record.
func (s *Server) expireLocked(tx *txRec, now time.Time) (*txRec, error) {
	if tx.Status != TxWaiting || now.Unix() < tx.Expires {
		return tx, nil
	}
	upd := *tx
	upd.Status = TxCancelled
	if err := s.commit(put(bTxs, upd.TxnID, &upd)); err != nil {
		return nil, err
	}
	s.queueTxIPNLocked(&upd)
	return &upd, nil
}

func txInfo(tx *txRec, full bool) map[string]any {
	m := map[string]any{
		"time_created":    tx.Created,
		"time_expires":    tx.Expires,
		"status":          tx.Status,
		"status_text":     txStatusText(tx.Status),
		"type":            "coins",
		"coin":            tx.Currency2,
		"amount":          tx.Amount2,
		"amountf":         formatUnits(tx.Amount2),
		"received":        tx.Received,
		"receivedf":       formatUnits(tx.Received),
		"recv_confirms":   tx.RecvConfirms,
		"payment_address": tx.Address,
	}
	if full {
		m["checkout"] = map[string]any{
			"currency":    tx.Currency1,
			"amount":      tx.Amount1,
			"amountf":     formatUnits(tx.Amount1),
			"item_name":   tx.ItemName,
			"item_number": tx.ItemNumber,
			"invoice":     tx.Invoice,
			"custom":      tx.Custom,
			"buyer_name":  tx.BuyerName,
			"buyer_email": tx.BuyerEmail,
			"ipn_url":     tx.IPNURL,
			"success_url": tx.SuccessURL,
			"cancel_url":  tx.CancelURL,
		}
	}
	return m
}

// lookupTxLocked finds one of the merchant's transactions, applying expiry.
func (s *Server) lookupTxLocked(merchantID, id string, now time.Time) (*txRec, error) {
	tx := s.st.txs[id]
	if tx == nil || tx.MerchantID != merchantID {
		return nil, apiError("Transaction not found")
	}
	return s.expireLocked(tx, now)
}

func (s *Server) cmdTxInfo(c *call) (any, error) {
	id, err := requiredField(c, "txid")
	if err != nil {
		return nil, err
	}
	full, err := c.flag("full")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.lookupTxLocked(c.merchantID, id, c.now)
	if err != nil {
		return nil, err
	}
	return txInfo(tx, full), nil
}

// MaxTxInfoMulti is the most ids get_tx_info_multi accepts.
const MaxTxInfoMulti = 25

func (s *Server) cmdTxInfoMulti(c *call) (any, error) {
	raw, err := requiredField(c, "txid")
	if err != nil {
		return nil, err
	}
	ids := strings.Split(raw, "|")
	if len(ids) > MaxTxInfoMulti {
		return nil, apiErrorf("Too many transaction IDs: at most %d", MaxTxInfoMulti)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{}
	for _, id := range ids {
		if id == "" {
			return nil, apiError("Invalid txid: empty transaction ID in the list")
		}
		tx, err := s.lookupTxLocked(c.merchantID, id, c.now)
		if err != nil {
			if ae, ok := err.(apiError); ok {
				out[id] = map[string]any{"error": string(ae)}
				continue
			}
			return nil, err
		}
		info := txInfo(tx, false)
		info["error"] = "ok"
		out[id] = info
	}
	return out, nil
}

// listParams reads limit (1-100, default 25), start and newer.
func listParams(c *call) (limit, start, newer int64, err error) {
	if limit, err = intField(c, "limit", 25, 1, 100); err != nil {
		return
	}
	if start, err = intField(c, "start", 0, 0, 1<<40); err != nil {
		return
	}
	newer, err = intField(c, "newer", 0, 0, 1<<40)
	return
}

func (s *Server) cmdTxIDs(c *call) (any, error) {
	limit, start, newer, err := listParams(c)
	if err != nil {
		return nil, err
	}
	if _, err := c.flag("all"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var list []*txRec
	for _, tx := range s.st.txs {
		if tx.MerchantID == c.merchantID && tx.Created >= newer {
			list = append(list, tx)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b *txRec) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(b.Seq, a.Seq))
	})
	out := []any{}
	for _, tx := range page(list, limit, start) {
		out = append(out, tx.TxnID)
	}
	return out, nil
}

func (s *Server) cmdCallbackAddress(c *call) (any, error) {
	cn, err := requireCoin(c, "currency")
	if err != nil {
		return nil, err
	}
	ipnURL, err := urlField(c, "ipn_url")
	if err != nil {
		return nil, err
	}
	label, err := textField(c, "label", 128)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.accounts[c.merchantID] == nil {
		return nil, apiError("Account not found")
	}
	addr := s.newAddressLocked(cn)
	rec := &addressRec{Address: addr, MerchantID: c.merchantID, Coin: cn.Ticker, Kind: "callback", IPNURL: ipnURL, Label: label, Created: c.now.Unix()}
	if err := s.commit(put(bAddresses, addr, rec)); err != nil {
		return nil, err
	}
	return map[string]any{"address": addr}, nil
}

// TxState is a transaction as the admin helpers report it.
type TxState struct {
	TxnID      string `json:"txn_id"`
	MerchantID string `json:"merchant_id"`
	Status     int    `json:"status"`
	StatusText string `json:"status_text"`
	Coin       string `json:"coin"`
	Amount     string `json:"amountf"`
	Received   string `json:"receivedf"`
	Address    string `json:"payment_address"`
}

func (tx *txRec) state() TxState {
	return TxState{TxnID: tx.TxnID, MerchantID: tx.MerchantID, Status: tx.Status, StatusText: txStatusText(tx.Status),
		Coin: tx.Currency2, Amount: formatUnits(tx.Amount2), Received: formatUnits(tx.Received), Address: tx.Address}
}

// GetTransaction returns a transaction's state (expiring it if due).
func (s *Server) GetTransaction(txnID string) (TxState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.st.txs[txnID]
	if tx == nil {
		return TxState{}, notFound("no transaction %q", txnID)
	}
	tx, err := s.expireLocked(tx, s.now())
	if err != nil {
		return TxState{}, err
	}
	return tx.state(), nil
}

// PayTransaction plays the buyer: it records amount (decimal text in the
// transaction's coin; "" = whatever is still due) as received. A payment
// that reaches the full amount moves the status to 1 (received); with
// complete it then moves to 100 (complete) and credits the merchant's
// balance with everything received. A partial payment keeps status 0. Every
// status change (and every partial payment) sends an IPN.
func (s *Server) PayTransaction(txnID, amount string, complete bool) (TxState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payLocked(txnID, amount, complete)
}

func (s *Server) payLocked(txnID, amount string, complete bool) (TxState, error) {
	cur := s.st.txs[txnID]
	if cur == nil {
		return TxState{}, notFound("no transaction %q", txnID)
	}
	cur, err := s.expireLocked(cur, s.now())
	if err != nil {
		return TxState{}, err
	}
	switch {
	case cur.Status < 0:
		return TxState{}, conflict("transaction %s is cancelled or timed out", txnID)
	case cur.Status >= TxComplete || cur.Status == TxQueued:
		return TxState{}, conflict("transaction %s is already complete", txnID)
	}
	var amt int64
	if amount == "" {
		amt = max(cur.Amount2-cur.Received, 0)
	} else if amt, err = parseUnits(amount); err != nil {
		return TxState{}, invalid("amount %v", err)
	}
	if amt == 0 && cur.Received < cur.Amount2 {
		return TxState{}, invalid("amount must be greater than zero")
	}
	acct := s.st.accounts[cur.MerchantID]
	if acct == nil {
		return TxState{}, notFound("no account %q", cur.MerchantID)
	}
	tx := *cur
	if tx.Received, err = addUnits(tx.Received, amt); err != nil {
		return TxState{}, invalid("amount too large")
	}
	var steps []txRec // states to announce by IPN, in order
	if tx.Received < tx.Amount2 {
		steps = append(steps, tx)
	} else {
		if tx.Status == TxWaiting {
			tx.Status = TxReceived
			tx.RecvConfirms = tx.ConfirmsNeeded
			steps = append(steps, tx)
		}
		if complete {
			tx.Status = TxComplete
			steps = append(steps, tx)
		}
	}
	if len(steps) == 0 && amt > 0 {
		steps = append(steps, tx) // more funds on a received payment
	}
	changes := []change{put(bTxs, tx.TxnID, &tx)}
	if tx.Status == TxComplete && !tx.Credited {
		a := acct.clone()
		if a.Balances[tx.Currency2], err = addUnits(a.Balances[tx.Currency2], tx.Received); err != nil {
			return TxState{}, invalid("balance overflow")
		}
		tx.Credited = true
		changes = append(changes, put(bAccounts, a.MerchantID, a))
	}
	if err := s.commit(changes...); err != nil {
		return TxState{}, err
	}
	for i := range steps {
		s.queueTxIPNLocked(&steps[i])
	}
	return tx.state(), nil
}

// ExpireTransaction cancels a waiting transaction now (status -1).
func (s *Server) ExpireTransaction(txnID string) (TxState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.txs[txnID]
	if cur == nil {
		return TxState{}, notFound("no transaction %q", txnID)
	}
	if cur.Status != TxWaiting {
		return TxState{}, conflict("transaction %s is not waiting for funds (status %d)", txnID, cur.Status)
	}
	tx := *cur
	tx.Status = TxCancelled
	if err := s.commit(put(bTxs, tx.TxnID, &tx)); err != nil {
		return TxState{}, err
	}
	s.queueTxIPNLocked(&tx)
	return tx.state(), nil
}

// DepositResult describes a simulated incoming payment.
type DepositResult struct {
	DepositID  string `json:"deposit_id,omitempty"`
	TxID       string `json:"txn_id"` // blockchain txid, or the payment's txn_id for payment addresses
	MerchantID string `json:"merchant_id"`
	Address    string `json:"address"`
	Currency   string `json:"currency"`
	Amount     string `json:"amount"`
	Kind       string `json:"kind"` // "callback", "deposit" or "payment"
	Status     int    `json:"status"`
}

// Deposit simulates coins arriving at a sandbox address. A callback address
// (get_callback_address) credits the balance and sends deposit IPNs (status 0
// when seen, then 100 when confirmed); a personal deposit address
// (get_deposit_address) credits silently; a payment address of a
// create_transaction pays that transaction (see PayTransaction).
func (s *Server) Deposit(address, currency, amount string) (DepositResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr := s.st.addresses[address]
	if addr == nil {
		return DepositResult{}, notFound("%q is not a sandbox address", address)
	}
	if currency != "" && !strings.EqualFold(currency, addr.Coin) {
		return DepositResult{}, invalid("address %s is for %s, not %s", address, addr.Coin, currency)
	}
	n, err := parseUnits(amount)
	if err != nil || n == 0 {
		return DepositResult{}, invalid("amount must be a positive decimal with at most 8 decimals")
	}
	res := DepositResult{MerchantID: addr.MerchantID, Address: address, Currency: addr.Coin, Amount: formatUnits(n), Kind: addr.Kind}
	if addr.Kind == "payment" {
		st, err := s.payLocked(addr.TxnID, amount, true)
		if err != nil {
			return DepositResult{}, err
		}
		res.TxID, res.Status = st.TxnID, st.Status
		return res, nil
	}
	cur := s.st.accounts[addr.MerchantID]
	if cur == nil {
		return DepositResult{}, notFound("no account %q", addr.MerchantID)
	}
	a := cur.clone()
	if a.Balances[addr.Coin], err = addUnits(a.Balances[addr.Coin], n); err != nil {
		return DepositResult{}, invalid("balance overflow")
	}
	cn, _ := lookupCoin(addr.Coin)
	dep := &depositRec{ID: randID("CDSB", 20), MerchantID: addr.MerchantID, Created: s.now().Unix(), Address: address,
		Coin: addr.Coin, Amount: n, TxID: randHex(32), Confirms: cn.Confirms, Status: TxComplete}
	if err := s.commit(put(bAccounts, a.MerchantID, a), put(bDeposits, dep.ID, dep)); err != nil {
		return DepositResult{}, err
	}
	if addr.Kind == "callback" {
		seen := *dep
		seen.Status, seen.Confirms = TxWaiting, 0
		s.queueDepositIPNLocked(addr, &seen)
		s.queueDepositIPNLocked(addr, dep)
	}
	res.DepositID, res.TxID, res.Status = dep.ID, dep.TxID, dep.Status
	return res, nil
}
