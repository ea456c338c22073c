package sandbox

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

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
