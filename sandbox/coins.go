package sandbox

import (
	"sort"
	"strconv"
)

// coin is one row of the sandbox's fixed rate table.
type coin struct {
	Ticker     string
	Name       string
	Fiat       bool
	RateBTC    int64 // BTC base units per one whole unit of this coin
	TxFee      int64 // base units
	Confirms   int
	CanConvert bool
	Accepted   bool // accepted for payments by every sandbox merchant
	Caps       []string
}

// coinTable is fixed: rates never move, so tests can compute expected amounts.
// With BTC at 62,500 USD: 1 USD = 0.000016 BTC, 1 EUR = 0.0000175 BTC.
var coinTable = map[string]coin{
	"BTC":        {Ticker: "BTC", Name: "Bitcoin", RateBTC: 100_000_000, TxFee: 10_000, Confirms: 2, CanConvert: true, Accepted: true, Caps: []string{"payments", "wallet", "transfers", "convert"}},
	"LTC":        {Ticker: "LTC", Name: "Litecoin", RateBTC: 125_000, TxFee: 100_000, Confirms: 3, CanConvert: true, Accepted: true, Caps: []string{"payments", "wallet", "transfers", "convert"}},
	"ETH":        {Ticker: "ETH", Name: "Ether", RateBTC: 4_000_000, TxFee: 200_000, Confirms: 12, CanConvert: true, Accepted: true, Caps: []string{"payments", "wallet", "transfers", "convert"}},
	"BCH":        {Ticker: "BCH", Name: "Bitcoin Cash", RateBTC: 600_000, TxFee: 10_000, Confirms: 6, CanConvert: true, Accepted: true, Caps: []string{"payments", "wallet", "transfers", "convert"}},
	"DOGE":       {Ticker: "DOGE", Name: "Dogecoin", RateBTC: 160, TxFee: 100_000_000, Confirms: 6, CanConvert: true, Accepted: true, Caps: []string{"payments", "wallet", "transfers", "convert"}},
	"USDT.ERC20": {Ticker: "USDT.ERC20", Name: "Tether USD (ERC20)", RateBTC: 1_600, TxFee: 500_000_000, Confirms: 12, CanConvert: true, Accepted: true, Caps: []string{"payments", "wallet", "transfers", "convert", "tokens"}},
	"TRX":        {Ticker: "TRX", Name: "TRON", RateBTC: 160, TxFee: 100_000_000, Confirms: 20, CanConvert: true, Accepted: false, Caps: []string{"payments", "wallet", "transfers", "convert"}},
	"LTCT":       {Ticker: "LTCT", Name: "Litecoin Testnet", RateBTC: 125_000, TxFee: 100_000, Confirms: 3, CanConvert: false, Accepted: true, Caps: []string{"payments", "wallet", "transfers"}},
	"USD":        {Ticker: "USD", Name: "United States Dollar", Fiat: true, RateBTC: 1_600, Caps: []string{}},
	"EUR":        {Ticker: "EUR", Name: "Euro", Fiat: true, RateBTC: 1_750, Caps: []string{}},
}

// sortedTickers lists the coin table in a stable order.
func sortedTickers() []string {
	out := make([]string, 0, len(coinTable))
	for t := range coinTable {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func lookupCoin(ticker string) (coin, bool) {
	c, ok := coinTable[ticker]
	return c, ok
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rateEntry renders one row for the rates command.
func (c coin) rateEntry(short bool, lastUpdate int64) map[string]any {
	m := map[string]any{
		"is_fiat":     boolInt(c.Fiat),
		"rate_btc":    formatUnits(c.RateBTC),
		"last_update": strconv.FormatInt(lastUpdate, 10),
		"tx_fee":      formatUnits(c.TxFee),
		"status":      "online",
		"accepted":    boolInt(c.Accepted),
		"can_convert": boolInt(c.CanConvert),
	}
	if !short {
		m["name"] = c.Name
		m["confirms"] = strconv.Itoa(c.Confirms)
		caps := make([]any, len(c.Caps))
		for i, s := range c.Caps {
			caps[i] = s
		}
		m["capabilities"] = caps
	}
	return m
}
