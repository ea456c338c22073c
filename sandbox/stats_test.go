package sandbox

import (
	"sync"
	"testing"
	"time"
)

func TestOverlaps(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()

	// Serial nonce calls never overlap.
	for n := 1; n <= 3; n++ {
		e.ok(tok, pub, "get_basic_info", vals("nonce", itoa(n)))
	}
	if st := e.s.Stats(pub); st.Overlaps != 0 || st.MaxConcurrent != 1 {
		t.Fatalf("serial: %+v", st)
	}

	// A slow nonce call and a second one sent while it is in flight.
	if err := e.s.InjectFault(Fault{Kind: FaultDelay, Delay: 300 * time.Millisecond, Key: pub}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.call(tok, pub, "get_basic_info", vals("nonce", "10"))
	}()
	waitFor(t, func() bool { return e.s.Stats(pub).InFlight == 1 })
	e.call(tok, pub, "get_basic_info", vals("nonce", "11"))
	wg.Wait()
	st := e.s.Stats(pub)
	if st.Overlaps != 1 || st.MaxConcurrent != 2 {
		t.Fatalf("concurrent: %+v", st)
	}

	// Requests without a nonce count towards MaxConcurrent but not Overlaps.
	k, _ := e.s.CreateKey(e.s.Demo().MerchantID, nil)
	tok2 := e.login(k.PublicKey, k.PrivateKey)
	_ = e.s.InjectFault(Fault{Kind: FaultDelay, Delay: 200 * time.Millisecond, Key: k.PublicKey, Count: 2})
	wg.Add(2)
	for range 2 {
		go func() {
			defer wg.Done()
			e.call(tok2, k.PublicKey, "rates", nil)
		}()
	}
	wg.Wait()
	if st := e.s.Stats(k.PublicKey); st.Overlaps != 0 || st.MaxConcurrent != 2 {
		t.Fatalf("no-nonce concurrent: %+v", st)
	}
}

func TestThrottle(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()
	for i := range throttleLimit + 1 {
		if got := e.apiErr(tok, pub, "nope", nil); got != "Unknown command: nope" {
			t.Fatalf("failure %d: %s", i, got)
		}
		e.clock.Advance(time.Second)
	}
	r := e.call(tok, pub, "balances", nil)
	if r.status != 429 || r.json(t)["error"] != "Too many failed calls, retry later" || r.header.Get("Retry-After") == "" {
		t.Fatalf("want 429, got %d %s", r.status, r.body)
	}
	// Login is throttled too (same key).
	d := e.s.Demo()
	if r := e.form("/api/login", vals("cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), nil); r.status != 429 {
		t.Fatalf("login while throttled: %d", r.status)
	}
	// Another key is unaffected.
	k, _ := e.s.CreateKey(d.MerchantID, nil)
	e.ok(e.login(k.PublicKey, k.PrivateKey), k.PublicKey, "balances", nil)

	// Once the oldest failure leaves the 2-minute window the key works again.
	e.clock.Advance(throttleWindow - 20*time.Second)
	e.ok(tok, pub, "balances", nil)
	st := e.s.Stats(pub)
	if st.Throttled != 2 || st.FailedCalls != throttleLimit+1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFailedLoginsThrottle(t *testing.T) {
	e := newEnv(t, Config{})
	d := e.s.Demo()
	bad := vals("cmd", "login", "publickey", d.PublicKey, "privatekey", "wrong")
	for range throttleLimit + 1 {
		if r := e.form("/api/login", bad, nil); r.status != 401 {
			t.Fatalf("got %d", r.status)
		}
	}
	good := vals("cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey)
	if r := e.form("/api/login", good, nil); r.status != 429 {
		t.Fatalf("got %d", r.status)
	}
	e.clock.Advance(throttleWindow)
	if r := e.form("/api/login", good, nil); r.status != 200 {
		t.Fatalf("got %d", r.status)
	}
}
