package core

import "testing"

func TestRedactLongRuns(t *testing.T) {
	r := newRedactor("SECRETPRIVATEKEY")
	got := r.excerpt([]byte("<html>token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEF key SECRETPRIVATEKEY\n</html>"))
	want := "<html>[redacted] key [redacted] </html>" // base64 "=" joins the run
	if got != want {
		t.Fatalf("excerpt = %q, want %q", got, want)
	}
}

// configured (Client.Derive) keeps the configured secrets only, and the two redactors learn
// tokens apart.
func TestRedactorConfigured(t *testing.T) {
	r := newRedactor("SECRETPRIVATEKEY")
	r.setToken("Bearer PARENTTOKEN1")
	c := r.configured()
	if got := c.text("SECRETPRIVATEKEY PARENTTOKEN1"); got != "[redacted] PARENTTOKEN1" {
		t.Fatalf("derived redactor: %q", got)
	}
	c.setToken("Bearer CHILDTOKEN22")
	if got := c.text("CHILDTOKEN22"); got != "[redacted]" {
		t.Fatalf("derived redactor does not redact its own token: %q", got)
	}
	if got := r.text("CHILDTOKEN22 PARENTTOKEN1 SECRETPRIVATEKEY"); got != "CHILDTOKEN22 [redacted] [redacted]" {
		t.Fatalf("parent redactor after the child learnt a token: %q", got)
	}
}
