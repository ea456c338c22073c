package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()

	t.Run("delay", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultDelay, Delay: 150 * time.Millisecond})
		start := time.Now()
		e.ok(tok, pub, "balances", nil)
		if time.Since(start) < 150*time.Millisecond {
			t.Fatal("no delay")
		}
	})
	t.Run("status", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultStatus, Status: 503, Count: 2})
		for range 2 {
			r := e.call(tok, pub, "balances", nil)
			if r.status != 503 || !strings.Contains(r.json(t)["error"].(string), "503") {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		}
		e.ok(tok, pub, "balances", nil)
	})
	t.Run("html", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultHTML})
		r := e.call(tok, pub, "balances", nil)
		if r.status != 502 || !strings.HasPrefix(string(r.body), "<html><head><title>502 Bad Gateway") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("reset", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultReset, Cmd: "get_basic_info"})
		e.ok(tok, pub, "balances", nil) // filtered out by cmd
		f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", "100")
		if _, err := e.raw("POST", "/api", "application/x-www-form-urlencoded", f.Encode(), map[string]string{"Authorization": tok}); err == nil {
			t.Fatal("reset: no connection error")
		}
		// the command did not run: nonce 100 was not recorded
		e.ok(tok, pub, "get_basic_info", vals("nonce", "100"))
	})
	t.Run("commit_drop", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultCommitDrop, Key: pub})
		f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", "200")
		if _, err := e.raw("POST", "/api", "application/x-www-form-urlencoded", f.Encode(), map[string]string{"Authorization": tok}); err == nil {
			t.Fatal("commit_drop: no connection error")
		}
		// the command ran: nonce 200 was recorded
		if got := e.apiErr(tok, pub, "get_basic_info", vals("nonce", "200")); got != "Invalid nonce: must be greater than 200" {
			t.Fatal(got)
		}
	})
	t.Run("commit_status", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultCommitStatus, Key: pub})
		r := e.call(tok, pub, "get_basic_info", vals("nonce", "220"))
		if r.status != 502 || !strings.Contains(string(r.body), "502") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		// the command ran: nonce 220 was recorded
		if got := e.apiErr(tok, pub, "get_basic_info", vals("nonce", "220")); got != "Invalid nonce: must be greater than 220" {
			t.Fatal(got)
		}
	})
	t.Run("hold", func(t *testing.T) {
		// The client gives up after 50 ms; the sandbox carries the request out after 300 ms anyway.
		_ = e.s.InjectFault(Fault{Kind: FaultHold, Delay: 300 * time.Millisecond, Cmd: "get_basic_info"})
		f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", "300")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+"/api", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", tok)
		if _, err := e.ts.Client().Do(req); err == nil {
			t.Fatal("hold: the client got an answer before its deadline")
		}
		// not carried out yet: nonce 300 is not recorded, a lower one still passes
		e.ok(tok, pub, "balances", vals("nonce", "250"))
		time.Sleep(400 * time.Millisecond)
		// carried out after the hold, though the client had gone: nonce 300 is now the mark
		if got := e.apiErr(tok, pub, "get_basic_info", vals("nonce", "300")); got != "Invalid nonce: must be greater than 300" {
			t.Fatal(got)
		}
	})
	t.Run("held, then reset or commit_drop", func(t *testing.T) {
		// With a delay the request is held first, whatever the client does; then the fault
		// acts: reset carries nothing out, commit_drop carries it out.
		for _, c := range []struct {
			kind    string
			nonce   string
			carried bool
		}{{FaultReset, "500", false}, {FaultCommitDrop, "510", true}} {
			_ = e.s.InjectFault(Fault{Kind: c.kind, Delay: 200 * time.Millisecond, Cmd: "get_basic_info"})
			f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", c.nonce)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+"/api", strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", tok)
			if _, err := e.ts.Client().Do(req); err == nil {
				t.Fatalf("%s: the client got an answer before its deadline", c.kind)
			}
			cancel()
			time.Sleep(300 * time.Millisecond)
			// carried out: its nonce is the mark, the same nonce is refused now
			r := e.call(tok, pub, "get_basic_info", vals("nonce", c.nonce))
			got, _ := r.json(t)["error"].(string)
			if want := "Invalid nonce: must be greater than " + c.nonce; (got == want) != c.carried {
				t.Fatalf("%s: carried out=%v, want %v (%s)", c.kind, got == want, c.carried, got)
			}
		}
	})
	t.Run("login fault and key filter", func(t *testing.T) {
		d := e.s.Demo()
		_ = e.s.InjectFault(Fault{Kind: FaultStatus, Status: 500, Key: "someone-else"})
		_ = e.s.InjectFault(Fault{Kind: FaultStatus, Status: 502, Cmd: "login"})
		r := e.form("/api/login", vals("cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), nil)
		if r.status != 502 {
			t.Fatalf("login fault: %d", r.status)
		}
		if pending := e.s.PendingFaults(); len(pending) != 1 || pending[0].Key != "someone-else" {
			t.Fatalf("pending %+v", pending)
		}
		e.s.ClearFaults()
	})
	t.Run("invalid", func(t *testing.T) {
		for _, f := range []Fault{{Kind: "boom"}, {Kind: FaultDelay}, {Kind: FaultStatus, Status: 200}, {Kind: FaultHTML, Cmd: "nope"}, {Kind: FaultHTML, Count: -1}, {Kind: FaultReset, Delay: -time.Second}} {
			if err := e.s.InjectFault(f); !errors.Is(err, ErrInvalid) {
				t.Fatalf("%+v: %v", f, err)
			}
		}
	})
	if st := e.s.Stats(pub); st.Faults != 11 {
		t.Fatalf("faults counted %d: %+v", st.Faults, st)
	}
}

func TestRetypeField(t *testing.T) {
	body := []byte(`{"error":"ok","result":[{"status":2,"amountf":"0.40000000","note":"007","coin":"BTC","checkout":{"invoice":"00123"}}]}`)
	got := string(retypeField(body, "status,amountf,note,coin,invoice", "number"))
	want := `{"error":"ok","result":[{"amountf":0.4,"checkout":{"invoice":123},"coin":"BTC","note":7,"status":2}]}`
	if got != want {
		t.Fatalf("as number:\n got %s\nwant %s", got, want)
	}
	got = string(retypeField(body, "status", "string"))
	if !strings.Contains(got, `"status":"2"`) || !strings.Contains(got, `"note":"007"`) {
		t.Fatalf("as string: %s", got)
	}
	if err := (&Server{}).InjectFault(Fault{Kind: FaultRetype, Field: "status"}); err == nil {
		t.Fatal("a retype fault without as was accepted")
	}
}
