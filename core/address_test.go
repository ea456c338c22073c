package core

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

// Known-good addresses: published test vectors (the genesis block's address, BIP 173/350, the
// CashAddr spec, EIP-55) and, for other coins, the genesis hash160 under their version bytes and
// prefixes, encoded by an independent (Python) implementation of Base58Check and Bech32.
var goodAddresses = map[string][]string{
	"BTC": {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
		"bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
	"LTC":  {"LUEweDxDA4WhvWiNXXSxjM9CYzHPJv4QQF", "MGv9cSYnaRSTZNzYaN7bhbgmozoGkKBvCn", "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9"},
	"LTCT": {"mpXwg4jMtRhuSpVq4xS3HFHmCmWp9NyGKt", "QVcyVJw6Fs9U6r7Emin9abs4r2rpPhBE1A", "2N2GDNJ4rEm6NxfMC9ck8VuRdheQzXWaNZv", "tltc1qw508d6qejxtdg4y5r3zarvary0c5xw7klfsuq0"},
	"DOGE": {"DEA5vGb2NpAwCiCp5yTE16F3DueQUVivQp", "A1TG3QCihNTvfF67tcng864kBsarnaPyFm"},
	"BCH":  {"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"},
	"ETH": {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
		"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
	"USDT.ERC20": {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
}

func TestKeccak256(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
		"abc":                    "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
		strings.Repeat("a", 200): "", // two blocks: only checks it does not panic
	} {
		got := keccak256([]byte(in))
		if want != "" && hex.EncodeToString(got[:]) != want {
			t.Errorf("keccak256(%q) = %x, want %s", in, got, want)
		}
	}
}

func TestCheckAddressAcceptsRealAddresses(t *testing.T) {
	for coin, list := range goodAddresses {
		for _, a := range list {
			if err := CheckAddress(coin, a); err != nil {
				t.Errorf("%s %s: %v", coin, a, err)
			}
		}
	}
	// coins whose format is not known are not checked
	if err := CheckAddress("XMR", "anything"); err != nil {
		t.Errorf("unknown coin: %v", err)
	}
}

// One character mistyped, or two swapped, anywhere in the address: always caught.
func TestCheckAddressCatchesTypos(t *testing.T) {
	for coin, list := range goodAddresses {
		for _, good := range list {
			lowerETH := (coin == "ETH" || coin == "USDT.ERC20") && strings.ToLower(good) == good
			start := 0
			switch {
			case strings.HasPrefix(good, "bitcoincash:"):
				start = len("bitcoincash:")
			case strings.HasPrefix(good, "0x"):
				start = 2
			}
			for i := start; i < len(good); i++ {
				for _, typo := range typos(good, i) {
					if typo == good || (lowerETH && strings.ToLower(typo) != typo) {
						continue // an all-lowercase ETH address carries no checksum to break
					}
					err := CheckAddress(coin, typo)
					if lowerETH && err == nil && len(typo) == len(good) && isHex(typo[2:]) {
						continue // any 40 lowercase hex digits is some address: nothing can catch it
					}
					if err == nil {
						t.Errorf("%s: %q (a typo of %q) passed", coin, typo, good)
					}
				}
			}
		}
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// typos returns the address with character i replaced by a neighbour in its alphabet, with
// characters i and i+1 swapped, and with character i dropped.
func typos(s string, i int) []string {
	var out []string
	alpha := base58Alphabet
	switch {
	case strings.HasPrefix(s, "0x"):
		alpha = "0123456789abcdefABCDEF"
	case strings.Contains(strings.ToLower(s), "1q") || strings.Contains(strings.ToLower(s), "1p") || strings.HasPrefix(s, "bitcoincash:") || strings.HasPrefix(s, "q"):
		alpha = bech32Charset
		if strings.ToUpper(s) == s {
			alpha = strings.ToUpper(bech32Charset)
		}
	}
	if k := strings.IndexByte(alpha, s[i]); k >= 0 {
		out = append(out, s[:i]+string(alpha[(k+1)%len(alpha)])+s[i+1:])
	}
	if i+1 < len(s) && s[i] != s[i+1] {
		out = append(out, s[:i]+string(s[i+1])+string(s[i])+s[i+2:])
	}
	out = append(out, s[:i]+s[i+1:])
	return out
}

func TestCheckAddressSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ coin, addr, want string }{
		{"BTC", "notanaddress", "wrong length"},
		{"BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum"},
		{"BTC", "LUEweDxDA4WhvWiNXXSxjM9CYzHPJv4QQF", "another coin"},
		{"LTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "another coin"},
		{"BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum"},
		{"BTC", "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "one case"},
		{"ETH", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x"},
		{"ETH", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "EIP-55"},
		{"BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6c", "checksum"},
		{"DOGE", "D0A5vGb2NpAwCiCp5yTE16F3DueQUVivQp", "not in addresses"},
		// a valid address of another coin is named as such, never as "the wrong length"
		{"LTCT", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "is an address of another coin: BTC (LTCT addresses"},
		{"LTC", "tltc1qxz3rsg05v22rw568hdfkahmsp3jvwjgvrz6va5", "is an address of another coin: LTCT (LTC addresses"},
		{"BTC", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "is an address of another coin: Ethereum (BTC addresses"},
	} {
		err := CheckAddress(tc.coin, tc.addr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want it to say %q", tc.coin, tc.addr, err, tc.want)
		}
	}
}

// The sandbox's addresses (its own encoder) pass the client's checker: two readings agree.
func TestSandboxAddressesPassTheCheck(t *testing.T) {
	for _, coin := range []string{"BTC", "LTC", "LTCT", "BCH", "DOGE", "ETH", "USDT.ERC20"} {
		for range 50 {
			a := sandbox.NewAddress(coin)
			if err := CheckAddress(coin, a); err != nil {
				t.Fatalf("%s %s: %v", coin, a, err)
			}
		}
	}
}
