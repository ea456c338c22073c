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
