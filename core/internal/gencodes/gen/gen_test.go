package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wallexkit/wallexkit/core"
)

// The JS copies must be what the generator writes now: run `go generate ./core` after changing
// core's codes or statuses.
func TestGeneratedFilesAreFresh(t *testing.T) {
	for path, want := range Files() {
		got, err := os.ReadFile(filepath.Join("..", "..", "..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./core`", path)
		}
	}
}

// The JS rule is written from these constants; this keeps core's rule and them in step.
func TestRuleMatchesTheConstantsTheJSUses(t *testing.T) {
	for s := core.PaymentStatus(-5); s <= 205; s++ {
		want := core.StatePending
		switch {
		case s >= core.PaymentComplete || s == core.PaymentQueued:
			want = core.StatePaid
		case s < core.PaymentWaiting:
			want = core.StateFailed
		}
		if s.State() != want {
			t.Fatalf("status %d: core says %s, the generated JS would say %s: update the generator", s, s.State(), want)
		}
	}
}
