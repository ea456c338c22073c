//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMassWithdrawRefusesAConcurrentRun(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(path, []byte("addrA,LTC,1\n"), 0o600)
	f, err := os.OpenFile(path+".journal", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	r := h.run("mass-withdraw", path, "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "is locked") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if n := h.cmdCount("create_mass_withdrawal"); n != 0 {
		t.Errorf("%d mass calls", n)
	}
}
