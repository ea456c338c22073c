package sandbox

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

type merchant struct {
	id, pub, tok string
}

func (e *env) merchant(name string, balances map[string]string) merchant {
	e.t.Helper()
	a, err := e.s.CreateAccount(AccountSpec{Username: name})
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := e.s.CreateKey(a.MerchantID, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if balances != nil {
		if err := e.s.SetBalances(a.MerchantID, balances); err != nil {
			e.t.Fatal(err)
		}
	}
	return merchant{id: a.MerchantID, pub: k.PublicKey, tok: e.login(k.PublicKey, k.PrivateKey)}
}

func (e *env) mok(m merchant, cmd string, extra url.Values) any {
	e.t.Helper()
	return e.ok(m.tok, m.pub, cmd, extra)
}

func (e *env) merr(m merchant, cmd string, extra url.Values) string {
	e.t.Helper()
	return e.apiErr(m.tok, m.pub, cmd, extra)
}

func (e *env) balance(m merchant, coin string) string {
	e.t.Helper()
	b, err := e.s.Balances(m.id)
	if err != nil {
		e.t.Fatal(err)
	}
	if v, ok := b[coin]; ok {
		return v
	}
	return "0.00000000"
}

func txForm(kv ...string) url.Values {
	f := vals("amount", "10", "currency1", "USD", "currency2", "BTC", "buyer_email", "buyer@example.com")
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

func TestWithdrawals(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("payer", map[string]string{"BTC": "1", "LTC": "5"})
	addr := "bc1qexampleexampleexampleexample"
	res := e.mok(m, "create_withdrawal", vals("amount", "0.1", "currency", "BTC", "address", addr, "note", "order-42")).(map[string]any)
	id := res["id"].(string)
	if res["status"] != float64(0) || res["amount"] != "0.10000000" || e.balance(m, "BTC") != "0.90000000" {
		t.Fatalf("create %v, balance %s", res, e.balance(m, "BTC"))
	}
	info := func(id string) map[string]any {
		return e.mok(m, "get_withdrawal_info", vals("id", id)).(map[string]any)
	}
	if in := info(id); in["status"] != float64(0) || in["amount"] != float64(10_000_000) || in["amountf"] != "0.10000000" || in["send_address"] != addr || in["note"] != "order-42" || in["coin"] != "BTC" {
		t.Fatalf("info %v", in)
	}
	if st, err := e.s.ConfirmWithdrawal(id); err != nil || st.Status != 1 {
		t.Fatalf("confirm %+v %v", st, err)
	}
	var st WithdrawalState
	if code := e.admin("POST", "/sandbox/withdrawals/"+id+"/complete", nil, &st); code != 200 || st.Status != 2 || len(st.SendTxID) != 64 {
		t.Fatalf("complete %d %+v", code, st)
	}
	if in := info(id); in["status"] != float64(2) || in["send_txid"] != st.SendTxID || in["status_text"] != "Complete" {
		t.Fatalf("info after complete %v", in)
	}
	var errOut map[string]any
	if code := e.admin("POST", "/sandbox/withdrawals/"+id+"/cancel", nil, &errOut); code != 409 {
		t.Fatalf("cancel complete: %d %v", code, errOut)
	}

	// auto_confirm, then cancel: refunded
	res = e.mok(m, "create_withdrawal", vals("amount", "0.2", "currency", "BTC", "address", addr, "auto_confirm", "1", "add_tx_fee", "1")).(map[string]any)
	if res["status"] != float64(1) || e.balance(m, "BTC") != "0.69990000" {
		t.Fatalf("auto_confirm %v balance %s", res, e.balance(m, "BTC"))
	}
	if st, err := e.s.CancelWithdrawal(res["id"].(string)); err != nil || st.Status != -1 || e.balance(m, "BTC") != "0.90000000" {
		t.Fatalf("cancel %+v %v balance %s", st, err, e.balance(m, "BTC"))
	}
	// priced in USD, paid in BTC: 100 USD = 0.0016 BTC
	res = e.mok(m, "create_withdrawal", vals("amount", "100", "currency", "BTC", "currency2", "USD", "pbntag", "$shop")).(map[string]any)
	if res["amount"] != "0.00160000" {
		t.Fatalf("currency2 %v", res)
	}

	bad := []struct {
		form url.Values
		want string
	}{
		{vals("amount", "5", "currency", "BTC", "address", addr), "Insufficient funds: BTC balance is 0.89840000, this needs 5.00000000"},
		{vals("currency", "BTC", "address", addr), "Missing required field: amount"},
		{vals("amount", "0.1", "currency", "BTC"), "Missing required field: address (or pbntag)"},
		{vals("amount", "0.1", "currency", "BTC", "address", addr, "pbntag", "x"), "Give either address or pbntag, not both"},
		{vals("amount", "0.0001", "currency", "BTC", "address", addr), "Invalid amount: must be greater than the BTC network fee (0.00010000)"},
		{vals("amount", "0.1", "currency", "USD", "address", addr), "USD is a fiat currency and has no wallet"},
		{vals("amount", "0.1", "currency", "BTC", "address", "has space"), "Invalid address: must be 1-128 printable characters without spaces"},
		{vals("amount", "0.1", "currency", "BTC", "address", addr, "auto_confirm", "2"), "Invalid auto_confirm: must be 0 or 1"},
	}
	for _, tc := range bad {
		if got := e.merr(m, "create_withdrawal", tc.form); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.form, got, tc.want)
		}
	}

	hist := e.mok(m, "get_withdrawal_history", nil).([]any)
	if len(hist) != 3 || hist[2].(map[string]any)["id"] != id || hist[2].(map[string]any)["note"] != "order-42" {
		t.Fatalf("history %v", hist)
	}
	if h := e.mok(m, "get_withdrawal_history", vals("limit", "1", "start", "1")).([]any); len(h) != 1 || h[0].(map[string]any)["status"] != float64(-1) {
		t.Fatalf("paged history %v", h)
	}
	other := e.merchant("other", nil)
	if got := e.merr(other, "get_withdrawal_info", vals("id", id)); got != "Withdrawal not found" {
		t.Fatal(got)
	}
}

