package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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

func TestCreateTransaction(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("shop", nil)
	res := e.mok(m, "create_transaction", txForm("item_name", "Widget", "invoice", "INV-1")).(map[string]any)
	if res["amount"] != "0.00016000" || res["confirms_needed"] != "2" || res["timeout"] != float64(7200) {
		t.Fatalf("result %v", res)
	}
	id := res["txn_id"].(string)
	if !strings.HasPrefix(id, "CPSB") || !strings.HasPrefix(res["address"].(string), "bc1q") {
		t.Fatalf("ids %v", res)
	}
	for _, k := range []string{"checkout_url", "status_url", "qrcode_url"} {
		u := res[k].(string)
		if !strings.HasPrefix(u, e.ts.URL+"/") || !strings.HasSuffix(u, id) {
			t.Fatalf("%s = %s", k, u)
		}
		r, err := e.raw("GET", strings.TrimPrefix(u, e.ts.URL), "", "", nil)
		if err != nil || r.status != 200 || !strings.Contains(string(r.body), res["address"].(string)) {
			t.Fatalf("GET %s: %v %d %s", u, err, r.status, r.body)
		}
	}
	eur := e.mok(m, "create_transaction", txForm("amount", "1", "currency1", "EUR", "currency2", "LTC")).(map[string]any)
	if eur["amount"] != "0.01400000" || eur["confirms_needed"] != "3" {
		t.Fatalf("EUR->LTC %v", eur)
	}
	// 0.00000001 USD is less than a satoshi: the buyer pays at least one base unit.
	if tiny := e.mok(m, "create_transaction", txForm("amount", "0.00000001")).(map[string]any); tiny["amount"] != "0.00000001" {
		t.Fatalf("tiny %v", tiny)
	}

	bad := []struct {
		form url.Values
		want string
	}{
		{txForm("amount", ""), "Missing required field: amount"},
		{txForm("amount", "1.123456789"), "Invalid amount: has more than 8 decimal places"},
		{txForm("amount", "0"), "Invalid amount: must be greater than zero"},
		{txForm("currency1", "XXX"), "Unknown currency: XXX"},
		{txForm("currency2", ""), "Missing required field: currency2"},
		{txForm("currency2", "USD"), "Invalid currency2: USD is fiat; currency2 is the coin the buyer pays with"},
		{txForm("currency2", "TRX"), "Invalid currency2: TRX is not accepted by this merchant"},
		{txForm("buyer_email", ""), "Missing required field: buyer_email"},
		{txForm("buyer_email", "nobody"), "Invalid buyer_email: must be an email address"},
		{txForm("ipn_url", "javascript:alert(1)"), "Invalid ipn_url: must be an absolute http or https URL"},
		{txForm("custom", strings.Repeat("x", 129)), "Invalid custom: at most 128 characters"},
	}
	for _, tc := range bad {
		if got := e.merr(m, "create_transaction", tc.form); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.form, got, tc.want)
		}
	}
}

