package sandbox

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

type ipnHit struct {
	path   string
	body   string
	form   url.Values
	sigOK  bool
	header http.Header
}

// ipnReceiver records notifications and answers failFirst 500s first.
type ipnReceiver struct {
	mu        sync.Mutex
	hits      []ipnHit
	failFirst int
	srv       *httptest.Server
	secret    string
}

func newReceiver(t *testing.T, secret string, failFirst int) *ipnReceiver {
	r := &ipnReceiver{secret: secret, failFirst: failFirst}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha512.New, []byte(r.secret))
		mac.Write(raw)
		want := hex.EncodeToString(mac.Sum(nil))
		form, _ := url.ParseQuery(string(raw))
		r.mu.Lock()
		r.hits = append(r.hits, ipnHit{path: req.URL.Path, body: string(raw), form: form, sigOK: hmac.Equal([]byte(want), []byte(req.Header.Get("HMAC"))), header: req.Header})
		fail := r.failFirst > 0
		if fail {
			r.failFirst--
		}
		r.mu.Unlock()
		if fail {
			http.Error(w, "nope", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "IPN OK")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *ipnReceiver) get() []ipnHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ipnHit(nil), r.hits...)
}

func (r *ipnReceiver) waitHits(t *testing.T, n int) []ipnHit {
	t.Helper()
	waitFor(t, func() bool { return len(r.get()) >= n })
	return r.get()
}

func tinyBackoff(int) time.Duration { return time.Millisecond }

func TestIPNDelivery(t *testing.T) {
	e := newEnv(t, Config{IPNBackoff: tinyBackoff})
	rcv := newReceiver(t, "sekrit", 0)
	m := e.merchant("ipnshop", map[string]string{"BTC": "1"})
	if err := e.s.SetIPN(m.id, rcv.srv.URL+"/account", "sekrit"); err != nil {
		t.Fatal(err)
	}

	// Payment: per-transaction ipn_url; created (0), received (1), complete (100).
	res := e.mok(m, "create_transaction", txForm("ipn_url", rcv.srv.URL+"/tx", "custom", "c-1", "buyer_name", "Ann")).(map[string]any)
	txid := res["txn_id"].(string)
	if _, err := e.s.PayTransaction(txid, "", true); err != nil {
		t.Fatal(err)
	}
	hits := rcv.waitHits(t, 3)
	ids := map[string]bool{}
	for i, wantStatus := range []string{"0", "1", "100"} {
		h := hits[i]
		if h.path != "/tx" || !h.sigOK || h.form.Get("status") != wantStatus || h.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Fatalf("hit %d: %s %v sig=%v", i, h.path, h.form, h.sigOK)
		}
		ids[h.form.Get("ipn_id")] = true
	}
	if len(ids) != 3 {
		t.Fatalf("ipn_ids not unique: %v", ids)
	}
	last := hits[2].form
	want := map[string]string{"ipn_version": "1.0", "ipn_mode": "hmac", "ipn_type": "api", "merchant": m.id, "status_text": "Complete",
		"txn_id": txid, "currency1": "USD", "currency2": "BTC", "amount1": "10.00000000", "amount2": "0.00016000", "fee": "0.00000000",
		"buyer_name": "Ann", "email": "buyer@example.com", "item_name": "", "item_number": "", "invoice": "", "custom": "c-1",
		"received_amount": "0.00016000", "received_confirms": "2"}
	for k, v := range want {
		if vs, ok := last[k]; !ok || vs[0] != v {
			t.Errorf("api IPN %s = %v, want %q", k, vs, v)
		}
	}

	// Deposit to a callback address: account URL; seen (0) then confirmed (100).
	cb := e.mok(m, "get_callback_address", vals("currency", "BTC")).(map[string]any)["address"].(string)
	dep, err := e.s.Deposit(cb, "BTC", "0.25")
	if err != nil {
		t.Fatal(err)
	}
	hits = rcv.waitHits(t, 5)
	for i, st := range []string{"0", "100"} {
		f := hits[3+i].form
		if hits[3+i].path != "/account" || f.Get("ipn_type") != "deposit" || f.Get("status") != st || f.Get("deposit_id") != dep.DepositID ||
			f.Get("address") != cb || f.Get("amount") != "0.25000000" || f.Get("amounti") != "25000000" || f.Get("currency") != "BTC" ||
			f.Get("txn_id") != dep.TxID || !f.Has("dest_tag") || f.Get("feei") != "0" || !f.Has("confirms") {
			t.Fatalf("deposit IPN %d: %s %v", i, hits[3+i].path, f)
		}
	}
	// Deposit to the personal deposit address: credited, no IPN.
	da := e.mok(m, "get_deposit_address", vals("currency", "BTC")).(map[string]any)["address"].(string)
	if _, err := e.s.Deposit(da, "BTC", "0.5"); err != nil {
		t.Fatal(err)
	}

	// Withdrawal: created (0), then complete (2) with the send txid.
	wid := e.mok(m, "create_withdrawal", vals("amount", "0.1", "currency", "BTC", "address", "bc1qdest")).(map[string]any)["id"].(string)
	st, err := e.s.CompleteWithdrawal(wid)
	if err != nil {
		t.Fatal(err)
	}
	hits = rcv.waitHits(t, 7)
	for i, s := range []string{"0", "2"} {
		f := hits[5+i].form
		if f.Get("ipn_type") != "withdrawal" || f.Get("status") != s || f.Get("id") != wid || f.Get("address") != "bc1qdest" ||
			f.Get("amount") != "0.10000000" || f.Get("amounti") != "10000000" || f.Get("currency") != "BTC" || !f.Has("txn_id") {
			t.Fatalf("withdrawal IPN %d: %v", i, f)
		}
	}
	if hits[6].form.Get("txn_id") != st.SendTxID {
		t.Fatalf("complete IPN txn_id %q, want %q", hits[6].form.Get("txn_id"), st.SendTxID)
	}
	if e.balance(m, "BTC") != "1.65016000" {
		t.Fatalf("balance %s", e.balance(m, "BTC"))
	}

	// No secret, no IPN.
	quiet := e.merchant("quiet", nil)
	if err := e.s.SetIPN(quiet.id, rcv.srv.URL+"/quiet", ""); err != nil {
		t.Fatal(err)
	}
	e.mok(quiet, "create_transaction", txForm("ipn_url", rcv.srv.URL+"/quiet"))
	waitFor(t, func() bool { return e.s.PendingIPNs() == 0 })
	time.Sleep(20 * time.Millisecond)
	if n := len(rcv.get()); n != 7 {
		t.Fatalf("%d IPNs, want 7 (none for the account without a secret)", n)
	}
	if log := e.s.IPNLog(); len(log) != 7 || !log[0].Delivered || log[0].HTTPStatus != 200 || log[0].Attempt != 1 {
		t.Fatalf("log %+v", log)
	}
}

