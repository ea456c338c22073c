package gateway

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
)

// The accepted coins (rates accepted=1) are cached per isolate: checkout checks a buyer's coin
// against them before it calls create_transaction, so that a storefront sending coins the
// merchant does not accept cannot spend the key's failure budget (the API throttles a key after
// repeated failed calls, spec §5).
const (
	coinsTTL         = 10 * time.Minute // a list older than this is read again before use
	coinsMissRefresh = 60 * time.Second // a coin missing from the list re-reads it at most this often
)

// coinCache is the isolate's copy of the accepted coins. It is a cache: losing it costs one rates
// call. The mutex is never held across I/O.
type coinCache struct {
	mu      sync.Mutex
	coins   map[string]bool
	fetched time.Time // when coins was read
	tried   time.Time // when a read was last started
}

// coinVerdict is what the cache says about a coin.
type coinVerdict int

const (
	coinUnknown  coinVerdict = iota // no usable list: let the API decide
	coinAccepted                    // in the list
	coinRefused                     // not in a list read recently
)

// check answers from the cache, or says a read is due (refresh) before it can.
func (c *coinCache) check(coin string, now time.Time) (v coinVerdict, refresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	usable := c.coins != nil && now.Sub(c.fetched) < coinsTTL
	switch {
	case usable && c.coins[coin]:
		return coinAccepted, false
	case now.Sub(c.tried) < coinsMissRefresh:
		// A read was started recently (by this or another request): do not start another.
		if usable {
			return coinRefused, false
		}
		return coinUnknown, false
	}
	c.tried = now
	return coinUnknown, true
}

func (c *coinCache) store(coins map[string]bool, now time.Time) {
	c.mu.Lock()
	c.coins, c.fetched = coins, now
	c.mu.Unlock()
}

func (c *coinCache) list() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.coins))
	for k := range c.coins {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// coinAccepted reports whether the merchant accepts coin for payments: from the cache, reading
// rates accepted=1 when the cache is empty, old, or misses the coin (at most once a
// coinsMissRefresh). When the list cannot be read it says coinUnknown and the API decides.
func (g *Gateway) coinAccepted(ctx context.Context, p Platform, c *apiClient, coin string) coinVerdict {
	v, refresh := g.coins.check(coin, g.now())
	if !refresh {
		return v
	}
	res, err := c.Call(ctx, "rates", core.Fields{"short": "1", "accepted": "1"})
	if err != nil {
		p.Log("edge: cannot read the accepted coins: " + err.Error())
		return coinUnknown
	}
	coins := acceptedCoins(res.JSON)
	g.coins.store(coins, g.now())
	if coins[coin] {
		return coinAccepted
	}
	return coinRefused
}

// acceptedCoins reads the coins of a rates answer that a buyer can pay with: not fiat, and not
// marked accepted=0.
func acceptedCoins(body []byte) map[string]bool {
	out := map[string]bool{}
	gjson.GetBytes(body, "result").ForEach(func(k, v gjson.Result) bool {
		if v.Get("is_fiat").Int() == 1 {
			return true
		}
		if a := v.Get("accepted"); a.Exists() && a.Int() == 0 {
			return true
		}
		out[k.String()] = true
		return true
	})
	return out
}
