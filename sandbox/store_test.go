package sandbox

import (
	"path/filepath"
	"testing"
	"time"
)

func TestLedgerPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	clock := newClock()
	cfg := Config{DataPath: path, Now: clock.Now}
	e := newEnv(t, cfg)
	m := e.merchant("keep", map[string]string{"BTC": "1"})
	txid := e.mok(m, "create_transaction", txForm()).(map[string]any)["txn_id"].(string)
	if _, err := e.s.PayTransaction(txid, "0.0001", true); err != nil {
		t.Fatal(err)
	}
	wid := e.mok(m, "create_withdrawal", vals("amount", "0.1", "currency", "BTC", "address", "bc1qkeep", "note", "n1")).(map[string]any)["id"].(string)
	cid := e.mok(m, "convert", vals("amount", "0.1", "from", "BTC", "to", "ETH")).(string)
	cb := e.mok(m, "get_callback_address", vals("currency", "BTC", "label", "L")).(map[string]any)["address"].(string)
	e.ts.Close()
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := newEnv(t, cfg)
	if in := e2.mok(m, "get_tx_info", vals("txid", txid)).(map[string]any); in["receivedf"] != "0.00010000" || in["status"] != float64(0) {
		t.Fatalf("tx after restart %v", in)
	}
	if in := e2.mok(m, "get_withdrawal_info", vals("id", wid)).(map[string]any); in["note"] != "n1" || in["status"] != float64(0) {
		t.Fatalf("withdrawal after restart %v", in)
	}
	if e2.balance(m, "BTC") != "0.80000000" || e2.balance(m, "ETH") != "2.50000000" {
		t.Fatalf("balances after restart %s %s", e2.balance(m, "BTC"), e2.balance(m, "ETH"))
	}
	if cid2 := e2.mok(m, "convert", vals("amount", "0.1", "from", "BTC", "to", "ETH")).(string); cid2 <= cid {
		t.Fatalf("conversion id %s not after %s", cid2, cid)
	}
	if dep, err := e2.s.Deposit(cb, "BTC", "0.5"); err != nil || dep.Kind != "callback" {
		t.Fatalf("deposit to callback address after restart: %+v %v", dep, err)
	}
	if _, err := e2.s.PayTransaction(txid, "", true); err != nil {
		t.Fatal(err)
	}
	if e2.balance(m, "BTC") != "1.20016000" {
		t.Fatalf("balance %s", e2.balance(m, "BTC"))
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.db")
	clock := newClock()
	cfg := Config{DataPath: path, Now: clock.Now}
	e := newEnv(t, cfg)
	d := e.s.Demo()
	tok, pub := e.demo()
	addr := e.ok(tok, pub, "get_deposit_address", vals("currency", "BTC")).(map[string]any)["address"]
	e.ok(tok, pub, "get_basic_info", vals("nonce", "42"))
	a, err := e.s.CreateAccount(AccountSpec{Username: "persist", PublicName: "P"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.s.CreateKey(a.MerchantID, []string{"balances"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetBalance(a.MerchantID, "ETH", "0.12345678"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetIPN(a.MerchantID, "http://127.0.0.1:1/ipn", "s3cret"); err != nil {
		t.Fatal(err)
	}
	e.ts.Close()
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := newEnv(t, cfg)
	if e2.s.Demo() != d {
		t.Fatalf("demo changed: %+v vs %+v", e2.s.Demo(), d)
	}
	// The old token survives (tokens are stored hashed).
	if got := e2.apiErr(tok, pub, "get_basic_info", vals("nonce", "42")); got != "Invalid nonce: must be greater than 42" {
		t.Fatal(got)
	}
	if got := e2.ok(tok, pub, "get_deposit_address", vals("currency", "BTC", "nonce", "43")).(map[string]any)["address"]; got != addr {
		t.Fatalf("address %v, want %v", got, addr)
	}
	tok2 := e2.login(k.PublicKey, k.PrivateKey)
	bal := e2.ok(tok2, k.PublicKey, "balances", nil).(map[string]any)
	if eth := bal["ETH"].(map[string]any); eth["balance"] != float64(12345678) {
		t.Fatalf("balances %v", bal)
	}
	if got := e2.apiErr(tok2, k.PublicKey, "rates", nil); got != "This API key has no permission for rates" {
		t.Fatal(got)
	}
	acct, err := e2.s.GetAccount(a.MerchantID)
	if err != nil || acct.IPNURL != "http://127.0.0.1:1/ipn" || !acct.HasIPNSecret || acct.PublicName != "P" {
		t.Fatalf("account %+v %v", acct, err)
	}

	t.Run("configured demo keys replace the stored ones", func(t *testing.T) {
		e2.ts.Close()
		e2.s.Close()
		cfg3 := cfg
		cfg3.DemoPublicKey, cfg3.DemoPrivateKey = "demo-pub", "demo-priv"
		e3 := newEnv(t, cfg3)
		if d3 := e3.s.Demo(); d3.PublicKey != "demo-pub" || d3.PrivateKey != "demo-priv" || d3.MerchantID != d.MerchantID {
			t.Fatalf("demo %+v", d3)
		}
		tok := e3.login("demo-pub", "demo-priv")
		e3.ok(tok, "demo-pub", "balances", nil)
		if r := e3.form("/api/login", vals("cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), nil); r.status != 401 {
			t.Fatalf("old demo key still logs in: %d", r.status)
		}
	})
}

func TestSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := New(Config{DataPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if _, err := New(Config{DataPath: path}); err == nil {
		t.Fatal("second New on a locked file succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("took too long")
	}
}
