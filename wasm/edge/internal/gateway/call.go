package gateway

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
)

// readCommands may always be called through /v1/call; money commands only with ALLOW_MONEY=1.
var readCommands = map[string]bool{
	"get_basic_info": true, "balances": true, "rates": true, "get_deposit_address": true,
	"get_tx_info": true, "get_tx_info_multi": true, "get_tx_ids": true,
	"get_withdrawal_history": true, "get_withdrawal_info": true, "get_callback_address": true,
	"create_transaction": true,
}

// servedCommands names what /v1/call serves, for the answer to a command it does not (keep it in
// step with readCommands and core's money commands; a test checks).
const servedCommands = "get_basic_info, balances, rates, get_deposit_address, get_callback_address, get_tx_info, get_tx_info_multi, get_tx_ids, get_withdrawal_history, get_withdrawal_info and create_transaction; with " + EnvAllowMoney + "=1 also create_withdrawal, create_mass_withdrawal, create_transfer and convert"

// allowed reports whether cmd may be called, and if not, why.
func (g *Gateway) allowed(cmd string) (bool, *Response) {
	switch {
	case readCommands[cmd]:
		return true, nil
	case core.IsMoneyCommand(cmd):
		if g.cfg.AllowMoney {
			return true, nil
		}
		return false, errorResponse(403, "money_disabled", "command "+cmd+" moves funds and is disabled on this gateway (set "+EnvAllowMoney+"=1 to allow it)", false)
	}
	return false, errorResponse(403, "command_not_allowed", "command "+strconv.Quote(clip(cmd, 64))+" is not allowed through the gateway: it serves "+servedCommands, false)
}

// call answers POST /v1/call/{cmd}: the fields (form or JSON object body) go to core.Client.Call
// and the answer is the Wallex envelope itself, byte for byte, so the gateway can stand in for
// the API URL.
func (g *Gateway) call(ctx context.Context, p Platform, r *Request, cmd string) *Response {
	if ok, res := g.allowed(cmd); !ok {
		return res
	}
	fields, res := parseFields(r)
	if res != nil {
		return res
	}
	if res := envelopeFields(fields, cmd); res != nil {
		return res
	}
	for k := range fields {
		if !validFieldName(k) {
			return badInput("field name "+strconv.Quote(clip(k, 64)), "only a-z, 0-9, '_', '[' and ']' are forwarded (e.g. address, wd[1][amount])")
		}
	}
	c, res := g.client(ctx, p, r)
	if res != nil {
		return res
	}
	up := r.Upstream
	var idem *idemClaim
	if !core.IsReadCommand(cmd) {
		var cancel context.CancelFunc
		up, cancel = p.WithTimeout(up, g.cfg.UpstreamTimeout)
		defer cancel()
		key, ok := r.Header["idempotency-key"]
		if !ok && core.IsMoneyCommand(cmd) {
			// The gateway orders the API's nonces itself, so a copy of this request delivered twice
			// (a proxy, a browser resending a POST on a dropped keep-alive connection) would be two
			// withdrawals: only the key tells a copy from a new request.
			return errorResponse(428, "idempotency_key_required", "a money command needs an Idempotency-Key header: a unique id for this payment (for example a UUID), sent unchanged with every retry of it; without one, a copy of the request delivered twice would pay twice. Nothing was sent", false)
		}
		if ok {
			// Recorded before anything is sent: a copy of this request gets its answer instead
			// of becoming a second call (idempotency.go).
			if !validIdempotencyKey(key) {
				return badInput("Idempotency-Key header", "must be 1 to 255 printable ASCII characters without spaces")
			}
			deadline, _ := up.Deadline()
			if idem, res = g.claimIdempotency(ctx, p, r, c, cmd, fields, key, deadline); res != nil {
				return res
			}
		}
	}
	out, err := c.Call(up, cmd, fields)
	if err != nil {
		p.Log("edge: call " + cmd + ": " + err.Error())
		res = g.apiFailure(r, c, cmd, err)
	} else {
		res = jsonResponse(200, out.JSON)
	}
	if idem != nil {
		g.settleIdempotency(ctx, p, idem, res)
	}
	return res
}

