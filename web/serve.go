package web

import (
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Handler serves the console from files (Files, or a directory while editing it) and hands
// every request under /api to api, so that the page and the API share one origin:
//
//	/                      redirect to /web/index.html (with the query: ?lang=ar)
//	/web/…                 the console's modules, styles and pages (never test/ or Go files)
//	/favicon.ico           the console's icon (icon.svg), for a browser that asks for it
//	/wasm/wallexkit.wasm   the wasm core, from files' wasm/ directory
//	/wasm/wasm_exec.js     Go's loader for it, from the same place
//	/api, /api/…           api (the sandbox's own handler, or a proxy to a real API)
//
// Anything else is 404; a method other than GET or HEAD outside /api is 405. A request whose
// URL does not parse never reaches a handler: net/http answers it 400.
func Handler(files fs.FS, api http.Handler) http.Handler {
	return &server{files: files, api: api}
}

type server struct {
	files fs.FS
	api   http.Handler
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		s.api.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "the console's files are read with GET; API calls go to /api", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case p == "/" || p == "/web" || p == "/web/":
		to := "/web/index.html"
		if r.URL.RawQuery != "" { // ?lang=ar picks the page's locale: keep it
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, to, http.StatusFound)
	case p == "/favicon.ico" && s.isFile("icon.svg"):
		s.serveFile(w, r, "icon.svg")
	case p == "/wasm/wallexkit.wasm" || p == "/wasm/wasm_exec.js":
		name := "wasm/" + path.Base(p)
		if !s.isFile(name) {
			http.Error(w, "the wasm core is not in this build of wallexkit: build it with ./build.sh build "+
				"(it puts the core into web/wasm before it builds the CLI), or run ./build.sh run", http.StatusServiceUnavailable)
			return
		}
		s.serveFile(w, r, name)
	case strings.HasPrefix(p, "/web/"):
		name := strings.TrimPrefix(p, "/web/")
		if !servable(name) || !s.isFile(name) {
			http.NotFound(w, r)
			return
		}
		s.serveFile(w, r, name)
	default:
		http.NotFound(w, r)
	}
}

// servable reports whether a console file may be served: clean, relative, not a test or the
// wasm directory (served under /wasm/), and of a kind the page loads.
func servable(name string) bool {
	if !fs.ValidPath(name) || name == "." {
		return false
	}
	first, _, _ := strings.Cut(name, "/")
	if first == "test" || first == "wasm" {
		return false
	}
	switch path.Ext(name) {
	case ".html", ".js", ".css", ".svg", ".png", ".json":
		return true
	}
	return false
}

// serveFile sends one file as it is (http.ServeFileFS would redirect index.html to its
// directory), with a content type from its extension.
func (s *server) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	f, err := s.files.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	rs, seekable := f.(io.ReadSeeker)
	if err != nil || !seekable {
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, name, st.ModTime(), rs)
}

func (s *server) isFile(name string) bool {
	st, err := fs.Stat(s.files, name)
	return err == nil && st.Mode().IsRegular()
}
