package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wallexkit/wallexkit/sandbox"
	"github.com/wallexkit/wallexkit/web"
)

func sandboxCommand() command {
	return command{
		name:    "sandbox",
		args:    "[--addr HOST:PORT] [--console HOST:PORT] [--data PATH] [--token-ttl 1h] [--demo-public-key K --demo-private-key S]",
		summary: "run the local Wallex Pay emulator",
		help: "Runs a local emulator of the Wallex Pay API under http://ADDR/api, with test-only admin\n" +
			"endpoints under /sandbox/. It prints the demo merchant's ID and keys and an export line for\n" +
			"the other commands. The demo keys are sandbox-only: they move no real money. Stop it with\n" +
			"Ctrl-C (or SIGTERM); it finishes the requests in flight first.\n" +
			"With --console it also serves the merchant console (built into this binary) on a second\n" +
			"address, with the sandbox's API under /api of the same origin.\n" +
			"Its subcommands play the buyer and the merchant's mailbox against a running sandbox:\n" +
			"'sandbox pay', 'sandbox expire', 'sandbox withdrawal confirm|complete|cancel'.\n" +
			"Exit status 2 when the address is in use or the data file cannot be opened.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var o sandboxOptions
			fs.StringVar(&o.addr, "addr", "127.0.0.1:8787", "listen `ADDR` (port 0 picks a free one)")
			fs.StringVar(&o.console, "console", "", "also serve the merchant console on `ADDR` (e.g. 127.0.0.1:8080)")
			fs.StringVar(&o.data, "data", "", "keep state in this bbolt `PATH` across restarts (default: memory only)")
			fs.DurationVar(&o.tokenTTL, "token-ttl", time.Hour, "`DURATION` a login token stays valid")
			fs.StringVar(&o.demoPublic, "demo-public-key", "", "fixed demo public `KEY` (default: random, or the stored one)")
			fs.StringVar(&o.demoPrivate, "demo-private-key", "", "fixed demo private `KEY` (default: random, or the stored one)")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) > 0 {
					return usagef("unknown sandbox subcommand %q: use pay, expire or withdrawal (no subcommand runs the sandbox)", args[0])
				}
				if o.tokenTTL <= 0 {
					return usagef("--token-ttl must be positive, e.g. 1h or 30s")
				}
				return runSandbox(ctx, a, o)
			}
		},
	}
}

type sandboxOptions struct {
	addr, console, data     string
	tokenTTL                time.Duration
	demoPublic, demoPrivate string
}

// runSandbox serves the sandbox until ctx is done, then shuts down gracefully.
func runSandbox(ctx context.Context, a *app, o sandboxOptions) error {
	ln, err := listen(o.addr, "--addr")
	if err != nil {
		return err
	}
	var consoleLn net.Listener
	if o.console != "" {
		if consoleLn, err = listen(o.console, "--console"); err != nil {
			ln.Close()
			return err
		}
	}
	closeListeners := func() {
		ln.Close()
		if consoleLn != nil {
			consoleLn.Close()
		}
	}
	logHandler := slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	var adminHosts []string // a named --addr host may use the admin endpoints besides loopback
	if h, _, err := net.SplitHostPort(o.addr); err == nil && h != "" && net.ParseIP(h) == nil {
		adminHosts = append(adminHosts, strings.ToLower(h))
	}
	srv, err := sandbox.New(sandbox.Config{
		TokenTTL:       o.tokenTTL,
		DataPath:       o.data,
		DemoPublicKey:  o.demoPublic,
		DemoPrivateKey: o.demoPrivate,
		Logger:         slog.New(logHandler),
		AdminHosts:     adminHosts,
	})
	if err != nil {
		closeListeners()
		return usagef("cannot start the sandbox: %v", err)
	}
	hs := newServer(srv.Handler(), logHandler)
	served := make(chan error, 2)
	go func() { served <- hs.Serve(ln) }()
	var cs *http.Server
	consoleURL := ""
	if consoleLn != nil {
		cs = newServer(web.Handler(web.Files, srv.Handler()), logHandler)
		go func() { served <- cs.Serve(consoleLn) }()
		host, _ := displayHost(consoleLn.Addr())
		consoleURL = "http://" + host
	}

	host, loopback := displayHost(ln.Addr())
	base := "http://" + host
	if err := printSandboxBanner(a, base, consoleURL, srv.Demo(), o); err != nil {
		// stdout is gone (closed pipe): there is no one to serve.
		hs.Close()
		if cs != nil {
			cs.Close()
		}
		srv.Close()
		return err
	}
	if !loopback {
		a.warnf("the sandbox listens beyond loopback; its admin endpoints under /sandbox/ are open to anyone who can reach %s", ln.Addr().String())
	}
	fmt.Fprintln(a.stderr, "Press Ctrl-C to stop.")

	// Either server stopping on its own stops both: nothing is left half running.
	serveErr := waitAndShutdown(ctx, served, a.stderr, hs, cs)
	closeErr := srv.Close()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("the sandbox server stopped: %w", serveErr)
	}
	if closeErr != nil {
		return fmt.Errorf("cannot close the sandbox store: %w", closeErr)
	}
	fmt.Fprintln(a.stderr, "Sandbox stopped.")
	return nil
}

