package main

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

const benchRows = 500

// benchSandbox starts a fresh in-process sandbox whose demo account can pay a lot of LTCT.
func benchSandbox(b *testing.B) (*sandbox.Server, *httptest.Server) {
	b.Helper()
	srv, err := sandbox.New(sandbox.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.SetBalance(srv.Demo().MerchantID, "LTCT", "10000000"); err != nil {
		b.Fatal(err)
	}
	return srv, httptest.NewServer(srv.Handler())
}

func benchClient(b *testing.B, ts *httptest.Server, demo sandbox.Demo) *core.Client {
	b.Helper()
	c, err := core.New(core.WithAPIURL(ts.URL+"/api"), core.WithKeys(demo.PublicKey, demo.PrivateKey), core.WithTransport(nethttp.New(nil)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Login(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

// oneWithdrawal times n single create_withdrawal calls and returns the mean.
func oneWithdrawal(b *testing.B, c *core.Client, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	p := &core.WithdrawalParams{Amount: "0.5", Currency: "LTCT", Address: "addr0001x", Note: core.String("bench")}
	start := time.Now()
	for range n {
		if _, err := c.CreateWithdrawal(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / time.Duration(n)
}

// BenchmarkCreateWithdrawal is one core CreateWithdrawal call against the in-process sandbox.
func BenchmarkCreateWithdrawal(b *testing.B) {
	srv, ts := benchSandbox(b)
	defer srv.Close()
	defer ts.Close()
	c := benchClient(b, ts, srv.Demo())
	ctx := context.Background()
	p := &core.WithdrawalParams{Amount: "0.5", Currency: "LTCT", Address: "addr0001x", Note: core.String("bench")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateWithdrawal(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMassPayout500 runs the whole CLI `mass-withdraw --yes` on a 500-row file (default
// batches of 25, journal synced before and after each batch, results CSV) against a fresh
// sandbox per iteration, and reports the time per row next to one CreateWithdrawal call.
func BenchmarkMassPayout500(b *testing.B) {
	var rows time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		srv, ts := benchSandbox(b)
		demo := srv.Demo()
		dir := b.TempDir()
		path := payoutFile(b, dir, benchRows, "LTCT", "0.5")
		env := map[string]string{
			"WALLEX_API_URL": ts.URL + "/api", "WALLEX_PUBLIC_KEY": demo.PublicKey, "WALLEX_PRIVATE_KEY": demo.PrivateKey,
			"WALLEX_STATE": filepath.Join(dir, "state.json"),
		}
		b.StartTimer()
		start := time.Now()
		code := runQuiet(env, "mass-withdraw", path, "--yes")
		rows += time.Since(start)
		b.StopTimer()
		if code != 0 {
			b.Fatalf("mass-withdraw: exit %d", code)
		}
		if n := srv.Stats(demo.PublicKey).ByCmd["create_mass_withdrawal"]; n != benchRows/25 {
			b.Fatalf("%d mass calls", n)
		}
		ts.Close()
		srv.Close()
		b.StartTimer()
	}
	b.StopTimer()
	perRow := rows / time.Duration(b.N*benchRows)
	b.ReportMetric(float64(perRow.Nanoseconds()), "ns/row")

	// The baseline, measured the same way: one create_withdrawal per payout.
	srv, ts := benchSandbox(b)
	defer srv.Close()
	defer ts.Close()
	one := oneWithdrawal(b, benchClient(b, ts, srv.Demo()), 200)
	b.ReportMetric(float64(one.Nanoseconds()), "ns/one-call")
	b.Logf("mass-withdraw: %v per row (%v per 500-row file); one CreateWithdrawal call: %v; per-row/one-call = %.3f",
		perRow, rows/time.Duration(b.N), one, float64(perRow)/float64(one))
}

func runQuiet(env map[string]string, args ...string) int {
	return run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return env[k] })
}