func TestPaymentLifecycle(t *testing.T) {
	e := newEnv(t, Config{TokenTTL: 24 * time.Hour})
	m := e.merchant("shop", nil)
	other := e.merchant("other", nil)
	id := e.mok(m, "create_transaction", txForm("amount", "100", "invoice", "I-7")).(map[string]any)["txn_id"].(string) // 0.0016 BTC

	info := func() map[string]any {
		return e.mok(m, "get_tx_info", vals("txid", id)).(map[string]any)
	}
	if in := info(); in["status"] != float64(0) || in["amount"] != float64(160000) || in["amountf"] != "0.00160000" || in["coin"] != "BTC" || in["status_text"] != "Waiting for buyer funds..." {
		t.Fatalf("new %v", in)
	}
	if got := e.merr(other, "get_tx_info", vals("txid", id)); got != "Transaction not found" {
		t.Fatalf("foreign tx: %s", got)
	}

	steps := []struct {
		amount            string
		complete          bool
		status            int
		received, balance string
		wantErr           error
		recvConfirms      float64
		descr             string
	}{
		{"0.001", true, 0, "0.00100000", "0.00000000", nil, 0, "partial payment keeps status 0"},
		{"", false, 1, "0.00160000", "0.00000000", nil, 2, "the rest, not completed"},
		{"", true, 100, "0.00160000", "0.00160000", nil, 2, "complete credits the balance"},
		{"", true, 100, "", "0.00160000", ErrConflict, 0, "no second payment"},
	}
	for _, st := range steps {
		got, err := e.s.PayTransaction(id, st.amount, st.complete)
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: err %v", st.descr, err)
			}
			continue
		}
		if err != nil || got.Status != st.status || got.Received != st.received {
			t.Fatalf("%s: %+v %v", st.descr, got, err)
		}
		in := info()
		if in["status"] != float64(st.status) || in["receivedf"] != st.received || in["recv_confirms"] != st.recvConfirms {
			t.Fatalf("%s: info %v", st.descr, in)
		}
		if b := e.balance(m, "BTC"); b != st.balance {
			t.Fatalf("%s: balance %s", st.descr, b)
		}
	}
	full := e.mok(m, "get_tx_info", vals("txid", id, "full", "1")).(map[string]any)
	if co := full["checkout"].(map[string]any); co["currency"] != "USD" || co["amountf"] != "100.00000000" || co["invoice"] != "I-7" {
		t.Fatalf("checkout %v", co)
	}

	t.Run("expiry", func(t *testing.T) {
		id2 := e.mok(m, "create_transaction", txForm()).(map[string]any)["txn_id"].(string)
		e.clock.Advance(txTimeout - time.Second)
		if in := e.mok(m, "get_tx_info", vals("txid", id2)).(map[string]any); in["status"] != float64(0) {
			t.Fatalf("before deadline %v", in)
		}
		e.clock.Advance(time.Second)
		if in := e.mok(m, "get_tx_info", vals("txid", id2)).(map[string]any); in["status"] != float64(-1) || in["status_text"] != "Cancelled / Timed Out" {
			t.Fatalf("after deadline %v", in)
		}
		if _, err := e.s.PayTransaction(id2, "", true); !errors.Is(err, ErrConflict) {
			t.Fatalf("pay expired: %v", err)
		}
		id3 := e.mok(m, "create_transaction", txForm()).(map[string]any)["txn_id"].(string)
		var st TxState
		if code := e.admin("POST", "/sandbox/tx/"+id3+"/expire", nil, &st); code != 200 || st.Status != -1 {
			t.Fatalf("admin expire %d %+v", code, st)
		}
	})

	t.Run("admin pay and deposit to payment address", func(t *testing.T) {
		res := e.mok(m, "create_transaction", txForm("amount", "1", "currency1", "LTC", "currency2", "LTC")).(map[string]any)
		var st TxState
		if code := e.admin("POST", "/sandbox/tx/"+res["txn_id"].(string)+"/pay", map[string]any{"amount": "0.5", "complete": false}, &st); code != 200 || st.Status != 0 || st.Received != "0.50000000" {
			t.Fatalf("admin pay %d %+v", code, st)
		}
		var dep DepositResult
		if code := e.admin("POST", "/sandbox/deposits", map[string]any{"address": res["address"], "currency": "LTC", "amount": "0.5"}, &dep); code != 201 || dep.Kind != "payment" || dep.Status != 100 {
			t.Fatalf("deposit to payment address %d %+v", code, dep)
		}
		if b := e.balance(m, "LTC"); b != "1.00000000" {
			t.Fatalf("LTC balance %s", b)
		}
		var out map[string]any
		if code := e.admin("POST", "/sandbox/tx/nope/pay", nil, &out); code != 404 {
			t.Fatalf("unknown tx %d", code)
		}
	})
}