func TestIPNRetries(t *testing.T) {
	var mu sync.Mutex
	var attempts []int
	e := newEnv(t, Config{IPNBackoff: func(a int) time.Duration {
		mu.Lock()
		attempts = append(attempts, a)
		mu.Unlock()
		return time.Millisecond
	}})
	rcv := newReceiver(t, "s", 2)
	m := e.merchant("retry", nil)
	if err := e.s.SetIPN(m.id, rcv.srv.URL, "s"); err != nil {
		t.Fatal(err)
	}
	e.mok(m, "create_transaction", txForm())
	hits := rcv.waitHits(t, 3)
	waitFor(t, func() bool { return e.s.PendingIPNs() == 0 })
	if hits[0].body != hits[2].body || !hits[2].sigOK {
		t.Fatal("retry changed the body")
	}
	var log []IPNAttempt
	if code := e.admin("GET", "/sandbox/ipn-log", nil, &log); code != 200 || len(log) != 3 {
		t.Fatalf("log %d %+v", code, log)
	}
	for i, a := range log {
		if a.Attempt != i+1 || a.IPNID != log[0].IPNID || a.Delivered != (i == 2) || (i < 2 && (a.HTTPStatus != 500 || a.Error != "HTTP 500")) {
			t.Fatalf("attempt %d: %+v", i, a)
		}
	}
	mu.Lock()
	if len(attempts) != 2 || attempts[0] != 1 || attempts[1] != 2 {
		t.Fatalf("backoff called with %v", attempts)
	}
	mu.Unlock()

	t.Run("gives up after 10 retries", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close() // connection refused from now on
		if err := e.s.SetIPN(m.id, deadURL, "s"); err != nil {
			t.Fatal(err)
		}
		e.mok(m, "create_transaction", txForm())
		waitFor(t, func() bool { return e.s.PendingIPNs() == 0 })
		var n int
		for _, a := range e.s.IPNLog() {
			if a.URL == deadURL {
				n++
				if a.Delivered || a.HTTPStatus != 0 || a.Error == "" {
					t.Fatalf("attempt %+v", a)
				}
			}
		}
		if n != 1+ipnMaxRetries {
			t.Fatalf("%d attempts, want %d", n, 1+ipnMaxRetries)
		}
	})
}

func TestCloseStopsIPNWorkers(t *testing.T) {
	s, err := New(Config{IPNBackoff: func(int) time.Duration { return time.Hour }})
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, "s", 1000)
	d := s.Demo()
	if err := s.SetIPN(d.MerchantID, rcv.srv.URL, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Deposit(mustCallback(t, s), "BTC", "1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(rcv.get()) >= 2 }) // both first attempts failed; retries wait an hour
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked on IPN retries")
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// mustCallback makes a callback address for the demo account without HTTP.
func mustCallback(t *testing.T, s *Server) string {
	t.Helper()
	d := s.Demo()
	res, err := s.cmdCallbackAddress(&call{form: vals("currency", "BTC"), merchantID: d.MerchantID, now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return res.(map[string]any)["address"].(string)
}
