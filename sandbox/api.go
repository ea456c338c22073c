package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const maxBodyBytes = 1 << 20

// reply is a fully built HTTP answer, so a commit_drop fault can run the
// command and then throw the answer away.
type reply struct {
	status int
	ctype  string
	body   []byte
	header map[string]string
	failed bool // counts towards FailedCalls and the throttle window
}

func jsonReply(status int, v any) reply {
	return reply{status: status, ctype: "application/json", body: encodeJSON(v), failed: status >= 400}
}

func errReply(status int, msg string) reply {
	return jsonReply(status, map[string]any{"error": msg})
}

func apiOK(format string, result any) reply {
	if format == "xml" {
		return reply{status: 200, ctype: "application/xml", body: encodeEnvelopeXML("ok", result)}
	}
	return reply{status: 200, ctype: "application/json", body: encodeJSON(map[string]any{"error": "ok", "result": result})}
}

// apiErr is an API-level error: HTTP 200, error text, empty result array.
func apiErr(format, msg string) reply {
	if format == "xml" {
		return reply{status: 200, ctype: "application/xml", body: encodeEnvelopeXML(msg, []any{}), failed: true}
	}
	return reply{status: 200, ctype: "application/json", body: encodeJSON(map[string]any{"error": msg, "result": []any{}}), failed: true}
}

func (s *Server) write(w http.ResponseWriter, rep reply) {
	h := w.Header()
	h.Set("Content-Type", rep.ctype)
	h.Set("Cache-Control", "no-store")
	for k, v := range rep.header {
		h.Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// apiError is a message returned to the caller as {"error": msg}.
type apiError string

func (e apiError) Error() string { return string(e) }

func apiErrorf(format string, a ...any) error { return apiError(fmt.Sprintf(format, a...)) }

// serveAPI handles POST /api and POST /api/{cmd}.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if s.closed.Load() {
		s.write(w, errReply(http.StatusServiceUnavailable, "Sandbox is shutting down"))
		return
	}
	pathCmd := ""
	if rest := strings.TrimPrefix(r.URL.Path, "/api"); rest != "" && rest != "/" {
		pathCmd = strings.TrimPrefix(rest, "/")
		if strings.Contains(pathCmd, "/") {
			s.write(w, errReply(http.StatusNotFound, "Not found: the API is POST /api or POST /api/{cmd}"))
			return
		}
	}
	if r.Method != http.MethodPost {
		rep := errReply(http.StatusMethodNotAllowed, "Method not allowed: use POST")
		rep.header = map[string]string{"Allow": "POST"}
		s.write(w, rep)
		return
	}
	if r.URL.RawQuery != "" {
		s.write(w, errReply(http.StatusBadRequest, "Query parameters are not accepted: send every field in the form body"))
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		s.write(w, errReply(http.StatusBadRequest, "Content-Type must be application/x-www-form-urlencoded"))
		return
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		s.write(w, errReply(http.StatusBadRequest, "Content-Type charset must be utf-8"))
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.write(w, errReply(http.StatusRequestEntityTooLarge, "Request body too large (limit 1 MB)"))
			return
		}
		s.write(w, errReply(http.StatusBadRequest, "Could not read request body"))
		return
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		s.write(w, errReply(http.StatusBadRequest, "Malformed form body: "+strings.TrimPrefix(err.Error(), "invalid ")))
		return
	}

	cmd := form.Get("cmd")
	var badCmd string
	for name, vals := range form {
		if len(vals) > 1 {
			badCmd = fmt.Sprintf("Field %q given more than once", name)
		}
	}
	if pathCmd != "" {
		if cmd != "" && cmd != pathCmd {
			badCmd = fmt.Sprintf("cmd field %q does not match URL command %q", cmd, pathCmd)
		}
		cmd = pathCmd
	}
	if cmd == "" && badCmd == "" {
		badCmd = "Missing cmd field"
	}
	key := form.Get("key")
	if cmd == "login" {
		key = form.Get("publickey")
	}
	nonceBearing := cmd != "login" && form.Has("nonce")
	end := s.trackBegin(key, cmd, nonceBearing)
	defer end()

	if badCmd != "" {
		s.recordFailure(key)
		s.write(w, errReply(http.StatusBadRequest, badCmd))
		return
	}

	commitDrop, commitStatus, omit := false, 0, ""
	var retype *Fault
	if f := s.takeFault(cmd, key); f != nil {
		s.bump(key, func(k *KeyStats) { k.Faults++ })
		s.log.Info("sandbox fault injected", "kind", f.Kind, "cmd", cmd)
		if (f.Kind == FaultReset || f.Kind == FaultCommitDrop || f.Kind == FaultCommitStatus) && f.Delay > 0 {
			s.hold(f.Delay) // held first, whatever the client does
		}
		switch f.Kind {
		case FaultDelay:
			s.sleep(r, f.Delay)
		case FaultHold:
			s.hold(f.Delay)
		case FaultStatus:
			rep := errReply(f.Status, fmt.Sprintf("Injected fault: HTTP %d %s", f.Status, http.StatusText(f.Status)))
			s.write(w, rep)
			return
		case FaultHTML:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>The upstream server did not answer (sandbox injected fault).</p></body></html>\n")
			return
		case FaultReset:
			dropConnection(w)
			return
		case FaultCommitDrop:
			commitDrop = true
		case FaultCommitStatus:
			commitStatus = f.Status
		case FaultOmit:
			omit = f.Field
		case FaultRetype:
			retype = f
		}
	}

	if limited, wait := s.throttled(key); limited {
		s.bump(key, func(k *KeyStats) { k.Throttled++ })
		rep := errReply(http.StatusTooManyRequests, "Too many failed calls, retry later")
		secs := max(1, int((wait+time.Second-1)/time.Second))
		rep.header = map[string]string{"Retry-After": strconv.Itoa(secs)}
		s.write(w, rep)
		return
	}

	var rep reply
	if cmd == "login" {
		rep = s.login(form)
	} else {
		rep = s.handleCommand(r, form, cmd, key)
	}
	if rep.failed {
		s.recordFailure(key)
	}
	if commitDrop {
		dropConnection(w)
		return
	}
	if commitStatus == http.StatusUnauthorized {
		// A copy refused for its expired token after the first was carried out (an HTTP stack
		// that resent the request by itself): the answer the client sees is the copy's.
		rep := errReply(http.StatusUnauthorized, "Invalid token")
		rep.header = map[string]string{"WWW-Authenticate": `Bearer realm="wallexpay-sandbox"`}
		s.write(w, rep)
		return
	}
	if commitStatus != 0 {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(commitStatus)
		_, _ = fmt.Fprintf(w, "<html><body><h1>%d %s</h1><p>The upstream answered after acting (sandbox injected fault).</p></body></html>\n", commitStatus, http.StatusText(commitStatus))
		return
	}
	if omit != "" && rep.ctype == "application/json" && !rep.failed {
		rep.body = omitField(rep.body, omit)
	}
	if retype != nil && rep.ctype == "application/json" && !rep.failed {
		rep.body = retypeField(rep.body, retype.Field, retype.As)
	}
	s.write(w, rep)
}

