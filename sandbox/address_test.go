package sandbox

import (
	"encoding/hex"
	"testing"
)

// The encoders against published vectors: the genesis block's hash160 as a BTC Base58Check
// address, BIP 173's P2WPKH example, and the CashAddr spec's example.
func TestAddressEncoders(t *testing.T) {
	h, _ := hex.DecodeString("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
	if got := base58Check(0x00, h); got != "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" {
		t.Errorf("base58Check = %s", got)
	}
	p, _ := hex.DecodeString("751e76e8199196d454941c45d1b3a323f1433bd6")
	if got := segwitV0("bc", p); got != "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" {
		t.Errorf("segwitV0 = %s", got)
	}
	c, _ := hex.DecodeString("76a04053bda0a88bda5177b86a15c3b29f559873")
	if got := cashAddrP2PKH(c); got != "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a" {
		t.Errorf("cashAddrP2PKH = %s", got)
	}
	seen := map[string]bool{}
	for _, tk := range sortedTickers() {
		if coinTable[tk].Fiat {
			continue
		}
		a := NewAddress(tk)
		if seen[a] || len(a) < 26 {
			t.Errorf("%s: %s", tk, a)
		}
		seen[a] = true
	}
}