func TestTransfers(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.merchant("alice", map[string]string{"LTC": "10"})
	b := e.merchant("bob", nil)

	res := e.mok(a, "create_transfer", vals("amount", "1", "currency", "LTC", "merchant", b.id, "auto_confirm", "1")).(map[string]any)
	if res["status"] != float64(1) || e.balance(a, "LTC") != "9.00000000" || e.balance(b, "LTC") != "1.00000000" {
		t.Fatalf("auto transfer %v %s %s", res, e.balance(a, "LTC"), e.balance(b, "LTC"))
	}
	res = e.mok(a, "create_transfer", vals("amount", "2", "currency", "LTC", "merchant", b.id)).(map[string]any)
	if res["status"] != float64(0) || e.balance(a, "LTC") != "7.00000000" || e.balance(b, "LTC") != "1.00000000" {
		t.Fatalf("pending transfer %v", res)
	}
	if st, err := e.s.ConfirmWithdrawal(res["id"].(string)); err != nil || st.Status != 2 || e.balance(b, "LTC") != "3.00000000" {
		t.Fatalf("confirm transfer %+v %v", st, err)
	}
	// to another merchant's deposit address: internal
	bAddr := e.mok(b, "get_deposit_address", vals("currency", "LTC")).(map[string]any)["address"].(string)
	e.mok(a, "create_transfer", vals("amount", "1", "currency", "LTC", "toaddress", bAddr, "auto_confirm", "1"))
	if e.balance(b, "LTC") != "4.00000000" {
		t.Fatalf("transfer to address: %s", e.balance(b, "LTC"))
	}
	// to an outside address: becomes a withdrawal
	res = e.mok(a, "create_transfer", vals("amount", "1", "currency", "LTC", "toaddress", "ltc1qoutside")).(map[string]any)
	if st, _ := e.s.GetWithdrawal(res["id"].(string)); st.Kind != "withdrawal" || st.Address != "ltc1qoutside" || st.Status != 0 {
		t.Fatalf("external transfer %+v", st)
	}
	bad := []struct {
		form url.Values
		want string
	}{
		{vals("amount", "1", "currency", "LTC"), "Give exactly one of merchant or toaddress"},
		{vals("amount", "1", "currency", "LTC", "merchant", b.id, "toaddress", bAddr), "Give exactly one of merchant or toaddress"},
		{vals("amount", "1", "currency", "LTC", "merchant", a.id), "Cannot transfer to yourself"},
		{vals("amount", "1", "currency", "LTC", "merchant", "nobody"), "Unknown merchant: nobody"},
		{vals("amount", "100", "currency", "LTC", "merchant", b.id), "Insufficient funds: LTC balance is 5.00000000, this needs 100.00000000"},
		{vals("amount", "1", "currency", "BTC", "toaddress", bAddr), "Invalid toaddress: it is a LTC address, not BTC"},
	}
	for _, tc := range bad {
		if got := e.merr(a, "create_transfer", tc.form); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.form, got, tc.want)
		}
	}
}

