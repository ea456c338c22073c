package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/sandbox"
)

// BenchmarkCall compares one get_basic_info through the core with a hand-written
// net/http + encoding/json call against the same in-process sandbox.
func BenchmarkCall(b *testing.B) {
	e := newEnv(b, sandbox.Config{})
	ctx := context.Background()

	b.Run("core", func(b *testing.B) {
		c := e.client()
		if _, err := c.Login(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			info, err := c.BasicInfo(ctx)
			if err != nil || info.MerchantID == "" {
				b.Fatal(err)
			}
		}
	})

	b.Run("nethttp+encoding/json", func(b *testing.B) {
		hc := &http.Client{}
		form := url.Values{"cmd": {"login"}, "version": {"1"}, "publickey": {e.demo.PublicKey}, "privatekey": {e.demo.PrivateKey}}
		resp, err := hc.PostForm(e.url()+"/login", form)
		if err != nil {
			b.Fatal(err)
		}
		var login struct {
			Result struct {
				AccessToken string `json:"access_token"`
			} `json:"result"`
		}
		json.NewDecoder(resp.Body).Decode(&login)
		resp.Body.Close()
		body := url.Values{"version": {"1"}, "key": {e.demo.PublicKey}, "cmd": {"get_basic_info"}}.Encode()
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, "POST", e.url()+"/get_basic_info", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", login.Result.AccessToken)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out struct {
				Error  string `json:"error"`
				Result struct {
					Username   string `json:"username"`
					MerchantID string `json:"merchant_id"`
					Email      string `json:"email"`
					PublicName string `json:"public_name"`
				} `json:"result"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || out.Error != "ok" || out.Result.MerchantID == "" {
				b.Fatal(err, out.Error)
			}
		}
	})
}

func balances200() []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"error":"ok","result":{`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		units := int64(i)*123456789 + 1
		fmt.Fprintf(&buf, `"C%03d":{"balance":%d,"balancef":%s}`, i, units, core.AmountFromUnits(units).String())
	}
	buf.WriteString(`}}`)
	return buf.Bytes()
}

// BenchmarkDecodeBalances200 compares decoding a 200-coin balances answer into exact amounts
// with the core against encoding/json into a map (which gives float64 or json.Number, not money).
func BenchmarkDecodeBalances200(b *testing.B) {
	body := balances200()
	b.Run("core", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			bal, err := core.DecodeBalances(core.ParseValue(body).Get("result"))
			if err != nil || len(bal.Coins) != 200 {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json-map", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var out map[string]any
			if err := json.Unmarshal(body, &out); err != nil {
				b.Fatal(err)
			}
			if len(out["result"].(map[string]any)) != 200 {
				b.Fatal("short")
			}
		}
	})
}
