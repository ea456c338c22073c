// Package ipnwire reads IPN bodies as they come over the wire: it checks the HMAC-SHA512
// signature on the raw body and parses the form into a typed notification. These are package
// ipn's rules (its Verifier, Parse and errors are this package's); use ipn, which adds the
// Tracker and the test signer and gives Fields as url.Values.
//
// It lives apart from ipn because ipn's public Notification.Fields is a url.Values: importing
// net/url starts net/netip, whose package variables bring in the unique and weak packages,
// about 28 KB of a gzipped WebAssembly build. The bridge, which only verifies, imports this
// package instead; form values are decoded here exactly as url.QueryUnescape decodes them
// (ipnwire_test.go compares the two).
package ipnwire

import (
	"errors"
	"strconv"
	"strings"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/errtext"
)

// IPN types with a typed view in [Notification].
const (
	TypeAPI        = "api"
	TypeDeposit    = "deposit"
	TypeWithdrawal = "withdrawal"
)

// Amounts in notifications are core.Decimal: the exact decimal text as sent by Wallex, e.g.
// "0.40000000", never a float (Decimal.Amount gives base units). Parse accepts an optional
// leading '-', one or more digits and an optional '.' followed by one or more digits; an absent
// field is the empty Decimal.

// validDecimal reports whether s is -?digits(.digits)?.
func validDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' || i+1 == len(s) {
		return false
	}
	for _, c := range []byte(s[i+1:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Notification is one parsed IPN (package ipn's Notification, with Fields as a plain map).
// Fields holds every raw field as received;
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
	FirstPaid  bool               // set by package ipn's Tracker (ipn.Notification.FirstPaid)

	Fields map[string][]string // all fields, raw

	API        *APIPayment
	Deposit    *Deposit
	Withdrawal *Withdrawal
}

// APIPayment is the typed view of an ipn_type=api notification, sent for a
// transaction made with create_transaction.
type APIPayment struct {
	TxnID            string       `json:"txn_id"`
	Currency1        string       `json:"currency1"` // pricing currency
	Currency2        string       `json:"currency2"` // currency the buyer pays
	Amount1          core.Decimal `json:"amount1"`   // amount in Currency1
	Amount2          core.Decimal `json:"amount2"`   // amount in Currency2
	Fee              core.Decimal `json:"fee"`       // fee in Currency2
	BuyerName        string       `json:"buyer_name"`
	Email            string       `json:"email"`
	ItemName         string       `json:"item_name"`
	ItemNumber       string       `json:"item_number"`
	Invoice          string       `json:"invoice"`
	Custom           string       `json:"custom"`
	ReceivedAmount   core.Decimal `json:"received_amount"` // amount received so far, in Currency2
	ReceivedConfirms int          `json:"received_confirms"`
}

// Deposit is the typed view of an ipn_type=deposit notification, sent for a
// payment to a callback address.
type Deposit struct {
	DepositID string       `json:"deposit_id"`
	TxnID     string       `json:"txn_id"`
	Address   string       `json:"address"`
	DestTag   string       `json:"dest_tag"`
	Currency  string       `json:"currency"`
	Confirms  int          `json:"confirms"`
	Amount    core.Decimal `json:"amount"`
	AmountI   int64        `json:"amounti"` // amount in base units (1e-8)
	Fee       core.Decimal `json:"fee"`
	FeeI      int64        `json:"feei"` // fee in base units (1e-8)
}

// Withdrawal is the typed view of an ipn_type=withdrawal notification.
type Withdrawal struct {
	ID       string       `json:"id"`
	TxnID    string       `json:"txn_id"`
	Address  string       `json:"address"`
	Currency string       `json:"currency"`
	Amount   core.Decimal `json:"amount"`
	AmountI  int64        `json:"amounti"` // amount in base units (1e-8)
}

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
	switch {
	case n == nil:
		return ""
	case n.API != nil:
		return n.API.TxnID
	case n.Deposit != nil:
		if n.Deposit.DepositID != "" {
			return n.Deposit.DepositID
		}
		return n.Deposit.TxnID
	case n.Withdrawal != nil:
		return n.Withdrawal.ID
	}
	return first(n.Fields, "txn_id")
}

// first is url.Values.Get: the first value of key, or "".
func first(m map[string][]string, key string) string {
	if vs := m[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// knownField reports whether Parse interprets field k, which must then appear at most once (a
// switch, not a map: no code at start-up).
func knownField(k string) bool {
	switch k {
	case "ipn_version", "ipn_id", "ipn_mode", "ipn_type", "merchant",
		"status", "status_text",
		"txn_id", "currency1", "currency2", "amount1", "amount2", "fee",
		"buyer_name", "email", "item_name", "item_number", "invoice",
		"custom", "received_amount", "received_confirms",
		"deposit_id", "address", "dest_tag", "currency", "confirms",
		"amount", "amounti", "feei", "id":
		return true
	}
	return false
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
	vals, err := parseForm(string(body))
	if err != nil {
		return nil, errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": form body: "+errtext.Of(err))
	}
	for k, vs := range vals {
		if len(vs) > 1 && knownField(k) {
			return nil, errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": field "+errtext.Q(k)+" appears "+errtext.D(len(vs))+" times")
		}
	}
	p := parser{vals: vals}
	n := &Notification{
		Version:    first(vals, "ipn_version"),
		ID:         p.required("ipn_id"),
		Mode:       first(vals, "ipn_mode"),
		Type:       p.required("ipn_type"),
		Merchant:   first(vals, "merchant"),
		StatusText: first(vals, "status_text"),
		Fields:     vals,
	}
	if p.err != nil {
		return nil, p.err
	}
	n.Status = core.PaymentStatus(p.integer("status", true))
	switch n.Type {
	case TypeAPI:
		n.API = &APIPayment{
			TxnID:            p.required("txn_id"),
			Currency1:        first(vals, "currency1"),
			Currency2:        first(vals, "currency2"),
			Amount1:          p.amount("amount1"),
			Amount2:          p.amount("amount2"),
			Fee:              p.amount("fee"),
			BuyerName:        first(vals, "buyer_name"),
			Email:            first(vals, "email"),
			ItemName:         first(vals, "item_name"),
			ItemNumber:       first(vals, "item_number"),
			Invoice:          first(vals, "invoice"),
			Custom:           first(vals, "custom"),
			ReceivedAmount:   p.amount("received_amount"),
			ReceivedConfirms: p.integer("received_confirms", false),
		}
	case TypeDeposit:
		d := &Deposit{
			DepositID: first(vals, "deposit_id"),
			TxnID:     first(vals, "txn_id"),
			Address:   first(vals, "address"),
			DestTag:   first(vals, "dest_tag"),
			Currency:  first(vals, "currency"),
			Confirms:  p.integer("confirms", false),
			Amount:    p.amount("amount"),
			AmountI:   p.int64("amounti"),
			Fee:       p.amount("fee"),
			FeeI:      p.int64("feei"),
		}
		if d.DepositID == "" && d.TxnID == "" && p.err == nil {
			p.err = errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": deposit has neither deposit_id nor txn_id")
		}
		n.Deposit = d
	case TypeWithdrawal:
		n.Withdrawal = &Withdrawal{
			ID:       p.required("id"),
			TxnID:    first(vals, "txn_id"),
			Address:  first(vals, "address"),
			Currency: first(vals, "currency"),
			Amount:   p.amount("amount"),
			AmountI:  p.int64("amounti"),
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, nil
}

// parser reads fields and keeps the first error.
type parser struct {
	vals map[string][]string
	err  error
}

func (p *parser) fail(problem string) {
	if p.err == nil {
		p.err = errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": "+problem)
	}
}

func (p *parser) required(key string) string {
	s := first(p.vals, key)
	if s == "" {
		p.fail("missing field " + errtext.Q(key))
	}
	return s
}

func (p *parser) amount(key string) core.Decimal {
	s := first(p.vals, key)
	if s != "" && !validDecimal(s) {
		p.fail("field " + errtext.Q(key) + " is not a decimal amount: " + errtext.Q(clip(s)))
	}
	return core.Decimal(s)
}

func (p *parser) integer(key string, required bool) int {
	s := first(p.vals, key)
	if s == "" {
		if required {
			p.fail("missing field " + errtext.Q(key))
		}
		return 0
	}
	i, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		p.fail("field " + errtext.Q(key) + " is not an integer: " + errtext.Q(clip(s)))
	}
	return int(i)
}

