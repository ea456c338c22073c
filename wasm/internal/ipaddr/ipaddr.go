// Package ipaddr reads IP addresses as net/netip does, for the WebAssembly builds, which leave
// net/netip out (with the unique and weak packages its zones pull in, about 10 KB gzip). It is a
// copy of core/internal/ipaddr (which the gateway cannot import); ipaddr_test.go checks both
// against net/netip, and TestSameAsCore that the two copies are the same.
package ipaddr

import "strings"

// Addr is an IPv4 or IPv6 address.
type Addr struct {
	b    [16]byte // IPv4 in the last 4 bytes
	is4  bool
	zone string
}

// Parse reads s as netip.ParseAddr does (dotted IPv4, IPv6 with an optional embedded IPv4 and
// zone); ok is false where ParseAddr fails.
func Parse(s string) (a Addr, ok bool) {
	if strings.IndexByte(s, ':') < 0 {
		v4, ok := parse4(s)
		if !ok {
			return a, false
		}
		copy(a.b[12:], v4[:])
		a.is4 = true
		return a, true
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if i == len(s)-1 {
			return a, false
		}
		s, a.zone = s[:i], s[i+1:]
	}
	ellipsis := -1
	i := 0
	if strings.HasPrefix(s, "::") {
		ellipsis, s = 0, s[2:]
		if s == "" {
			return a, true
		}
	}
	for i < 16 {
		n, off := 0, 0
		for off < len(s) && off < 4 {
			d := hexval(s[off])
			if d < 0 {
				break
			}
			n = n<<4 | d
			off++
		}
		if off == 0 || (off == 4 && off < len(s) && hexval(s[off]) >= 0) {
			return Addr{}, false
		}
		if off < len(s) && s[off] == '.' {
			if ellipsis < 0 && i != 12 || i+4 > 16 {
				return Addr{}, false
			}
			v4, ok := parse4(s)
			if !ok {
				return Addr{}, false
			}
			copy(a.b[i:], v4[:])
			i += 4
			s = ""
			break
		}
		a.b[i], a.b[i+1] = byte(n>>8), byte(n)
		i += 2
		s = s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return Addr{}, false
		}
		n := 16 - i
		copy(a.b[ellipsis+n:], a.b[ellipsis:i])
		for j := ellipsis; j < ellipsis+n; j++ {
			a.b[j] = 0
		}
	} else if ellipsis >= 0 {
		return Addr{}, false // "::" must stand for at least one group
	}
	return a, true
}

func hexval(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parse4 reads a dotted IPv4 address: four decimal fields of 0-255, no leading zeros.
func parse4(s string) (out [4]byte, ok bool) {
	for f := 0; f < 4; f++ {
		if f > 0 {
			if s == "" || s[0] != '.' {
				return out, false
			}
			s = s[1:]
		}
		n, d := 0, 0
		for d < len(s) && s[d] >= '0' && s[d] <= '9' {
			if d > 0 && n == 0 {
				return out, false // leading zero
			}
			n = n*10 + int(s[d]-'0')
			if n > 255 {
				return out, false
			}
			d++
		}
		if d == 0 {
			return out, false
		}
		out[f] = byte(n)
		s = s[d:]
	}
	return out, s == ""
}

// Is6 reports whether a is an IPv6 address (netip.Addr.Is6: an IPv4-mapped IPv6 one too).
func (a Addr) Is6() bool { return !a.is4 }

// Is4In6 reports whether a is an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
func (a Addr) Is4In6() bool {
	if a.is4 {
		return false
	}
	for _, c := range a.b[:10] {
		if c != 0 {
			return false
		}
	}
	return a.b[10] == 0xff && a.b[11] == 0xff
}

// IsLoopback is netip.Addr.IsLoopback: 127.0.0.0/8 (also IPv4-mapped) or ::1.
func (a Addr) IsLoopback() bool {
	if a.is4 || a.Is4In6() {
		return a.b[12] == 127
	}
	for _, c := range a.b[:15] {
		if c != 0 {
			return false
		}
	}
	return a.b[15] == 1
}

// Unmapped4 is the IPv4 address of an IPv4-mapped one, dotted (netip's Unmap().String()).
func (a Addr) Unmapped4() string {
	var b []byte
	for i, c := range a.b[12:] {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendDec(b, int(c))
	}
	return string(b)
}

// Prefix64 is the /64 of an IPv6 address as netip writes it (Prefix(64).String()): the zone
// dropped, RFC 5952 form.
func (a Addr) Prefix64() string {
	var g [8]uint16
	for i := 0; i < 4; i++ {
		g[i] = uint16(a.b[2*i])<<8 | uint16(a.b[2*i+1])
	}
	// The longest run of two or more zero groups (the first of equal ones) becomes "::".
	best, bestLen := -1, 1
	for i := 0; i < 8; {
		if g[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && g[j] == 0 {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j
	}
	var b []byte
	for i := 0; i < 8; i++ {
		if i == best {
			b = append(b, ':', ':')
			i += bestLen - 1
			continue
		}
		if len(b) > 0 && b[len(b)-1] != ':' {
			b = append(b, ':')
		}
		b = appendHex(b, g[i])
	}
	return string(b) + "/64"
}

func appendDec(b []byte, n int) []byte {
	if n >= 10 {
		b = appendDec(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func appendHex(b []byte, n uint16) []byte {
	const digits = "0123456789abcdef"
	if n >= 16 {
		b = appendHex(b, n>>4)
	}
	return append(b, digits[n&15])
}
