package ipaddr

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

var corpus = []string{
	"127.0.0.1", "127.1.2.3", "128.0.0.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "1.2.3.4.5",
	"1.2.3.4 ", "", "::", "::1", "::2", "0:0:0:0:0:0:0:1", "0000:0000::0001", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
	"::ffff:7f00:1", "2001:db8::1", "2001:DB8:0:0:1:0:0:1", "2001:db8:85a3:0:0:8a2e:370:7334", "fe80::1%eth0",
	"fe80::1%", "::1%lo", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":1", "1:",
	"12345::1", "g::1", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "0:0::0:1",
	"2001:db8:0:0:0:0:2:1", "2001:0:0:1::1", "0:0:1:0:0:0:0:0", "1:0:0:2:0:0:0:3", "a:b:c:d::", "[::1]", "localhost",
	"::ffff:1.2.3.4%x", "00000::1", "0001::1", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3::5:6:7:8",
}

func TestSameAsNetip(t *testing.T) {
	for _, s := range corpus {
		n, err := netip.ParseAddr(s)
		a, ok := Parse(s)
		if ok != (err == nil) {
			t.Errorf("%q: ok %v, netip err %v", s, ok, err)
			continue
		}
		if !ok {
			continue
		}
		if a.Is6() != n.Is6() || a.Is4In6() != n.Is4In6() || a.IsLoopback() != n.IsLoopback() {
			t.Errorf("%q: Is6 %v/%v Is4In6 %v/%v IsLoopback %v/%v", s, a.Is6(), n.Is6(), a.Is4In6(), n.Is4In6(), a.IsLoopback(), n.IsLoopback())
		}
		if a.Is4In6() && a.Unmapped4() != n.Unmap().String() {
			t.Errorf("%q: unmapped %q, netip %q", s, a.Unmapped4(), n.Unmap().String())
		}
		if a.Is6() && !a.Is4In6() {
			p, err := n.Prefix(64)
			if err == nil && a.Prefix64() != p.String() {
				t.Errorf("%q: /64 %q, netip %q", s, a.Prefix64(), p.String())
			}
		}
	}
}

func FuzzSameAsNetip(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := netip.ParseAddr(s)
		a, ok := Parse(s)
		if ok != (err == nil) {
			t.Fatalf("%q: ok %v, netip err %v", s, ok, err)
		}
		if ok && (a.IsLoopback() != n.IsLoopback() || a.Is4In6() != n.Is4In6()) {
			t.Fatalf("%q differs", s)
		}
		if ok && a.Is6() && !a.Is4In6() {
			if p, err := n.Prefix(64); err == nil && a.Prefix64() != p.String() {
				t.Fatalf("%q: /64 %q, netip %q", s, a.Prefix64(), p.String())
			}
		}
	})
}

// TestSameAsCore keeps this copy equal to core/internal/ipaddr, below the package comment.
func TestSameAsCore(t *testing.T) {
	body := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		return s[strings.Index(s, "package ipaddr"):]
	}
	if body("ipaddr.go") != body("../../../core/internal/ipaddr/ipaddr.go") {
		t.Fatal("wasm/internal/ipaddr/ipaddr.go differs from core/internal/ipaddr/ipaddr.go: copy it again")
	}
}
