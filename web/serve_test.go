package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// Every file the console loads is in the binary: each .html/.js/.css under web/ and each
// locale's messages.json (tests and Go files aside) is embedded and served.
func TestEveryConsoleFileIsEmbedded(t *testing.T) {
	h := Handler(Files, http.NotFoundHandler())
	n := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (p == "test" || p == "wasm") {
			return filepath.SkipDir
		}
		switch filepath.Ext(p) {
		case ".html", ".js", ".css":
		case ".json":
			if !strings.HasPrefix(filepath.ToSlash(p), "_locales/") {
				return nil
			}
		default:
			return nil
		}
		n++
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/web/"+filepath.ToSlash(p), nil))
		if rec.Code != 200 || rec.Body.String() != string(want) {
			t.Errorf("/web/%s: %d, body matches the file: %v", p, rec.Code, rec.Body.String() == string(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d console files found", n)
	}
}

func TestHandlerRoutes(t *testing.T) {
	files := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html>")},
		"lib/money.js":        {Data: []byte("export {}")},
		"test/x.test.mjs":     {Data: []byte("secret test")},
		"embed.go":            {Data: []byte("package web")},
		"wasm/wallexkit.wasm": {Data: []byte("\x00asm")},
		"wasm/wasm_exec.js":   {Data: []byte("// go")},
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "api "+r.Method+" "+r.URL.Path)
	})
	h := Handler(files, api)
	for _, c := range []struct {
		method, path string
		code         int
		body, ctype  string
	}{
		{"GET", "/", 302, "", ""},
		{"GET", "/web/index.html", 200, "<!doctype html>", "text/html; charset=utf-8"},
		{"HEAD", "/web/lib/money.js", 200, "", "text/javascript; charset=utf-8"},
		{"GET", "/wasm/wallexkit.wasm", 200, "\x00asm", "application/wasm"},
		{"GET", "/wasm/wasm_exec.js", 200, "// go", "text/javascript; charset=utf-8"},
		{"GET", "/web/test/x.test.mjs", 404, "", ""},
		{"GET", "/web/embed.go", 404, "", ""},
		{"GET", "/web/wasm/wallexkit.wasm", 404, "", ""},
		{"GET", "/web/lib", 404, "", ""},
		{"GET", "/elsewhere", 404, "", ""},
		{"POST", "/web/index.html", 405, "", ""},
		{"POST", "/api", 200, "api POST /api", ""},
		{"POST", "/api/v1", 200, "api POST /api/v1", ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.code)
			continue
		}
		if c.body != "" && rec.Body.String() != c.body {
			t.Errorf("%s %s: body %q, want %q", c.method, c.path, rec.Body.String(), c.body)
		}
		if c.ctype != "" && rec.Header().Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", c.method, c.path, rec.Header().Get("Content-Type"), c.ctype)
		}
		if c.code == 200 && !strings.HasPrefix(c.path, "/api") && rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", c.method, c.path)
		}
	}

	// The address './build.sh run' prints, with the query the README gives it (?lang=ar), keeps
	// the query through the redirect: the page reads the locale from it.
	for _, p := range []string{"/?lang=ar", "/web/?lang=ar"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if loc := rec.Header().Get("Location"); rec.Code != 302 || loc != "/web/index.html?lang=ar" {
			t.Errorf("GET %s: %d Location %q, want 302 /web/index.html?lang=ar", p, rec.Code, loc)
		}
	}

	// A build without the wasm core says how to get one.
	delete(files, "wasm/wallexkit.wasm")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/wasm/wallexkit.wasm", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "./build.sh build") {
		t.Errorf("missing core: %d %q", rec.Code, rec.Body.String())
	}
}

// A browser asks for /favicon.ico (and the page names its icon): both are answered with the
// console's mark, not a 404 in the server's log and the browser's console.
func TestFaviconIsServed(t *testing.T) {
	h := Handler(Files, http.NotFoundHandler())
	for _, p := range []string{"/favicon.ico", "/web/icon.svg"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(rec.Body.String(), "<svg") {
			t.Errorf("GET %s: %d %q %.40q", p, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
	page, err := fs.ReadFile(Files, "index.html")
	if err != nil || !strings.Contains(string(page), `<link rel="icon" href="icon.svg" type="image/svg+xml">`) {
		t.Errorf("index.html names no icon (%v)", err)
	}
}
