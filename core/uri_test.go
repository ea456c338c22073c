package core_test

import (
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestPaymentURI(t *testing.T) {
	amt := core.MustParseAmount("0.16")
	for _, c := range []struct{ coin, prefix, kind string }{
		{"BTC", "bitcoin:bc1", core.URIBIP21},
		{"LTC", "litecoin:ltc1", core.URIBIP21},
		{"LTCT", "litecoin:tltc1", core.URIBIP21},
		{"BCH", "bitcoincash:q", core.URIBIP21},
		{"DOGE", "dogecoin:D", core.URIBIP21},
		{"ETH", "ethereum:0x", core.URIEIP681},
		{"USDT.ERC20", "0x", core.URIAddress},
		{"TRX", "T", core.URIAddress},
	} {
		addr := sandbox.TestAddress(c.coin, 1)
		uri, kind, err := core.PaymentURI(c.coin, addr, amt)
		if err != nil || kind != c.kind || !strings.HasPrefix(uri, c.prefix) {
			t.Errorf("%s: %q %q %v", c.coin, uri, kind, err)
			continue
		}
		switch kind {
		case core.URIBIP21:
			if !strings.HasSuffix(uri, "?amount=0.16") || strings.Count(uri, "bitcoincash:") > 1 {
				t.Errorf("%s: %q", c.coin, uri)
			}
		case core.URIEIP681:
			if !strings.HasSuffix(uri, "?value=160000000000000000") { // 0.16 ETH in wei
				t.Errorf("%s: %q", c.coin, uri)
			}
		case core.URIAddress:
			if uri != addr {
				t.Errorf("%s: %q, want the address", c.coin, uri)
			}
		}
	}
	// a legacy BCH address is shown alone; a mistyped address or a zero amount is refused
	if uri, kind, _ := core.PaymentURI("BCH", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", amt); kind != core.URIAddress || uri != "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" {
		t.Errorf("legacy BCH: %q %q", uri, kind)
	}
	bad := []byte(sandbox.TestAddress("BTC", 1))
	bad[len(bad)-1] ^= 1
	if _, _, err := core.PaymentURI("BTC", string(bad), amt); core.CodeOf(err) != core.CodeInvalidInput {
		t.Errorf("typo: %v", err)
	}
	if _, _, err := core.PaymentURI("BTC", sandbox.TestAddress("BTC", 1), core.Amount{}); core.CodeOf(err) != core.CodeInvalidInput {
		t.Errorf("zero amount: %v", err)
	}
}
