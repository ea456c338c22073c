package gateway

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRequestHeadersListed: every request header the gateway reads is in RequestHeaders, which
// the Worker uses to hand over only those.
func TestRequestHeadersListed(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	read := regexp.MustCompile(`r\.Header\["([a-z0-9-]+)"\]`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(RequestHeaders, m[1]) {
				t.Errorf("%s reads request header %q, which is not in RequestHeaders", f, m[1])
			}
		}
	}
	for _, h := range []string{"cf-connecting-ip", "x-real-ip"} { // clientIP's list
		if !slices.Contains(RequestHeaders, h) {
			t.Errorf("clientIP reads %q, which is not in RequestHeaders", h)
		}
	}
}
