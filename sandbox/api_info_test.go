package sandbox

import (
	"strings"
	"testing"
)

func TestInfoCommands(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()

	info := e.ok(tok, pub, "get_basic_info", nil).(map[string]any)
	if info["username"] != "demo" || info["public_name"] != "Demo Store" || info["merchant_id"] != e.s.Demo().MerchantID || info["email"] != "demo@example.com" {
		t.Fatalf("basic info %v", info)
	}

	bal := e.ok(tok, pub, "balances", nil).(map[string]any)
	if len(bal) != 4 || bal["LTCT"].(map[string]any)["balance"] != float64(10_000_000_000) {
		t.Fatalf("balances %v", bal)
	}
	all := e.ok(tok, pub, "balances", vals("all", "1")).(map[string]any)
	if len(all) != 8 || all["DOGE"].(map[string]any)["balance"] != float64(0) || all["USD"] != nil {
		t.Fatalf("balances all=1 %v", all)
	}
	raw := e.call(tok, pub, "balances", vals("all", "1"))
	if !strings.Contains(string(raw.body), `"DOGE":{"balance":0,"balancef":0.00000000}`) || !strings.Contains(string(raw.body), `"BTC":{"balance":150000000,"balancef":1.50000000}`) {
		t.Fatalf("balancef not 8-decimal numbers: %s", raw.body)
	}

	t.Run("deposit address", func(t *testing.T) {
		a1 := e.ok(tok, pub, "get_deposit_address", vals("currency", "BTC")).(map[string]any)["address"].(string)
		a2 := e.ok(tok, pub, "get_deposit_address", vals("currency", "BTC")).(map[string]any)["address"].(string)
		l1 := e.ok(tok, pub, "get_deposit_address", vals("currency", "LTC")).(map[string]any)["address"].(string)
		if a1 == "" || a1 != a2 || l1 == a1 {
			t.Fatalf("addresses %q %q %q", a1, a2, l1)
		}
		for _, tc := range []struct{ cur, want string }{
			{"", "Missing required field: currency"},
			{"XYZ", "Unknown currency: XYZ"},
			{"USD", "USD is a fiat currency and has no wallet"},
		} {
			if got := e.apiErr(tok, pub, "get_deposit_address", vals("currency", tc.cur)); got != tc.want {
				t.Fatalf("%q: %s", tc.cur, got)
			}
		}
	})

	t.Run("rates", func(t *testing.T) {
		full := e.ok(tok, pub, "rates", nil).(map[string]any)
		if len(full) != 10 {
			t.Fatalf("rates has %d coins", len(full))
		}
		btc := full["BTC"].(map[string]any)
		want := map[string]any{"is_fiat": float64(0), "rate_btc": "1.00000000", "tx_fee": "0.00010000", "status": "online",
			"name": "Bitcoin", "confirms": "2", "can_convert": float64(1), "accepted": float64(1),
			"last_update": itoa(int(e.clock.Now().Unix()))}
		for k, v := range want {
			if btc[k] != v {
				t.Fatalf("BTC.%s = %v, want %v", k, btc[k], v)
			}
		}
		if _, ok := btc["capabilities"].([]any); !ok {
			t.Fatalf("capabilities %v", btc["capabilities"])
		}
		if usd := full["USD"].(map[string]any); usd["is_fiat"] != float64(1) || usd["rate_btc"] != "0.00001600" {
			t.Fatalf("USD %v", usd)
		}
		short := e.ok(tok, pub, "rates", vals("short", "1")).(map[string]any)["BTC"].(map[string]any)
		if short["name"] != nil || short["capabilities"] != nil || short["rate_btc"] != "1.00000000" {
			t.Fatalf("short %v", short)
		}
		acc := e.ok(tok, pub, "rates", vals("accepted", "1")).(map[string]any)
		if acc["TRX"] != nil || acc["USD"] != nil || acc["BTC"] == nil {
			t.Fatalf("accepted %v", acc)
		}
	})
}
