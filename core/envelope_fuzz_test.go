package core_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/xmlwire"
)

// fixedAnswer is a fuzz harness transport: it answers every request with the fuzzer's bytes, so
// the envelope decoder sees arbitrary bodies and statuses.
func fixedAnswer(status int, body []byte) core.Transport {
	return core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		if string(r.URL[len(r.URL)-5:]) == "login" {
			return &core.HTTPResponse{Status: 200, Body: []byte(`{"success":"true","result":{"access_token":"Bearer t","expires_at":"2999-01-01 00:00:00"}}`)}, nil
		}
		return &core.HTTPResponse{Status: status, Body: body}, nil
	})
}

func fuzzEnvelope(t *testing.T, status int, body []byte, cmd string, opts ...core.Option) {
	opts = append(opts, core.WithAPIURL("http://127.0.0.1:1/api"), core.WithKeys("pub", "priv"),
		core.WithTransport(fixedAnswer(status, body)), core.WithRetries(0, 0, 0))
	c, err := core.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Call(context.Background(), cmd, nil)
	if err == nil {
		if res == nil || status < 200 || status > 299 {
			t.Fatalf("success with status %d", status)
		}
		if !gjson.ValidBytes(res.JSON) || gjson.GetBytes(res.JSON, "error").String() != "ok" {
			t.Fatalf("success for a body whose error is not ok: %q", body)
		}
		return
	}
	var e core.Error
	if !errors.As(err, &e) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	if core.IsMoneyCommand(cmd) && status >= 500 {
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("money command with HTTP %d: %v, want outcome unknown", status, err)
		}
	}
}

func FuzzEnvelopeJSON(f *testing.F) {
	f.Add(200, []byte(`{"error":"ok","result":{"BTC":{"balance":1,"balancef":0.00000001}}}`), false)
	f.Add(200, []byte(`{"error":"Invalid nonce: must be greater than 5","result":[]}`), true)
	f.Add(502, []byte(`<html><body><h1>502 Bad Gateway</h1></body></html>`), true)
	f.Add(200, []byte(`{"error":"ok"`), false)
	f.Add(429, []byte(`{"error":"Too many failed calls, retry later"}`), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, money bool) {
		if status < 100 || status > 599 || status == 401 {
			return
		}
		cmd := "balances"
		if money {
			cmd = "create_withdrawal"
		}
		fuzzEnvelope(t, status, body, cmd)
	})
}

func FuzzEnvelopeXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><response><error>ok</error><result><BTC><balance>1</balance></BTC></result></response>`))
	f.Add([]byte(`<response><error>Bad</error><result/></response>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzEnvelope(t, 200, body, "balances", core.WithWireFormat("xml", xmlwire.ToJSON))
	})
}
