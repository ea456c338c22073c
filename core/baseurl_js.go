//go:build js && wasm

package core

import "github.com/wallexkit/wallexkit/internal/ipaddr"

// parseBaseURL reads an API URL without net/url's parser (see strictBaseURL).
func parseBaseURL(raw string) (baseURL, bool) { return strictBaseURL(raw) }

// isLoopbackIP reports whether s is a loopback IP address, as net/netip reads it (ipaddr's tests
// compare the two), without linking net/netip.
func isLoopbackIP(s string) bool {
	ip, ok := ipaddr.Parse(s)
	return ok && ip.IsLoopback()
}
