package core

import "strconv"

// PaymentStatus is a payment's status number (spec §7.2): -1 cancelled or timed out, 0 waiting
// for funds, 1 funds received (confirming), 2 queued for the nightly payout, 100 complete.
type PaymentStatus int

// Payment statuses.
const (
	PaymentCancelled  PaymentStatus = -1  // cancelled or timed out
	PaymentWaiting    PaymentStatus = 0   // waiting for the buyer's funds
	PaymentConfirming PaymentStatus = 1   // funds received, waiting for confirmations
	PaymentQueued     PaymentStatus = 2   // paid, queued for the nightly payout
	PaymentComplete   PaymentStatus = 100 // complete
)

// PaymentState is what a payment status means to a merchant.
type PaymentState string

// Payment states: the rule of spec §7.2 ([compat]): < 0 failed, 0..99 pending, >= 100 or 2 paid.
const (
	StatePaid    PaymentState = "paid"
	StatePending PaymentState = "pending"
	StateFailed  PaymentState = "failed"
)

// State applies the paid/pending/failed rule.
func (s PaymentStatus) State() PaymentState {
	switch {
	case s >= 100 || s == PaymentQueued:
		return StatePaid
	case s < 0:
		return StateFailed
	}
	return StatePending
}

// Paid reports whether the merchant is paid (status >= 100, or 2: queued for payout).
func (s PaymentStatus) Paid() bool { return s.State() == StatePaid }

// Failed reports whether the payment was cancelled or timed out (status < 0).
func (s PaymentStatus) Failed() bool { return s.State() == StateFailed }

// Pending reports whether the payment still waits for funds or confirmations.
func (s PaymentStatus) Pending() bool { return s.State() == StatePending }

// Final reports whether the status can no longer change (paid or failed).
func (s PaymentStatus) Final() bool { return s.State() != StatePending }

// String is the status in a merchant's words.
func (s PaymentStatus) String() string {
	switch {
	case s >= 100:
		return "Complete"
	case s == PaymentQueued:
		return "Paid (queued for payout)"
	case s == PaymentConfirming:
		return "Funds received, confirming"
	case s == PaymentWaiting:
		return "Waiting for funds"
	case s < 0:
		return "Cancelled or timed out"
	}
	return "Status " + strconv.Itoa(int(s))
}

// WithdrawalStatus is a withdrawal's status number (spec §7.3): -1 cancelled, 0 awaiting email
// confirmation, 1 pending, 2 complete.
type WithdrawalStatus int

// Withdrawal statuses.
const (
	WithdrawalCancelled       WithdrawalStatus = -1
	WithdrawalAwaitingConfirm WithdrawalStatus = 0 // awaiting email confirmation
	WithdrawalPending         WithdrawalStatus = 1
	WithdrawalComplete        WithdrawalStatus = 2
)

// String is the status in a merchant's words.
func (s WithdrawalStatus) String() string {
	switch s {
	case WithdrawalCancelled:
		return "Cancelled"
	case WithdrawalAwaitingConfirm:
		return "Awaiting email confirmation"
	case WithdrawalPending:
		return "Pending"
	case WithdrawalComplete:
		return "Complete"
	}
	return "Status " + strconv.Itoa(int(s))
}

// PaymentStatuses and WithdrawalStatuses list the statuses in order, for documentation and the
// generated JS copies.
var (
	PaymentStatuses    = []PaymentStatus{PaymentCancelled, PaymentWaiting, PaymentConfirming, PaymentQueued, PaymentComplete}
	WithdrawalStatuses = []WithdrawalStatus{WithdrawalCancelled, WithdrawalAwaitingConfirm, WithdrawalPending, WithdrawalComplete}
)

// TransferStatus is the status create_transfer answers (spec §7.3): 0 awaiting email
// confirmation, 1 created.
type TransferStatus int

// Transfer statuses.
const (
	TransferAwaitingConfirm TransferStatus = 0
	TransferCreated         TransferStatus = 1
)

// String is the status in a merchant's words.
func (s TransferStatus) String() string {
	switch s {
	case TransferAwaitingConfirm:
		return "Awaiting email confirmation"
	case TransferCreated:
		return "Created"
	}
	return "Status " + strconv.Itoa(int(s))
}