func (p *parser) int64(key string) int64 {
	s := first(p.vals, key)
	if s == "" {
		return 0
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail("field " + errtext.Q(key) + " is not an integer: " + errtext.Q(clip(s)))
	}
	return i
}

// parseForm is url.ParseQuery (the same result and the same first error) without its semicolon
// error, which is made with fmt, and without net/url.
func parseForm(query string) (map[string][]string, error) {
	m := map[string][]string{}
	if strings.Count(query, "&")+1 > maxFormFields {
		return m, errors.New("number of URL query parameters exceeded limit")
	}
	var err error
	for query != "" {
		var key string
		key, query, _ = strings.Cut(query, "&")
		if strings.Contains(key, ";") {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if key == "" {
			continue
		}
		key, value, _ := strings.Cut(key, "=")
		key, err1 := queryUnescape(key)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		value, err1 = queryUnescape(value)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		m[key] = append(m[key], value)
	}
	return m, err
}

// maxFormFields is net/url's default limit on the number of fields.
const maxFormFields = 10000

// queryUnescape is url.QueryUnescape: %XX escapes (either case) and '+' for a space; a
// malformed escape is an error, worded as url.EscapeError words it.
func queryUnescape(s string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			hi, ok1 := byte(0), false
			lo, ok2 := byte(0), false
			if i+2 < len(s) {
				hi, ok1 = fromHex(s[i+1])
				lo, ok2 = fromHex(s[i+2])
			}
			if !ok1 || !ok2 {
				bad := s[i:]
				if len(bad) > 3 {
					bad = bad[:3]
				}
				return "", errors.New("invalid URL escape " + strconv.Quote(bad))
			}
			b = append(b, hi<<4|lo)
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}