// displayHost returns host:port to print for the listener (an unspecified address becomes
// 127.0.0.1) and whether the listener is loopback only.
func displayHost(addr net.Addr) (string, bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String(), false
	}
	if tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port)), false
	}
	return tcp.String(), tcp.IP.IsLoopback()
}

// listen opens addr for the flag named, or says in one line why not and what to do.
func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, usagef("cannot listen on %s: the address is already in use (another wallexkit still running?): stop that process or pick another %s", addr, flagName)
	}
	return nil, usagef("cannot listen on %s: %v: pick another %s", addr, err, flagName)
}

// newServer is an http.Server with the timeouts every local server of the CLI uses.
func newServer(h http.Handler, logHandler slog.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logHandler, slog.LevelWarn),
	}
}

func printSandboxBanner(a *app, base, consoleURL string, demo sandbox.Demo, o sandboxOptions) error {
	apiURL := base + "/api"
	if a.set.output == "json" {
		out := map[string]string{
			"api_url":     apiURL,
			"admin_url":   base + "/sandbox/",
			"merchant_id": demo.MerchantID,
			"username":    demo.Username,
			"public_key":  demo.PublicKey,
			"private_key": demo.PrivateKey,
			"ipn_secret":  demo.IPNSecret,
		}
		if consoleURL != "" {
			out["console_url"] = consoleURL + "/"
		}
		return writeJSON(a.stdout, out)
	}
	state := "memory only (lost on exit)"
	if o.data != "" {
		state = o.data
	}
	w := a.stdout
	fmt.Fprintf(w, "Wallex Pay sandbox listening on %s\n", apiURL)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeFields(tw,
		"  Admin", base+"/sandbox/",
		"  Merchant ID", demo.MerchantID,
		"  Username", demo.Username,
		"  Public key", demo.PublicKey,
		"  Private key", demo.PrivateKey+"  (sandbox only)",
		"  IPN secret", demo.IPNSecret+"  (sandbox only; 'wallexkit listen' receives the IPNs)",
		"  Token TTL", o.tokenTTL.String(),
		"  State", state)
	if consoleURL != "" {
		writeFields(tw, "  Console", consoleURL+"/  (connect with API URL "+consoleURL+"/api and the keys above)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nexport WALLEX_API_URL=%s WALLEX_PUBLIC_KEY=%s WALLEX_PRIVATE_KEY=%s WALLEX_MERCHANT_ID=%s WALLEX_IPN_SECRET=%s\n\n",
		shellQuote(apiURL), shellQuote(demo.PublicKey), shellQuote(demo.PrivateKey), shellQuote(demo.MerchantID), shellQuote(demo.IPNSecret))
	return err
}

// shellQuote quotes s for a POSIX shell unless it is made of safe characters only.
func shellQuote(s string) string {
	safe := s != ""
	for _, ch := range s {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.ContainsRune("-_./:@%+=,", ch)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// waitAndShutdown waits until ctx is done (Ctrl-C) or one of the servers stops by itself, then
// shuts them all down, giving running requests 5 s. It returns the error of a server that
// stopped by itself. served receives each server's Serve result; nil servers are skipped.
func waitAndShutdown(ctx context.Context, served <-chan error, stderr io.Writer, servers ...*http.Server) error {
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, hs := range servers {
		if hs == nil {
			continue
		}
		if err := hs.Shutdown(sctx); err != nil {
			fmt.Fprintf(stderr, "wallexkit: requests still running after 5s, closing them: %v\n", err)
			hs.Close()
		}
	}
	return serveErr
}
