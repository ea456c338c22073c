package ipnhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wallexkit/wallexkit/core/ipn"
)

const (
	merchant = "m-1"
	secret   = "ipn-secret-value"
)

func signed(fields map[string]string) ([]byte, string) {
	return ipn.SignedTestIPN(secret, merchant, "api", fields)
}

func TestHandlerStatusCodes(t *testing.T) {
	v, err := ipn.NewVerifier(merchant, secret)
	if err != nil {
		t.Fatal(err)
	}
	valid, sig := signed(map[string]string{"txn_id": "T", "status": "100", "ipn_id": "done"})
	pending, pendingSig := signed(map[string]string{"txn_id": "T", "status": "0", "ipn_id": "late"})
	failBody, failSig := signed(map[string]string{"txn_id": "F", "status": "0", "ipn_id": "fail"})
	other, otherSig := ipn.SignedTestIPN(secret, "someone-else", "api", map[string]string{"txn_id": "T"})
	malformed := []byte("ipn_id=x&ipn_type=api&ipn_mode=hmac&merchant=" + merchant + "&status=soon&txn_id=T")
	vals, _ := url.ParseQuery("merchant=" + merchant + "&ipn_type=api&status=1&ipn_id=r&ipn_mode=hmac&txn_id=R&item_name=a+b")
	raw := []byte("merchant=" + merchant + "&ipn_type=api&status=1&ipn_id=r&ipn_mode=hmac&txn_id=R&item_name=a+b")
	reencoded := []byte(vals.Encode())

	var calls atomic.Int32
	h := Handler(v, ipn.NewTracker(nil), func(ctx context.Context, n *ipn.Notification) error {
		calls.Add(1)
		if n.ID == "fail" {
			return errors.New("db down: password=hunter2")
		}
		return nil
	}, WithMaxBodyBytes(4096))

	// Order matters: the tracker keeps state between rows.
	tests := []struct {
		name      string
		method    string
		body      []byte
		sig       string
		wantCode  int
		wantBody  string
		wantCalls int32
	}{
		{"GET", http.MethodGet, nil, "", 405, "method not allowed", 0},
		{"PUT", http.MethodPut, valid, sig, 405, "method not allowed", 0},
		{"too large", http.MethodPost, bytes.Repeat([]byte("a"), 4097), "x", 413, "body too large", 0},
		{"missing signature", http.MethodPost, valid, "", 401, "missing signature", 0},
		{"wrong secret", http.MethodPost, valid, ipn.Sign("nope", valid), 401, "bad signature", 0},
		{"tampered", http.MethodPost, append(append([]byte{}, valid...), '0'), sig, 401, "bad signature", 0},
		{"re-encoded body", http.MethodPost, reencoded, ipn.Sign(secret, raw), 401, "bad signature", 0},
		{"merchant mismatch", http.MethodPost, other, otherSig, 403, "merchant mismatch", 0},
		{"malformed", http.MethodPost, malformed, ipn.Sign(secret, malformed), 400, "malformed notification", 0},
		{"valid", http.MethodPost, valid, sig, 200, "ok", 1},
		{"uppercase hex", http.MethodPost, raw, strings.ToUpper(ipn.Sign(secret, raw)), 200, "ok", 2},
		{"replay", http.MethodPost, valid, sig, 200, "duplicate", 2},
		{"pending after complete", http.MethodPost, pending, pendingSig, 200, "stale", 2},
		{"fn error", http.MethodPost, failBody, failSig, 500, "handler error", 3},
		{"fn error retried", http.MethodPost, failBody, failSig, 500, "handler error", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/ipn", bytes.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.sig != "" {
				r.Header.Set("HMAC", tt.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got, _ := io.ReadAll(w.Result().Body)
			if w.Code != tt.wantCode || strings.TrimSpace(string(got)) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, got, tt.wantCode, tt.wantBody)
			}
			if c := calls.Load(); c != tt.wantCalls {
				t.Errorf("fn calls = %d, want %d", c, tt.wantCalls)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.wantCode == 405 && w.Header().Get("Allow") != "POST" {
				t.Error("405 without Allow: POST")
			}
			for _, leak := range []string{secret, "hunter2"} {
				if strings.Contains(string(got), leak) {
					t.Errorf("answer leaks %q", leak)
				}
			}
		})
	}
}

func TestHandlerFnErrorThenRetryAccepted(t *testing.T) {
	v, _ := ipn.NewVerifier(merchant, secret)
	body, sig := signed(map[string]string{"txn_id": "T", "status": "100"})
	fail := true
	var applied int
	h := Handler(v, ipn.NewTracker(nil), func(ctx context.Context, n *ipn.Notification) error {
		if fail {
			return errors.New("temporary")
		}
		applied++
		return nil
	})
	post := func() int {
		r := httptest.NewRequest(http.MethodPost, "/ipn", bytes.NewReader(body))
		r.Header.Set("HMAC", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	steps := []struct {
		fail    bool
		code    int
		applied int
	}{
		{true, 500, 0},  // handler fails: Wallex will retry
		{false, 200, 1}, // retry accepted and applied
		{false, 200, 1}, // further retries are duplicates
	}
	for i, s := range steps {
		fail = s.fail
		if code := post(); code != s.code || applied != s.applied {
			t.Fatalf("delivery %d: code %d applied %d, want %d %d", i, code, applied, s.code, s.applied)
		}
	}
}

func TestHandlerNilTrackerAndFn(t *testing.T) {
	v, _ := ipn.NewVerifier(merchant, secret)
	body, sig := signed(map[string]string{"txn_id": "T"})
	for _, h := range []http.Handler{Handler(v, nil, nil), Handler(v, ipn.NewTracker(nil), nil)} {
		for range 2 {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("HMAC", sig)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("code %d", w.Code)
			}
		}
	}
	errH := Handler(v, nil, func(context.Context, *ipn.Notification) error { return errors.New("x") })
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("HMAC", sig)
	w := httptest.NewRecorder()
	errH.ServeHTTP(w, r)
	if w.Code != 500 {
		t.Fatalf("nil tracker, fn error: code %d", w.Code)
	}
	defer func() {
		if recover() == nil {
			t.Error("nil Verifier did not panic")
		}
	}()
	Handler(nil, nil, nil)
}