// validFieldName reports whether a field name is made of [a-z0-9_[\]] only: what the API's
// fields (including create_mass_withdrawal's wd[KEY][field]) look like. The KEY of wd[KEY] is the
// caller's, and may also hold A-Z and '-', as core allows it (core/payout's rows are L<line>).
func validFieldName(k string) bool {
	if k == "" || len(k) > 128 {
		return false
	}
	end := -1 // wd[KEY]: KEY is k[3:end]
	if strings.HasPrefix(k, "wd[") {
		end = strings.IndexByte(k, ']')
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '[' || c == ']' ||
			(c >= 'A' && c <= 'Z' || c == '-') && i >= 3 && i < end) {
			return false
		}
	}
	return true
}

// envelopeFields accepts and removes the fields a Wallex client sends on every call, so that a
// client can use https://gateway/v1/call as its API URL (the wasm bridge's gatewayToken mode):
// version (must be 1), cmd (must match the path), key (the gateway calls with its own key),
// nonce (the gateway orders nonces itself) and format (the gateway answers JSON).
func envelopeFields(f core.Fields, cmd string) *Response {
	if v, ok := f["version"]; ok {
		if v != "1" {
			return badInput("version", "must be 1")
		}
		delete(f, "version")
	}
	if v, ok := f["cmd"]; ok {
		if v != cmd {
			return badInput("cmd", "is "+strconv.Quote(clip(v, 64))+" but the path names "+strconv.Quote(cmd))
		}
		delete(f, "cmd")
	}
	if v, ok := f["format"]; ok {
		if v != "json" {
			return badInput("format", "the gateway answers JSON only: leave format out or set it to json")
		}
		delete(f, "format")
	}
	delete(f, "key")
	delete(f, "nonce")
	return nil
}

// parseFields reads the call's fields from a form or JSON object body.
func parseFields(r *Request) (core.Fields, *Response) {
	if len(r.Body) == 0 {
		return nil, nil
	}
	mt, _, _ := strings.Cut(r.Header["content-type"], ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" {
		mt = "application/x-www-form-urlencoded"
	}
	switch mt {
	case "application/json":
		return jsonFields(r.Body)
	case "application/x-www-form-urlencoded":
		m, err := parseQuery(string(r.Body))
		if err != nil {
			return nil, errorResponse(400, "invalid_form", "malformed form body: "+err.Error(), false)
		}
		return core.Fields(m), nil
	}
	return nil, errorResponse(415, "unsupported_media_type", "send the fields as application/x-www-form-urlencoded or as a JSON object (application/json), not "+clip(mt, 60), false)
}

// jsonFields reads a flat JSON object: strings as they are, numbers as their exact text,
// booleans as 1/0 (the API's booleans).
func jsonFields(body []byte) (core.Fields, *Response) {
	if !gjson.ValidBytes(body) {
		return nil, errorResponse(400, "invalid_json", "the body is not valid JSON", false)
	}
	v := gjson.ParseBytes(body)
	if !v.IsObject() {
		return nil, errorResponse(400, "invalid_json", "the body must be a JSON object of fields, e.g. {\"txid\":\"...\"}", false)
	}
	f := core.Fields{}
	var res *Response
	v.ForEach(func(k, val gjson.Result) bool {
		if _, dup := f[k.Str]; dup {
			res = badInput(clip(k.Str, 64), "appears twice")
			return false
		}
		switch val.Type {
		case gjson.String:
			f[k.Str] = val.Str
		case gjson.Number:
			f[k.Str] = val.Raw
		case gjson.True:
			f[k.Str] = "1"
		case gjson.False:
			f[k.Str] = "0"
		default:
			res = badInput(clip(k.Str, 64), "must be a string, number or boolean")
			return false
		}
		return true
	})
	return f, res
}

// parseQuery is url.ParseQuery that refuses repeated keys and bad escapes instead of keeping a
// part of the input.
func parseQuery(s string) (map[string]string, error) {
	m := map[string]string{}
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if kv == "" {
			continue
		}
		if strings.Contains(kv, ";") {
			return nil, errors.New("';' is not a separator: use '&'")
		}
		k, v, _ := strings.Cut(kv, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, errors.New("bad escape in a field name")
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, errors.New("bad escape in the value of " + strconv.Quote(clip(key, 64)))
		}
		if key == "" {
			return nil, errors.New("a field has no name")
		}
		if _, dup := m[key]; dup {
			return nil, errors.New("field " + strconv.Quote(clip(key, 64)) + " appears twice")
		}
		m[key] = val
	}
	return m, nil
}