const expiresLayout = "2006-01-02 15:04:05"

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func (s *Server) login(form url.Values) reply {
	fail := func(status int, msg string) reply {
		return jsonReply(status, map[string]any{"success": "false", "message": msg})
	}
	if form.Has("version") && form.Get("version") != "1" {
		return fail(http.StatusBadRequest, "Invalid version: must be 1")
	}
	pub, priv := form.Get("publickey"), form.Get("privatekey")
	if pub == "" || priv == "" {
		return fail(http.StatusBadRequest, "Missing publickey or privatekey field")
	}
	now := s.now()
	s.mu.Lock()
	k := s.st.keys[pub]
	if k == nil || subtle.ConstantTimeCompare([]byte(priv), []byte(k.Private)) != 1 {
		s.mu.Unlock()
		return fail(http.StatusUnauthorized, "Invalid API key pair")
	}
	tok := randHex(32)
	exp := now.Add(s.ttl)
	changes := []change{put(bTokens, hashToken(tok), &tokenRec{Hash: hashToken(tok), Key: pub, Expires: exp.UnixNano()})}
	for h, t := range s.st.tokens {
		if now.UnixNano() >= t.Expires {
			changes = append(changes, del(bTokens, h))
		}
	}
	err := s.commit(changes...)
	s.mu.Unlock()
	if err != nil {
		s.log.Error("sandbox login: store failed", "err", err)
		return fail(http.StatusInternalServerError, "Internal sandbox error")
	}
	s.bump(pub, func(k *KeyStats) { k.Logins++ })
	return jsonReply(http.StatusOK, map[string]any{
		"success": "true",
		"result": map[string]any{
			"access_token": "Bearer " + tok,
			"expires_at":   exp.UTC().Format(expiresLayout),
		},
		"message": "Login successfully!",
	})
}

