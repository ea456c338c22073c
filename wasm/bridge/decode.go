//go:build js && wasm

package main

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/core/statement"
	"github.com/wallexkit/wallexkit/internal/timetext"
)

// Reading back what the bridge wrote (operation records and payout journal entries from the
// host's storage) and what JS hands back (rates(), a statement's details), without
// encoding/json: json.Unmarshal's rules for these types, on gjson. A text is refused when
// json.Unmarshal would refuse it: not one valid JSON value, or a member of the wrong JSON type
// (a string for a number, a fraction or an overflow for an integer, ...); unknown members are
// skipped, null leaves a member unset (a slice or map: nil), and where a key repeats the last
// one wins. Keys must match exactly (json.Unmarshal also takes them in another case; every
// text read here was written with exact keys). decode_test.go compares these readers with
// json.Unmarshal.

var (
	errSyntax = errors.New("not valid JSON")
	errType   = errors.New("a member has the wrong type")
)

// parseText parses text, which must be one valid JSON value.
func parseText(text string) (gjson.Result, error) {
	if !gjson.Valid(text) {
		return gjson.Result{}, errSyntax
	}
	return gjson.Parse(text), nil
}

// members calls set for each member of object v, in order, until it fails; null is an object
// without members.
func members(v gjson.Result, set func(key string, v gjson.Result) error) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsObject() {
		return errType
	}
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		err = set(text(k), x)
		return err == nil
	})
	return err
}

// items calls add for each item of array v; null is nil (add is not called and nil is
// returned with isNull set).
func items(v gjson.Result, add func(v gjson.Result) error) (isNull bool, err error) {
	if v.Type == gjson.Null {
		return true, nil
	}
	if !v.IsArray() {
		return false, errType
	}
	v.ForEach(func(_, x gjson.Result) bool {
		err = add(x)
		return err == nil
	})
	return false, err
}

// text is a JSON string's value as json.Unmarshal reads it: gjson keeps bytes that are not
// UTF-8, json makes each of them U+FFFD.
func text(v gjson.Result) string {
	s := v.Str
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // an invalid byte decodes as U+FFFD, size 1
		i += n
	}
	return string(b)
}

// The member readers are kept out of line: each inlined copy is code in the wasm.
//
//go:noinline
func readString(v gjson.Result, p *string) error {
	switch v.Type {
	case gjson.String:
		*p = text(v)
	case gjson.Null:
	default:
		return errType
	}
	return nil
}

//go:noinline
func readInt64(v gjson.Result, p *int64) error {
	switch v.Type {
	case gjson.Number:
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			return errType
		}
		*p = n
	case gjson.Null:
	default:
		return errType
	}
	return nil
}

func readInt(v gjson.Result, p *int) error {
	n := int64(*p)
	err := readInt64(v, &n)
	*p = int(n)
	return err
}

//go:noinline
func readBool(v gjson.Result, p *bool) error {
	switch v.Type {
	case gjson.True, gjson.False:
		*p = v.Type == gjson.True
	case gjson.Null:
	default:
		return errType
	}
	return nil
}

// readTime reads a time as encoding/json does (time.Time's UnmarshalJSON): null leaves it as
// it is, a string holds RFC 3339 text as it stands (escapes are not decoded), which
// timetext reads as time.Parse(time.RFC3339, ...) does.
//
//go:noinline
func readTime(v gjson.Result, p *time.Time) error {
	switch v.Type {
	case gjson.Null:
		return nil
	case gjson.String:
		t, err := timetext.Parse(timetext.RFC3339, v.Raw[1:len(v.Raw)-1], time.Local)
		if err != nil {
			return errType
		}
		*p = t
		return nil
	}
	return errType
}

// readAmount reads an amount with core.Amount's own UnmarshalJSON (which json.Unmarshal calls
// even for null, and which refuses it).
func readAmount(v gjson.Result, p *core.Amount) error { return p.UnmarshalJSON([]byte(v.Raw)) }

// readStringList reads a []string as json.Unmarshal does: null leaves nil, an array replaces
// what was read before (a member given twice), a null item is "".
func readStringList(v gjson.Result, p *[]string) error {
	out := []string{}
	null, err := items(v, func(x gjson.Result) error {
		var s string
		err := readString(x, &s)
		out = append(out, s)
		return err
	})
	if null {
		*p = nil
		return nil
	}
	*p = out
	return err
}

func readStringMap(v gjson.Result, p *map[string]string) error {
	if v.Type == gjson.Null {
		*p = nil
		return nil
	}
	if *p == nil && v.IsObject() {
		*p = map[string]string{}
	}
	return members(v, func(k string, x gjson.Result) error {
		var s string
		if err := readString(x, &s); err != nil {
			return err
		}
		(*p)[k] = s
		return nil
	})
}

// storedKeyOf is the store key an operation record was written under (SaveOp), "" when it has
// none (written before records carried it).
func storedKeyOf(text string) string { return gjson.Get(text, "store_key").Str }

