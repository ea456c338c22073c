package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/web"
)

func consoleCommand() command {
	return command{
		name:    "console",
		args:    "[--addr HOST:PORT] [--files DIR]",
		summary: "serve the merchant console against the API (--api-url)",
		help: "Serves the merchant console (the same screens as the browser extension, with the wasm core\n" +
			"in the page) on http://ADDR/, and passes /api of that origin on to the API named by\n" +
			"--api-url or WALLEX_API_URL, so the page needs no cross-origin access. The console is\n" +
			"built into this binary; --files DIR serves it from a checkout's web/ directory instead,\n" +
			"for editing (reload the page to see a change). Keys and tokens stay in the page; this\n" +
			"server keeps nothing. For the sandbox, 'wallexkit sandbox --console ADDR' serves both.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var addr, files string
			fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen `ADDR`")
			fs.StringVar(&files, "files", "", "serve the console from `DIR` (a checkout's web/) instead of the built-in copy")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) > 0 {
					return usagef("console takes no arguments (got %q)", args[0])
				}
				return runConsole(ctx, a, addr, files)
			}
		},
	}
}

func runConsole(ctx context.Context, a *app, addr, dir string) error {
	raw, err := core.CheckAPIURL(a.set.apiURL, a.set.insecureHTTP)
	if err != nil {
		return usagef("%v", err)
	}
	target, _ := url.Parse(raw)
	files, err := consoleFiles(dir)
	if err != nil {
		return err
	}
	ln, err := listen(addr, "--addr")
	if err != nil {
		return err
	}
	logHandler := slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	hs := newServer(web.Handler(files, apiProxy(target)), logHandler)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	host, loopback := displayHost(ln.Addr())
	fmt.Fprintf(a.stdout, "Merchant console on http://%s/\n  API  %s (connect with API URL http://%s/api)\n", host, target.Redacted(), host)
	if !loopback {
		a.warnf("the console listens beyond loopback: anyone who can reach %s can use it to call %s", ln.Addr().String(), target.Host)
	}
	fmt.Fprintln(a.stderr, "Press Ctrl-C to stop.")
	if err := waitAndShutdown(ctx, served, a.stderr, hs); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("the console server stopped: %w", err)
	}
	return nil
}

// consoleFiles is the built-in console, or dir when given (it must look like web/).
func consoleFiles(dir string) (fs.FS, error) {
	if dir == "" {
		return web.Files, nil
	}
	files := os.DirFS(dir)
	if _, err := fs.Stat(files, "index.html"); err != nil {
		return nil, usagef("--files %s holds no index.html: give the web/ directory of a wallexkit checkout", dir)
	}
	return files, nil
}

// apiProxy passes /api/… on to target's path/…, as a plain forward: one request out for each
// request in (no retry), without the page's Origin and Referer (the API sees a server call).
func apiProxy(target *url.URL) http.Handler {
	base := strings.TrimSuffix(target.Path, "/")
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			rest := strings.TrimPrefix(r.In.URL.Path, "/api")
			r.SetURL(target)
			r.Out.URL.Path = base + rest
			r.Out.URL.RawPath = ""
			r.Out.Host = target.Host
			r.Out.Header.Del("Origin")
			r.Out.Header.Del("Referer")
			r.Out.Header.Del("Cookie")
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, fmt.Sprintf("cannot reach the API at %s: %s", target.Host, plainProxyError(err)), http.StatusBadGateway)
		},
	}
}

func plainProxyError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
