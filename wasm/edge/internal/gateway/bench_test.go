package gateway

import (
	"context"
	"testing"
)

// BenchmarkCallBasicInfo is one POST /v1/call/get_basic_info with a cached token, the gateway's
// own work around the upstream call (the fake platform answers at once).
func BenchmarkCallBasicInfo(b *testing.B) {
	g, f := newGateway(&testing.T{}, map[string]string{EnvNonce: "0"})
	r := req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, "")
	if res := g.Handle(context.Background(), f, r); res.Status != 200 {
		b.Fatalf("status %d: %s", res.Status, res.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, "")
		if res := g.Handle(context.Background(), f, r); res.Status != 200 {
			b.Fatalf("status %d", res.Status)
		}
	}
}
