//go:build !(js && wasm)

package core

import (
	"net/netip"
	"net/url"
)

// parseBaseURL reads an API URL with net/url (see strictBaseURL for the WebAssembly builds).
func parseBaseURL(raw string) (baseURL, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return baseURL{}, false
	}
	return baseURL{
		scheme: u.Scheme, host: u.Host, hostname: u.Hostname(), user: u.User != nil,
		query: u.RawQuery != "", fragment: u.Fragment != "",
		redacted: u.Redacted(), text: u.String(),
	}, true
}

// isLoopbackIP reports whether s is a loopback IP address (net/netip; see internal/ipaddr for
// the WebAssembly builds).
func isLoopbackIP(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.IsLoopback()
}