// decodeOp reads an operation record that SaveOp wrote (json.Marshal's form of core.Op).
func decodeOp(text string) (core.Op, error) {
	var op core.Op
	v, err := parseText(text)
	if err != nil {
		return op, err
	}
	err = members(v, func(k string, x gjson.Result) error {
		switch k {
		case "id":
			return readString(x, &op.ID)
		case "cmd":
			return readString(x, &op.Cmd)
		case "ref":
			return readStringMap(x, &op.Ref)
		case "nonce":
			return readInt64(x, &op.Nonce)
		case "sent_at":
			return readTime(x, &op.SentAt)
		case "deadline":
			return readTime(x, &op.Deadline)
		case "state":
			return readString(x, (*string)(&op.State))
		case "result":
			return readString(x, &op.Result)
		case "results":
			return readStringList(x, &op.Results)
		case "until":
			return readTime(x, &op.Until)
		case "error":
			return readString(x, &op.Error)
		case "settled":
			return readTime(x, &op.Settled)
		case "unproven":
			op.Unproven = x.Type == gjson.True
			return nil
		case "fenced":
			op.Fenced = x.Type == gjson.True
			return nil
		}
		return nil
	})
	return op, err
}

// decodeEntry reads a payout journal entry that Append wrote (json.Marshal's form of
// payout.Entry). The journal is what keeps a payout from being sent twice: anything it cannot
// read exactly is an error, never a guess.
func decodeEntry(text string) (payout.Entry, error) {
	var e payout.Entry
	v, err := parseText(text)
	if err != nil {
		return e, err
	}
	err = members(v, func(k string, x gjson.Result) error {
		switch k {
		case "v":
			return readInt(x, &e.V)
		case "file":
			return readString(x, &e.File)
		case "sha256":
			return readString(x, &e.SHA256)
		case "rows":
			return readInt(x, &e.Rows)
		case "line":
			return readInt(x, &e.Line)
		case "state":
			return readString(x, (*string)(&e.State))
		case "id":
			return readString(x, &e.ID)
		case "error":
			return readString(x, &e.Error)
		case "nonce":
			return readInt64(x, &e.Nonce)
		case "sent_at":
			return readTime(x, &e.SentAt)
		case "deadline":
			return readTime(x, &e.Deadline)
		case "until":
			return readTime(x, &e.Until)
		case "held":
			return readBool(x, &e.Held)
		case "batch":
			return readString(x, &e.Batch)
		case "reconciled":
			return readBool(x, &e.Reconciled)
		case "answered":
			return readBool(x, &e.Answered)
		case "scanned":
			return readBool(x, &e.Scanned)
		case "session":
			return readString(x, &e.Session)
		case "at":
			return readTime(x, &e.At)
		}
		return nil
	})
	return e, err
}

// decodeRates reads the object rates() resolved with (json.Marshal's form of core.Rates).
func decodeRates(text string) (core.Rates, error) {
	var r core.Rates
	v, err := parseText(text)
	if err != nil {
		return r, err
	}
	err = members(v, func(k string, x gjson.Result) error {
		if k != "coins" {
			return nil
		}
		r.Coins = []core.Rate{}
		isNull, err := items(x, func(x gjson.Result) error {
			var c core.Rate
			err := readRate(x, &c)
			r.Coins = append(r.Coins, c)
			return err
		})
		if isNull {
			r.Coins = nil
		}
		return err
	})
	return r, err
}

func readRate(v gjson.Result, c *core.Rate) error {
	return members(v, func(k string, x gjson.Result) error {
		switch k {
		case "coin":
			return readString(x, &c.Coin)
		case "name":
			return readString(x, &c.Name)
		case "is_fiat":
			return readBool(x, &c.IsFiat)
		case "rate_btc":
			return readString(x, (*string)(&c.RateBTC))
		case "last_update":
			return readTime(x, &c.LastUpdate)
		case "tx_fee":
			return readString(x, (*string)(&c.TxFee))
		case "status":
			return readString(x, &c.Status)
		case "confirms":
			return readInt64(x, &c.Confirms)
		case "can_convert":
			return readBool(x, &c.CanConvert)
		case "capabilities":
			c.Capabilities = []string{}
			isNull, err := items(x, func(x gjson.Result) error {
				var s string
				err := readString(x, &s)
				c.Capabilities = append(c.Capabilities, s)
				return err
			})
			if isNull {
				c.Capabilities = nil
			}
			return err
		case "accepted":
			return readBool(x, &c.Accepted)
		}
		return nil
	})
}

// decodeDetails reads a statement's details (json.Marshal's form of
// map[string]*statement.Details) into m, as json.Unmarshal(text, &m) does.
func decodeDetails(text string, m *map[string]*statement.Details) error {
	v, err := parseText(text)
	if err != nil {
		return err
	}
	if v.Type == gjson.Null {
		*m = nil
		return nil
	}
	if *m == nil && v.IsObject() {
		*m = map[string]*statement.Details{}
	}
	return members(v, func(id string, x gjson.Result) error {
		if x.Type == gjson.Null {
			(*m)[id] = nil
			return nil
		}
		d := &statement.Details{}
		(*m)[id] = d
		return members(x, func(k string, x gjson.Result) error {
			switch k {
			case "invoice":
				return readString(x, &d.Invoice)
			case "item_name":
				return readString(x, &d.ItemName)
			case "item_number":
				return readString(x, &d.ItemNumber)
			case "custom":
				return readString(x, &d.Custom)
			case "buyer_name":
				return readString(x, &d.BuyerName)
			case "buyer_email":
				return readString(x, &d.BuyerEmail)
			case "price":
				return readAmount(x, &d.Price)
			case "price_currency":
				return readString(x, &d.PriceCurrency)
			}
			return nil
		})
	})
}
