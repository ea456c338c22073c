package core

import (
	"errors"
	"strings"
	"sync"
)

// redactor removes secrets from text that may reach errors and logs.
type redactor struct {
	mu      sync.RWMutex
	fixed   int      // how many leading entries (the configured secrets) are never dropped
	secrets []string // fixed secrets, then the most recent tokens
}

func newRedactor(secrets ...string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		r.add(s)
	}
	r.fixed = len(r.secrets)
	return r
}

// configured returns a new redactor with r's configured secrets only (not the tokens r learnt).
func (r *redactor) configured() *redactor {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return &redactor{fixed: r.fixed, secrets: r.secrets[:r.fixed:r.fixed]}
}

func (r *redactor) add(s string) {
	if len(s) < 4 {
		return
	}
	r.mu.Lock()
	r.secrets = append(r.secrets, s)
	if esc := string(appendFormEscaped(nil, s)); esc != s {
		r.secrets = append(r.secrets, esc) // as it appears in an echoed form body
	}
	if len(r.secrets) > r.fixed+8 { // keep the configured secrets and the last few tokens
		r.secrets = append(r.secrets[:r.fixed], r.secrets[len(r.secrets)-8:]...)
	}
	r.mu.Unlock()
}

func (r *redactor) setToken(t string) {
	r.add(strings.TrimPrefix(t, "Bearer "))
}

func (r *redactor) text(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func (r *redactor) err(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.text(msg); red != msg {
		return errors.New(red)
	}
	return err
}

// excerpt returns at most 120 printable characters of a body. Secrets and long opaque runs
// (anything that looks like a key or token) are removed from the whole (first 8 KiB of the) body
// before it is cut, so a secret straddling the cut cannot leave a prefix behind.
func (r *redactor) excerpt(body []byte) string {
	const max = 120
	if len(body) > 8<<10 {
		body = body[:8<<10]
	}
	var b strings.Builder
	for _, ch := range string(body) {
		switch {
		case ch == '\n' || ch == '\r' || ch == '\t':
			ch = ' '
		case ch < 0x20 || ch == 0x7f || ch == '\uFFFD':
			continue
		}
		b.WriteRune(ch)
	}
	s := redactLongRuns(r.text(b.String()), 32)
	if n := 0; len(s) > max {
		for i := range s {
			if n == max {
				return s[:i] + "…"
			}
			n++
		}
	}
	return s
}

// redactLongRuns replaces runs of at least n token-like characters with [redacted].
func redactLongRuns(s string, n int) string {
	isTok := func(ch byte) bool {
		return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-' || ch == '+' || ch == '/' || ch == '='
	}
	var out strings.Builder
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && isTok(s[j]) {
			j++
		}
		if j-i >= n {
			out.WriteString("[redacted]")
		} else {
			out.WriteString(s[i:j])
		}
		if j < len(s) {
			out.WriteByte(s[j])
			j++
		}
		i = j
	}
	return out.String()
}
