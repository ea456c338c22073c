//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn/ipnwire"
)

// ipnView is a verified IPN for JS, with the wire's field names.
type ipnView struct {
	ID         string              `json:"ipn_id"`
	Type       string              `json:"ipn_type"`
	Merchant   string              `json:"merchant"`
	Status     int64               `json:"status"`
	StatusText string              `json:"status_text"`
	State      string              `json:"state"` // paid (for a withdrawal: complete), pending or failed
	Key        string              `json:"key"`   // the payment it is about: txn_id, deposit_id or withdrawal id
	Fields     map[string]string   `json:"fields"`
	API        *ipnwire.APIPayment `json:"api,omitempty"`
	Deposit    *ipnwire.Deposit    `json:"deposit,omitempty"`
	Withdrawal *ipnwire.Withdrawal `json:"withdrawal,omitempty"`
}

// verifyIpn({body, hmac, merchantId, secret | secrets}) checks an IPN exactly as core/ipn does
// (HMAC-SHA512 of the raw body in constant time, ipn_mode, the merchant, the mandatory fields)
// and resolves with it parsed; it rejects with code invalid_input and field "ipn" when the
// notification must not be trusted, or field "secret"/"merchantId" when the call is wrong.
// body is the request body exactly as received: a string or a Uint8Array.
func verifyIPN(args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	hmac, merchant := o.text("hmac"), o.text("merchantId")
	var secrets []string
	if s := o.text("secret"); s != "" {
		secrets = append(secrets, s)
	}
	if v, ok := o.get("secrets"); ok {
		if !v.InstanceOf(js.Global().Get("Array")) {
			o.fail("secrets", "must be an array of strings (the new secret first during a rotation)")
		} else {
			for i := 0; i < v.Length(); i++ {
				secrets = append(secrets, jsText(v.Index(i)))
			}
		}
	}
	bodyV, ok := o.get("body")
	var body []byte
	switch {
	case !ok:
		o.fail("body", "is required: the request body exactly as received")
	case bodyV.Type() == js.TypeString:
		body = []byte(bodyV.String())
	case bodyV.InstanceOf(js.Global().Get("Uint8Array")):
		body = make([]byte, bodyV.Length())
		js.CopyBytesToGo(body, bodyV)
	default:
		o.fail("body", "must be a string or a Uint8Array: the request body exactly as received")
	}
	if o.err != nil {
		return nil, o.err
	}
	v, err := ipnwire.NewVerifier(merchant, secrets...)
	if err != nil {
		// core's messages name Go's NewVerifier; say it with this function's option names.
		switch {
		case errors.Is(err, ipnwire.ErrNoMerchant):
			return nil, &core.ValidationError{Field: "merchantId", Problem: "is required: your Wallex merchant ID (basicInfo's merchant_id; the sandbox prints it as WALLEX_MERCHANT_ID)"}
		case errors.Is(err, ipnwire.ErrNoSecret):
			return nil, &core.ValidationError{Field: "secret", Problem: "is required: the IPN secret set in your Wallex account settings (the sandbox prints it as WALLEX_IPN_SECRET), or secrets during a rotation; no IPN can be trusted without it"}
		}
		return nil, &core.ValidationError{Field: "secret", Problem: err.Error()}
	}
	n, err := v.Verify(body, hmac)
	if err != nil {
		problem := "not trusted: " + err.Error()
		if hmac == "" {
			problem += " (pass hmac: the request's HMAC header, e.g. req.headers.hmac in Node; Wallex signs every IPN)"
		}
		return nil, &core.ValidationError{Field: "ipn", Problem: problem}
	}
	out := ipnView{ID: n.ID, Type: n.Type, Merchant: n.Merchant, Status: int64(n.Status), StatusText: n.StatusText,
		Key: n.Key(), Fields: map[string]string{}, API: n.API, Deposit: n.Deposit, Withdrawal: n.Withdrawal}
	switch {
	case n.Paid():
		out.State = "paid"
	case n.Failed():
		out.State = "failed"
	default:
		out.State = "pending"
	}
	for k, vs := range n.Fields {
		if len(vs) > 0 {
			out.Fields[k] = vs[0]
		}
	}
	return out, nil
}
