package sandbox

import (
	"strings"
	"time"
)

// Payment statuses (spec §7.2).
const (
	PaymentCancelled  = -1
	PaymentWaiting    = 0
	PaymentConfirming = 1
	PaymentQueued     = 2
	PaymentComplete   = 100
)

func paymentStatusText(st int) string {
	switch st {
	case PaymentCancelled:
		return "Cancelled / Timed Out"
	case PaymentWaiting:
		return "Waiting for buyer funds..."
	case PaymentConfirming:
		return "Funds received and confirmed, sending to you shortly..."
	case PaymentQueued:
		return "Queued for nightly payout"
	case PaymentComplete:
		return "Complete"
	}
	return "Unknown"
}

// expireLocked times out a waiting transaction whose deadline passed. It
// commits the change and queues the IPN; it returns the current record.
func (s *Server) expireLocked(tx *txRec, now time.Time) (*txRec, error) {
	if tx.Status != PaymentWaiting || now.Unix() < tx.Expires {
		return tx, nil
	}
	upd := *tx
	upd.Status = PaymentCancelled
	if err := s.commit(put(bTxs, upd.TxnID, &upd)); err != nil {
		return nil, err
	}
	s.queueTxIPNLocked(&upd)
	return &upd, nil
}

// lookupTxLocked finds one of the merchant's transactions, applying expiry.
func (s *Server) lookupTxLocked(merchantID, id string, now time.Time) (*txRec, error) {
	tx := s.st.txs[id]
	if tx == nil || tx.MerchantID != merchantID {
		return nil, apiError("Transaction not found")
	}
	return s.expireLocked(tx, now)
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
	return TxState{TxnID: tx.TxnID, MerchantID: tx.MerchantID, Status: tx.Status, StatusText: paymentStatusText(tx.Status),
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
	case cur.Status >= PaymentComplete || cur.Status == PaymentQueued:
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
		if tx.Status == PaymentWaiting {
			tx.Status = PaymentConfirming
			tx.RecvConfirms = tx.ConfirmsNeeded
			steps = append(steps, tx)
		}
		if complete {
			tx.Status = PaymentComplete
			steps = append(steps, tx)
		}
	}
	if len(steps) == 0 && amt > 0 {
		steps = append(steps, tx) // more funds on a received payment
	}
	changes := []change{put(bTxs, tx.TxnID, &tx)}
	if tx.Status == PaymentComplete && !tx.Credited {
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
	if cur.Status != PaymentWaiting {
		return TxState{}, conflict("transaction %s is not waiting for funds (status %d)", txnID, cur.Status)
	}
	tx := *cur
	tx.Status = PaymentCancelled
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
		Coin: addr.Coin, Amount: n, TxID: randHex(32), Confirms: cn.Confirms, Status: PaymentComplete}
	if err := s.commit(put(bAccounts, a.MerchantID, a), put(bDeposits, dep.ID, dep)); err != nil {
		return DepositResult{}, err
	}
	if addr.Kind == "callback" {
		seen := *dep
		seen.Status, seen.Confirms = PaymentWaiting, 0
		s.queueDepositIPNLocked(addr, &seen)
		s.queueDepositIPNLocked(addr, dep)
	}
	res.DepositID, res.TxID, res.Status = dep.ID, dep.TxID, dep.Status
	return res, nil
}
