package core

import (
	"context"
	"github.com/wallexkit/wallexkit/internal/order"
	"time"

	"github.com/wallexkit/wallexkit/internal/errtext"
)

// BasicInfo is the answer of get_basic_info.
type BasicInfo struct {
	Username   string    `json:"username"`
	MerchantID string    `json:"merchant_id"`
	Email      string    `json:"email"`
	PublicName string    `json:"public_name"` // may be empty
	Response   *Response `json:"-"`
}

// BasicInfo calls get_basic_info.
func (c *Client) BasicInfo(ctx context.Context) (*BasicInfo, error) {
	res, err := c.Call(ctx, "get_basic_info", nil)
	if err != nil {
		return nil, err
	}
	r := res.Result
	return &BasicInfo{
		Username:   r.Get("username").Text(),
		MerchantID: r.Get("merchant_id").Text(),
		Email:      r.Get("email").Text(),
		PublicName: r.Get("public_name").Text(),
		Response:   res,
	}, nil
}

// Balance is one coin's balance.
type Balance struct {
	Coin   string `json:"coin"`
	Amount Amount `json:"amount"` // exact; from the integer `balance`, else the decimal `balancef`
}

// Balances is the answer of balances, sorted by coin.
type Balances struct {
	Coins    []Balance `json:"coins"`
	Response *Response `json:"-"`
}

// Get returns the balance of coin (zero when absent).
func (b *Balances) Get(coin string) Amount {
	for _, x := range b.Coins {
		if x.Coin == coin {
			return x.Amount
		}
	}
	return Amount{}
}

// BalancesParams are the optional fields of balances.
type BalancesParams struct {
	All   bool   // include coins with a zero balance
	Extra Fields // fields the SDK does not know yet
}

// Balances calls balances.
func (c *Client) Balances(ctx context.Context, p *BalancesParams) (*Balances, error) {
	s := newFieldSet()
	if p != nil {
		if p.All {
			s.f["all"] = "1"
		}
		s.extra(p.Extra)
	}
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "balances", f)
	if err != nil {
		return nil, err
	}
	out, err := DecodeBalances(res.Result)
	if err != nil {
		return nil, &TransportError{Cmd: "balances", HTTPStatus: res.HTTPStatus, Err: err}
	}
	out.Response = res
	return out, nil
}

// DecodeBalances reads a balances result (object keyed by ticker).
func DecodeBalances(r Value) (*Balances, error) {
	out := &Balances{Coins: make([]Balance, 0, 8)}
	var err error
	r.ForEach(func(coin string, v Value) bool {
		var a Amount
		if bv := v.Get("balance"); bv.Exists() {
			a, err = bv.Units()
		} else {
			a, err = v.Get("balancef").Amount()
		}
		if err != nil {
			err = errtext.Prefix("balance of "+coin+": ", err)
			return false
		}
		out.Coins = append(out.Coins, Balance{Coin: coin, Amount: a})
		return true
	})
	if err != nil {
		return nil, err
	}
	order.Slice(len(out.Coins), func(i, j int) bool { return out.Coins[i].Coin < out.Coins[j].Coin }, func(i, j int) { out.Coins[i], out.Coins[j] = out.Coins[j], out.Coins[i] })
	return out, nil
}

// DepositAddress is the answer of get_deposit_address.
type DepositAddress struct {
	Currency string    `json:"currency"`
	Address  string    `json:"address"`
	DestTag  string    `json:"dest_tag,omitempty"`
	Response *Response `json:"-"`
}

// DepositAddress calls get_deposit_address for a coin ticker such as "BTC".
func (c *Client) DepositAddress(ctx context.Context, currency string) (*DepositAddress, error) {
	cur, err := CheckTicker("currency", currency)
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "get_deposit_address", Fields{"currency": cur})
	if err != nil {
		return nil, err
	}
	return &DepositAddress{Currency: cur, Address: res.Result.Get("address").Text(), DestTag: res.Result.Get("dest_tag").Text(), Response: res}, nil
}

// Rate is one coin of the rates answer.
type Rate struct {
	Coin         string    `json:"coin"`
	Name         string    `json:"name"`
	IsFiat       bool      `json:"is_fiat"`
	RateBTC      Decimal   `json:"rate_btc"`
	LastUpdate   time.Time `json:"last_update"`
	TxFee        Decimal   `json:"tx_fee"`
	Status       string    `json:"status"`
	Confirms     int64     `json:"confirms"`
	CanConvert   bool      `json:"can_convert"`
	Capabilities []string  `json:"capabilities"`
	Accepted     bool      `json:"accepted"`
}

// Rates is the answer of rates, sorted by coin.
type Rates struct {
	Coins    []Rate    `json:"coins"`
	Response *Response `json:"-"`
}

// Get returns the rate of coin, or false.
func (r *Rates) Get(coin string) (Rate, bool) {
	for _, x := range r.Coins {
		if x.Coin == coin {
			return x, true
		}
	}
	return Rate{}, false
}

// RatesParams are the optional fields of rates.
type RatesParams struct {
	Short    bool // fewer fields
	Accepted bool // only coins the merchant accepts
	Extra    Fields
}

// Rates calls rates.
func (c *Client) Rates(ctx context.Context, p *RatesParams) (*Rates, error) {
	s := newFieldSet()
	if p != nil {
		if p.Short {
			s.f["short"] = "1"
		}
		if p.Accepted {
			s.f["accepted"] = "1"
		}
		s.extra(p.Extra)
	}
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "rates", f)
	if err != nil {
		return nil, err
	}
	out := &Rates{Response: res}
	res.Result.ForEach(func(coin string, v Value) bool {
		r := Rate{
			Coin:         coin,
			Name:         v.Get("name").Text(),
			IsFiat:       v.Get("is_fiat").Bool(),
			RateBTC:      v.Get("rate_btc").Decimal(),
			TxFee:        v.Get("tx_fee").Decimal(),
			Status:       v.Get("status").Text(),
			Confirms:     v.Get("confirms").IntOr(0),
			CanConvert:   v.Get("can_convert").Bool(),
			Capabilities: v.Get("capabilities").Strings(),
			Accepted:     v.Get("accepted").Bool(),
		}
		if ts := v.Get("last_update").IntOr(0); ts > 0 {
			r.LastUpdate = time.Unix(ts, 0).UTC()
		}
		out.Coins = append(out.Coins, r)
		return true
	})
	order.Slice(len(out.Coins), func(i, j int) bool { return out.Coins[i].Coin < out.Coins[j].Coin }, func(i, j int) { out.Coins[i], out.Coins[j] = out.Coins[j], out.Coins[i] })
	return out, nil
}
