package sandbox

import "time"

// Withdrawal statuses (spec §7.3).
const (
	WithdrawalCancelled       = -1
	WithdrawalAwaitingConfirm = 0 // awaiting email confirmation
	WithdrawalPending         = 1
	WithdrawalComplete        = 2
)

func withdrawalStatusText(st int) string {
	switch st {
	case WithdrawalCancelled:
		return "Cancelled"
	case WithdrawalAwaitingConfirm:
		return "Awaiting email confirmation"
	case WithdrawalPending:
		return "Pending"
	case WithdrawalComplete:
		return "Complete"
	}
	return "Unknown"
}

func insufficient(cn coin, have, need int64) error {
	return apiErrorf("Insufficient funds: %s balance is %s, this needs %s", cn.Ticker, formatUnits(have), formatUnits(need))
}

// createWithdrawalLocked debits the balance and records a withdrawal.
func (s *Server) createWithdrawalLocked(merchantID string, p wdParams, now time.Time) (*withdrawalRec, error) {
	cur := s.st.accounts[merchantID]
	if cur == nil {
		return nil, apiError("Account not found")
	}
	debit := p.amount
	if p.addTxFee {
		debit += p.coin.TxFee
	}
	if have := cur.Balances[p.coin.Ticker]; have < debit {
		return nil, insufficient(p.coin, have, debit)
	}
	a := cur.clone()
	a.Balances[p.coin.Ticker] -= debit
	seq, seqChange := s.nextSeq()
	w := &withdrawalRec{
		ID: s.newWithdrawalIDLocked(), MerchantID: merchantID, Kind: "withdrawal", Seq: seq, Created: now.Unix(),
		Status: WithdrawalAwaitingConfirm, Coin: p.coin.Ticker, Amount: p.amount, Debited: debit, Address: p.address,
		DestTag: p.destTag, Note: p.note, IPNURL: p.ipnURL,
	}
	if p.autoConfirm {
		w.Status = WithdrawalPending
	}
	if err := s.commit(put(bAccounts, a.MerchantID, a), put(bWithdrawals, w.ID, w), seqChange); err != nil {
		return nil, err
	}
	s.queueWithdrawalIPNLocked(w)
	return w, nil
}

func (s *Server) newWithdrawalIDLocked() string {
	for {
		id := randID("CWSB", 20)
		if s.st.withdrawals[id] == nil {
			return id
		}
	}
}

// WithdrawalState is a withdrawal or transfer as the admin helpers report it.
type WithdrawalState struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	Kind       string `json:"kind"` // "withdrawal" or "transfer"
	Status     int    `json:"status"`
	StatusText string `json:"status_text"`
	Coin       string `json:"coin"`
	Amount     string `json:"amountf"`
	Address    string `json:"send_address"`
	SendTxID   string `json:"send_txid"`
	ToMerchant string `json:"to_merchant,omitempty"`
	Note       string `json:"note"`
}

func (w *withdrawalRec) state() WithdrawalState {
	return WithdrawalState{ID: w.ID, MerchantID: w.MerchantID, Kind: w.Kind, Status: w.Status, StatusText: withdrawalStatusText(w.Status),
		Coin: w.Coin, Amount: formatUnits(w.Amount), Address: w.Address, SendTxID: w.SendTxID, ToMerchant: w.ToMerchant, Note: w.Note}
}

// GetWithdrawal returns a withdrawal or transfer by id.
func (s *Server) GetWithdrawal(id string) (WithdrawalState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.st.withdrawals[id]
	if w == nil {
		return WithdrawalState{}, notFound("no withdrawal %q", id)
	}
	return w.state(), nil
}

// ConfirmWithdrawal plays the merchant clicking the confirmation email:
// a withdrawal goes 0 -> 1 (pending); a transfer is carried out (-> 2).
func (s *Server) ConfirmWithdrawal(id string) (WithdrawalState, error) {
	return s.wdTransition(id, "confirm")
}

// CompleteWithdrawal marks a withdrawal sent (status 2, with a send_txid).
func (s *Server) CompleteWithdrawal(id string) (WithdrawalState, error) {
	return s.wdTransition(id, "complete")
}

// CancelWithdrawal cancels a withdrawal or transfer that is not complete
// (status -1) and refunds what was debited.
func (s *Server) CancelWithdrawal(id string) (WithdrawalState, error) {
	return s.wdTransition(id, "cancel")
}

func (s *Server) wdTransition(id, action string) (WithdrawalState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.withdrawals[id]
	if cur == nil {
		return WithdrawalState{}, notFound("no withdrawal %q", id)
	}
	w := *cur
	open := w.Status == WithdrawalAwaitingConfirm || w.Status == WithdrawalPending
	if !open || (action == "confirm" && w.Status != WithdrawalAwaitingConfirm) {
		return WithdrawalState{}, conflict("cannot %s %s: status is %d (%s)", action, id, w.Status, withdrawalStatusText(w.Status))
	}
	var changes []change
	credit := func(merchantID string, amount int64) error {
		a := s.st.accounts[merchantID]
		if a == nil {
			return notFound("no account %q", merchantID)
		}
		a = a.clone()
		var err error
		if a.Balances[w.Coin], err = addUnits(a.Balances[w.Coin], amount); err != nil {
			return invalid("balance overflow")
		}
		changes = append(changes, put(bAccounts, a.MerchantID, a))
		return nil
	}
	switch {
	case action == "cancel":
		if err := credit(w.MerchantID, w.Debited); err != nil {
			return WithdrawalState{}, err
		}
		w.Status = WithdrawalCancelled
	case w.Kind == "transfer":
		if err := credit(w.ToMerchant, w.Amount); err != nil {
			return WithdrawalState{}, err
		}
		w.Status = WithdrawalComplete
	case action == "confirm":
		w.Status = WithdrawalPending
	default: // complete
		w.Status = WithdrawalComplete
		w.SendTxID = randHex(32)
	}
	changes = append(changes, put(bWithdrawals, w.ID, &w))
	if err := s.commit(changes...); err != nil {
		return WithdrawalState{}, err
	}
	s.queueWithdrawalIPNLocked(&w)
	return w.state(), nil
}