// authorize checks the bearer token against the key named in the request.
func (s *Server) authorize(r *http.Request, key string) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "Missing Authorization header"
	}
	tok := h
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = strings.TrimSpace(h[7:])
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.st.tokens[hashToken(tok)]
	if rec == nil || s.st.keys[rec.Key] == nil {
		return "Invalid token"
	}
	if rec.Key != key {
		return "Token does not belong to this API key"
	}
	if now.UnixNano() >= rec.Expires {
		return "Token expired, log in again"
	}
	return ""
}

// call is the context a command runs in.
type call struct {
	form       url.Values
	key        string
	merchantID string
	origin     string
	now        time.Time
}

func (c *call) get(name string) string { return c.form.Get(name) }

// flag reads a 0/1 switch; absent or empty means off.
func (c *call) flag(name string) (bool, error) {
	switch c.form.Get(name) {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, apiErrorf("Invalid %s: must be 0 or 1", name)
}

func (s *Server) handleCommand(r *http.Request, form url.Values, cmd, key string) reply {
	format := form.Get("format")
	switch format {
	case "", "json":
		format = "json"
	case "xml":
	default:
		return apiErr("json", "Invalid format: must be json or xml")
	}
	if !form.Has("version") {
		return apiErr(format, "Missing version field (must be 1)")
	}
	if form.Get("version") != "1" {
		return apiErr(format, "Invalid version: must be 1")
	}
	if key == "" {
		return apiErr(format, "Missing key field (your public API key)")
	}
	if msg := s.authorize(r, key); msg != "" {
		rep := errReply(http.StatusUnauthorized, msg)
		rep.header = map[string]string{"WWW-Authenticate": `Bearer realm="wallexpay-sandbox"`}
		return rep
	}
	s.bump(key, func(k *KeyStats) { k.Calls++ })

	def, ok := commands[cmd]
	if !ok {
		return apiErr(format, "Unknown command: "+cmd)
	}
	s.mu.Lock()
	k := s.st.keys[key]
	var allowed bool
	var merchantID string
	if k != nil {
		allowed, merchantID = k.allowed(cmd), k.MerchantID
	}
	s.mu.Unlock()
	if k == nil {
		return errReply(http.StatusUnauthorized, "Invalid token")
	}
	if !allowed {
		return apiErr(format, "This API key has no permission for "+cmd)
	}
	if msg := s.checkNonce(key, form); msg != "" {
		s.bump(key, func(k *KeyStats) { k.NonceErrors++ })
		return apiErr(format, msg)
	}
	c := &call{form: form, key: key, merchantID: merchantID, origin: origin(r), now: s.now()}
	result, err := def.run(s, c)
	if err != nil {
		var ae apiError
		if errors.As(err, &ae) {
			return apiErr(format, string(ae))
		}
		s.log.Error("sandbox command failed", "cmd", cmd, "err", err)
		return errReply(http.StatusInternalServerError, "Internal sandbox error")
	}
	return apiOK(format, result)
}

func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// checkNonce applies spec §4. Like the real service the check is not atomic:
// the high-water mark is read, the request is held for a moment, then the
// mark is compared and overwritten, so concurrent nonce-bearing calls with
// one key can race (and are counted as overlaps in Stats).
func (s *Server) checkNonce(key string, form url.Values) string {
	s.mu.Lock()
	k := s.st.keys[key]
	if k == nil {
		s.mu.Unlock()
		return "Invalid nonce: unknown API key"
	}
	used, last := k.NonceUsed, k.LastNonce
	s.mu.Unlock()
	if !form.Has("nonce") {
		if used {
			return "Nonce required for this API key"
		}
		return ""
	}
	raw := form.Get("nonce")
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			raw = ""
			break
		}
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return "Invalid nonce: must be a positive integer"
	}
	time.Sleep(time.Millisecond) // the non-atomic window
	if n <= last {
		return fmt.Sprintf("Invalid nonce: must be greater than %d", last)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.keys[key]
	if cur == nil {
		return "Invalid nonce: API key vanished"
	}
	upd := cur.clone()
	upd.NonceUsed, upd.LastNonce = true, n
	if err := s.commit(put(bKeys, key, upd)); err != nil {
		s.log.Error("sandbox nonce: store failed", "err", err)
		return "Internal sandbox error while recording the nonce"
	}
	return ""
}
