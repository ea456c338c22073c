package gateway

import (
	"runtime"
	"testing"
)

// The warm-up must keep working as core and the gateway change: a warm-up whose fixed answers no
// longer decode would stop at its first call and leave the call's code unoptimised, which nothing
// else would notice. And it must leave nothing running: on Workers it runs at load, where a
// goroutine left waiting could only wake into a request that is not its own.
func TestWarmUpServesEveryCallAndLeavesNothingRunning(t *testing.T) {
	before := runtime.NumGoroutine()
	if got := WarmUp(5); got != 5 {
		t.Fatalf("WarmUp(5) answered %d calls 200", got)
	}
	if after := runtime.NumGoroutine(); after != before {
		t.Fatalf("%d goroutines before the warm-up, %d after", before, after)
	}
}
