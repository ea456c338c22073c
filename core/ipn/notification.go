package ipn

import (
	"net/url"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn/ipnwire"
)

// IPN types with a typed view in [Notification].
const (
	TypeAPI        = ipnwire.TypeAPI
	TypeDeposit    = ipnwire.TypeDeposit
	TypeWithdrawal = ipnwire.TypeWithdrawal
)

// Amounts in notifications are core.Decimal: the exact decimal text as sent by Wallex, e.g.
// "0.40000000", never a float (Decimal.Amount gives base units). Parse accepts an optional
// leading '-', one or more digits and an optional '.' followed by one or more digits; an absent
// field is the empty Decimal.

// Notification is one parsed IPN. Fields holds every raw field as received;
// exactly one of API, Deposit and Withdrawal is set for ipn_type api, deposit
// and withdrawal, and none for other types (e.g. "simple", "button"), which
// are read from Fields.
type Notification struct {
	Version    string             // ipn_version, "1.0"
	ID         string             // ipn_id, unique per notification
	Mode       string             // ipn_mode, "hmac"
	Type       string             // ipn_type
	Merchant   string             // merchant ID
	Status     core.PaymentStatus // status; see Paid, Failed, Pending (a withdrawal's 2 is complete)
	StatusText string             // status_text, human readable

	// FirstPaid is set by a Tracker (Handle, AcceptContext) on the notification that makes its
	// payment paid: it is Paid and no status applied before it was. A payment can be paid twice
	// over (2, queued for payout, then 100, complete, each with its own ipn_id, and both applied):
	// fulfil or credit on FirstPaid, never on Paid. It is set on exactly one notification of a
	// payment when they are decided one at a time: Handle in one process, or a store whose commit
	// takes effect only if the status read is still the last one (the gateway's); two
	// AcceptContext calls decided before either commits can both have it. It is set again on a
	// redelivery of a notification Handle's function acted on but that was not recorded (the
	// process killed between the two, or the store failing the commit): make the fulfilment
	// itself happen once (set paid_at only where it is not set, in the same transaction as the
	// store's writes where the store can), in one process too.
	FirstPaid bool

	Fields url.Values // all fields, raw

	API        *APIPayment
	Deposit    *Deposit
	Withdrawal *Withdrawal
}

// APIPayment is the typed view of an ipn_type=api notification, sent for a
// transaction made with create_transaction.
type APIPayment = ipnwire.APIPayment

// Deposit is the typed view of an ipn_type=deposit notification, sent for a
// payment to a callback address.
type Deposit = ipnwire.Deposit

// Withdrawal is the typed view of an ipn_type=withdrawal notification.
type Withdrawal = ipnwire.Withdrawal

// Paid reports whether the status means the payment is done: status >= 100 or
// status == 2 (queued for payout; for a withdrawal, complete).
func (n *Notification) Paid() bool { return n != nil && n.Status.Paid() }

// Failed reports whether the status means cancelled or timed out (< 0).
func (n *Notification) Failed() bool { return n != nil && n.Status.Failed() }

// Pending reports whether the payment is neither paid nor failed.
func (n *Notification) Pending() bool { return n != nil && !n.Paid() && !n.Failed() }

// Key returns the identifier of the payment the notification is about, used
// to order notifications of the same payment: txn_id for api, deposit_id (or
// txn_id when absent) for deposit, id for withdrawal. Other types use the
// txn_id field if present; Key returns "" when there is none.
func (n *Notification) Key() string {
	if n == nil {
		return ""
	}
	return n.wire().Key()
}

// wire is n as ipnwire's Notification (the same fields; Fields shared).
func (n *Notification) wire() *ipnwire.Notification {
	return &ipnwire.Notification{Version: n.Version, ID: n.ID, Mode: n.Mode, Type: n.Type, Merchant: n.Merchant,
		Status: n.Status, StatusText: n.StatusText, FirstPaid: n.FirstPaid, Fields: n.Fields, API: n.API, Deposit: n.Deposit, Withdrawal: n.Withdrawal}
}

// fromWire is w as this package's Notification (nil for nil).
func fromWire(w *ipnwire.Notification) *Notification {
	if w == nil {
		return nil
	}
	return &Notification{Version: w.Version, ID: w.ID, Mode: w.Mode, Type: w.Type, Merchant: w.Merchant,
		Status: w.Status, StatusText: w.StatusText, FirstPaid: w.FirstPaid, Fields: w.Fields, API: w.API, Deposit: w.Deposit, Withdrawal: w.Withdrawal}
}

// Parse reads a form-encoded IPN body without verifying its signature: use it
// only for tools and for bodies already verified. Verifier.Verify calls it
// after the signature check.
//
// It requires ipn_id, ipn_type and an integer status, rejects a field it
// interprets that appears more than once (ambiguous), and for typed
// notifications requires the payment key (see Notification.Key) and validates
// amounts and integers. Errors wrap ErrMalformed.
func Parse(body []byte) (*Notification, error) {
	w, err := ipnwire.Parse(body)
	return fromWire(w), err
}