func TestTxListing(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("shop", nil)
	var ids []string
	for range 5 {
		ids = append(ids, e.mok(m, "create_transaction", txForm()).(map[string]any)["txn_id"].(string))
		e.clock.Advance(10 * time.Second)
	}
	e.merchant("noise", nil)
	list := func(extra url.Values) string {
		var out []string
		for _, v := range e.mok(m, "get_tx_ids", extra).([]any) {
			out = append(out, v.(string))
		}
		return strings.Join(out, ",")
	}
	rev := func(idx ...int) string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return strings.Join(out, ",")
	}
	created := e.clock.Now().Add(-50 * time.Second).Unix()
	tests := []struct {
		extra url.Values
		want  string
	}{
		{nil, rev(4, 3, 2, 1, 0)},
		{vals("limit", "2"), rev(4, 3)},
		{vals("limit", "2", "start", "2"), rev(2, 1)},
		{vals("start", "9"), ""},
		{vals("newer", itoa(int(created+20))), rev(4, 3, 2)},
		{vals("all", "1"), rev(4, 3, 2, 1, 0)},
	}
	for _, tc := range tests {
		if got := list(tc.extra); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.extra, got, tc.want)
		}
	}
	for _, lim := range []string{"0", "101", "x"} {
		if got := e.merr(m, "get_tx_ids", vals("limit", lim)); got != "Invalid limit: must be an integer from 1 to 100" {
			t.Errorf("limit %s: %s", lim, got)
		}
	}

	multi := e.mok(m, "get_tx_info_multi", vals("txid", ids[0]+"|NOPE|"+ids[1])).(map[string]any)
	if len(multi) != 3 || multi["NOPE"].(map[string]any)["error"] != "Transaction not found" ||
		multi[ids[0]].(map[string]any)["error"] != "ok" || multi[ids[1]].(map[string]any)["amountf"] != "0.00016000" {
		t.Fatalf("multi %v", multi)
	}
	many := strings.TrimSuffix(strings.Repeat(ids[0]+"|", 26), "|")
	if got := e.merr(m, "get_tx_info_multi", vals("txid", many)); got != "Too many transaction IDs: at most 25" {
		t.Fatal(got)
	}
	// XML: txn ids are valid element names, arrays are items.
	r := e.call(m.tok, m.pub, "get_tx_ids", vals("format", "xml", "limit", "1"))
	if !strings.HasSuffix(string(r.body), "<result><item>"+ids[4]+"</item></result></response>") {
		t.Fatalf("xml ids %s", r.body)
	}
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

func TestAdminLedgerReadsAndIndex(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("reads", map[string]string{"ETH": "1"})
	txid := e.mok(m, "create_transaction", txForm("currency2", "ETH")).(map[string]any)["txn_id"].(string)
	var tx TxState
	if code := e.admin("GET", "/sandbox/tx/"+txid, nil, &tx); code != 200 || tx.TxnID != txid || tx.Coin != "ETH" || tx.Amount != "0.00400000" {
		t.Fatalf("get tx %d %+v", code, tx)
	}
	wid := e.mok(m, "create_withdrawal", vals("amount", "0.5", "currency", "ETH", "address", "0xabc")).(map[string]any)["id"].(string)
	var w WithdrawalState
	if code := e.admin("GET", "/sandbox/withdrawals/"+wid, nil, &w); code != 200 || w.Amount != "0.50000000" || w.Kind != "withdrawal" {
		t.Fatalf("get withdrawal %d %+v", code, w)
	}
	if code := e.admin("POST", "/sandbox/withdrawals/"+wid+"/confirm", nil, &w); code != 200 || w.Status != 1 {
		t.Fatalf("confirm %d %+v", code, w)
	}
	var idx map[string][]string
	if code := e.admin("GET", "/sandbox/", nil, &idx); code != 200 || len(idx["endpoints"]) < 20 {
		t.Fatalf("index %d %v", code, idx)
	}
}

func TestLoggerNeverSeesSecrets(t *testing.T) {
	var mu sync.Mutex
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, Config{Logger: logger, IPNBackoff: tinyBackoff})
	rcv := newReceiver(t, "ipn-secret-value", 1)
	m := e.merchant("logs", map[string]string{"BTC": "1"})
	_ = e.s.SetIPN(m.id, rcv.srv.URL+"/?token=query-secret", "ipn-secret-value")
	k, _ := e.s.GetKey(m.pub)
	_ = e.s.InjectFault(Fault{Kind: FaultStatus, Cmd: "balances"})
	e.call(m.tok, m.pub, "balances", nil)
	e.mok(m, "create_withdrawal", vals("amount", "0.1", "currency", "BTC", "address", "bc1qlog"))
	rcv.waitHits(t, 2)
	waitFor(t, func() bool { return e.s.PendingIPNs() == 0 })
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "sandbox IPN attempt") || !strings.Contains(out, "sandbox fault injected") {
		t.Fatalf("log lacks events:\n%s", out)
	}
	for _, secret := range []string{k.PrivateKey, strings.TrimPrefix(m.tok, "Bearer "), "ipn-secret-value", "query-secret"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q in log:\n%s", secret, out)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
