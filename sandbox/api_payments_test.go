package sandbox

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

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
