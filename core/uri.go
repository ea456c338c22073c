package core

import (
	"strconv"
	"strings"
)

// PaymentURI kinds: what a QR code of the URI tells the buyer's wallet.
const (
	URIBIP21   = "bip21"   // scheme:address?amount=… (BTC, LTC and its testnet, BCH, DOGE)
	URIEIP681  = "eip681"  // ethereum:address?value=wei (ETH)
	URIAddress = "address" // the address alone: the coin has no sound payment link here
)

var bip21Schemes = map[string]string{
	"BTC": "bitcoin", "LTC": "litecoin", "LTCT": "litecoin", "BCH": "bitcoincash", "DOGE": "dogecoin",
}

// PaymentURI is what a payment QR code should carry for amount of coin sent to address: a
// BIP-21 URI with the amount for BTC, LTC (and LTCT), BCH and DOGE; an EIP-681 link with the
// value in wei for ETH; the address alone otherwise (tokens such as USDT.ERC20 need their
// contract and decimals, which the API does not give: a wrong token link would send the wrong
// asset). kind is one of URIBIP21, URIEIP681, URIAddress. The amount is exact (never a float)
// and must be positive; the address is checked with CheckAddress first.
func PaymentURI(coin, address string, amount Amount) (uri, kind string, err error) {
	coin = strings.ToUpper(strings.TrimSpace(coin))
	if err := CheckAddress(coin, address); err != nil {
		return "", "", err
	}
	if amount.Sign() <= 0 {
		return "", "", &ValidationError{Field: "amount", Value: amount.Text(), Problem: "must be more than 0"}
	}
	if scheme, ok := bip21Schemes[coin]; ok {
		addr := address
		if coin == "BCH" {
			addr = strings.TrimPrefix(strings.ToLower(address), "bitcoincash:")
			if addr[0] != 'q' && addr[0] != 'p' { // a legacy address: wallets read it as BTC's
				return address, URIAddress, nil
			}
		}
		return scheme + ":" + addr + "?amount=" + amount.Text(), URIBIP21, nil
	}
	if coin == "ETH" {
		// wei = units · 10^10 (1 ETH = 10^18 wei, one unit = 10^-8 ETH)
		return "ethereum:" + address + "?value=" + strconv.FormatInt(amount.Units(), 10) + "0000000000", URIEIP681, nil
	}
	return address, URIAddress, nil
}
