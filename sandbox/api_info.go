package sandbox

import (
	"encoding/json"
	"strings"
)

func (s *Server) cmdBasicInfo(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.accounts[c.merchantID]
	if a == nil {
		return nil, apiError("Account not found")
	}
	return map[string]any{
		"username":    a.Username,
		"merchant_id": a.MerchantID,
		"email":       a.Email,
		"public_name": a.PublicName,
	}, nil
}

func balanceEntry(n int64) map[string]any {
	return map[string]any{"balance": n, "balancef": json.Number(formatUnits(n))}
}

func (s *Server) cmdBalances(c *call) (any, error) {
	all, err := c.flag("all")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.accounts[c.merchantID]
	if a == nil {
		return nil, apiError("Account not found")
	}
	out := map[string]any{}
	for t, n := range a.Balances {
		if n != 0 {
			out[t] = balanceEntry(n)
		}
	}
	if all {
		for t, cn := range coinTable {
			if _, ok := out[t]; !ok && !cn.Fiat {
				out[t] = balanceEntry(0)
			}
		}
	}
	return out, nil
}

// requireCoin reads a required currency field that must name a wallet coin.
func requireCoin(c *call, field string) (coin, error) {
	t := c.get(field)
	if t == "" {
		return coin{}, apiErrorf("Missing required field: %s", field)
	}
	cn, ok := lookupCoin(strings.ToUpper(t))
	if !ok {
		return coin{}, apiErrorf("Unknown currency: %s", t)
	}
	if cn.Fiat {
		return coin{}, apiErrorf("%s is a fiat currency and has no wallet", t)
	}
	return cn, nil
}

// newAddressLocked makes a fresh, unique address in the coin's real format (see NewAddress).
func (s *Server) newAddressLocked(cn coin) string {
	for {
		addr := NewAddress(cn.Ticker)
		if s.st.addresses[addr] == nil {
			return addr
		}
	}
}

func (s *Server) cmdDepositAddress(c *call) (any, error) {
	cn, err := requireCoin(c, "currency")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.accounts[c.merchantID]
	if cur == nil {
		return nil, apiError("Account not found")
	}
	if addr := cur.DepositAddrs[cn.Ticker]; addr != "" {
		return map[string]any{"address": addr}, nil
	}
	a := cur.clone()
	addr := s.newAddressLocked(cn)
	a.DepositAddrs[cn.Ticker] = addr
	rec := &addressRec{Address: addr, MerchantID: a.MerchantID, Coin: cn.Ticker, Kind: "deposit", Created: c.now.Unix()}
	if err := s.commit(put(bAccounts, a.MerchantID, a), put(bAddresses, addr, rec)); err != nil {
		return nil, err
	}
	return map[string]any{"address": addr}, nil
}

func (s *Server) cmdRates(c *call) (any, error) {
	short, err := c.flag("short")
	if err != nil {
		return nil, err
	}
	accepted, err := c.flag("accepted")
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for t, cn := range coinTable {
		if accepted && !cn.Accepted {
			continue
		}
		out[t] = cn.rateEntry(short, c.now.Unix())
	}
	return out, nil
}