func TestMassWithdrawal(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("payroll", map[string]string{"BTC": "1"})
	f := url.Values{}
	set := func(key, field, v string) { f.Set(fmt.Sprintf("wd[%s][%s]", key, field), v) }
	set("alice", "amount", "0.1")
	set("alice", "currency", "BTC")
	set("alice", "address", "bc1qalice")
	set("alice", "note", "salary")
	set("bob", "amount", "5")
	set("bob", "currency", "BTC")
	set("bob", "address", "bc1qbob")
	set("c d", "amount", "0.2")
	set("c d", "currency", "NOPE")
	set("c d", "address", "x")
	res := e.mok(m, "create_mass_withdrawal", f).(map[string]any)
	alice := res["alice"].(map[string]any)
	if alice["error"] != "ok" || alice["status"] != float64(0) || alice["amount"] != "0.10000000" || alice["id"] == "" {
		t.Fatalf("alice %v", alice)
	}
	if !strings.HasPrefix(res["bob"].(map[string]any)["error"].(string), "Insufficient funds") || res["c d"].(map[string]any)["error"] != "Unknown currency: NOPE" {
		t.Fatalf("results %v", res)
	}
	if e.balance(m, "BTC") != "0.90000000" {
		t.Fatalf("balance %s", e.balance(m, "BTC"))
	}
	if st, _ := e.s.GetWithdrawal(alice["id"].(string)); st.Note != "salary" {
		t.Fatalf("note %+v", st)
	}
	// XML: "c d" is not an XML name
	r := e.call(m.tok, m.pub, "create_mass_withdrawal", url.Values{"wd[c d][amount]": {"1"}, "format": {"xml"}})
	if !strings.Contains(string(r.body), `<entry key="c d"><error>Missing required field: currency</error></entry>`) {
		t.Fatalf("xml %s", r.body)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{nil, "No withdrawals given: send wd[KEY][amount], wd[KEY][currency] and wd[KEY][address]"},
		{url.Values{"wd[a]": {"1"}}, `Malformed field name "wd[a]": use wd[KEY][field]`},
		{url.Values{"wd[a][colour]": {"1"}}, `Unknown field "colour" in wd[a][colour]`},
	} {
		if got := e.merr(m, "create_mass_withdrawal", tc.form); got != tc.want {
			t.Errorf("%v: %s", tc.form, got)
		}
	}
}

func TestConvert(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("fx", map[string]string{"BTC": "1", "LTCT": "1"})
	r := e.call(m.tok, m.pub, "convert", vals("amount", "0.01", "from", "BTC", "to", "LTC"))
	id, _ := r.json(t)["result"].(string)
	if id == "" || !strings.Contains(string(r.body), `"result":"`+id+`"`) {
		t.Fatalf("convert %s", r.body)
	}
	if e.balance(m, "BTC") != "0.99000000" || e.balance(m, "LTC") != "8.00000000" {
		t.Fatalf("balances %s %s", e.balance(m, "BTC"), e.balance(m, "LTC"))
	}
	ci := e.mok(m, "get_conversion_info", vals("id", id)).(map[string]any)
	if ci["coin1"] != "BTC" || ci["coin2"] != "LTC" || ci["receivedf"] != "8.00000000" {
		t.Fatalf("conversion info %v", ci)
	}
	id2 := e.mok(m, "convert", vals("amount", "1", "from", "LTC", "to", "BTC")).(string)
	if id2 == id {
		t.Fatal("conversion ids repeat")
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{vals("amount", "5", "from", "BTC", "to", "LTC"), "Insufficient funds: BTC balance is 0.99125000, this needs 5.00000000"},
		{vals("amount", "1", "from", "LTCT", "to", "LTC"), "LTCT cannot be converted"},
		{vals("amount", "1", "from", "BTC", "to", "BTC"), "Invalid to: must differ from from"},
		{vals("amount", "1", "from", "BTC"), "Missing required field: to"},
		{vals("amount", "0.00000001", "from", "DOGE", "to", "BTC"), "Invalid amount: too small to convert to BTC"},
	} {
		if got := e.merr(m, "convert", tc.form); got != tc.want {
			t.Errorf("%v: %q", tc.form, got)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
