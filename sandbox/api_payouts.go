package sandbox

import (
	"cmp"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Withdrawals, transfers and conversion (spec §7.3) over the ledger.

type wdParams struct {
	coin        coin
	amount      int64
	addTxFee    bool
	address     string
	destTag     string
	ipnURL      string
	note        string
	autoConfirm bool
}

// parseWithdrawal reads create_withdrawal fields (also used per mass item).
func parseWithdrawal(c *call) (wdParams, error) {
	var p wdParams
	var err error
	if p.coin, err = requireCoin(c, "currency"); err != nil {
		return p, err
	}
	raw, err := requiredField(c, "amount")
	if err != nil {
		return p, err
	}
	in, err := parsePositive("amount", raw)
	if err != nil {
		return p, err
	}
	p.amount = in
	cur2, has2, err := anyCoinField(c, "currency2", false)
	if err != nil {
		return p, err
	}
	if has2 && cur2.Ticker != p.coin.Ticker {
		// amount is priced in currency2 and paid out in currency.
		if p.amount, err = convertUnits(in, cur2.RateBTC, p.coin.RateBTC, false); err != nil {
			return p, apiErrorf("Invalid amount: %v", err)
		}
		if p.amount == 0 {
			return p, apiErrorf("Invalid amount: too small once converted to %s", p.coin.Ticker)
		}
	}
	if p.addTxFee, err = c.flag("add_tx_fee"); err != nil {
		return p, err
	}
	addr, tag := c.get("address"), c.get("pbntag")
	switch {
	case addr != "" && tag != "":
		return p, apiError("Give either address or pbntag, not both")
	case addr == "" && tag == "":
		return p, apiError("Missing required field: address (or pbntag)")
	case tag != "":
		if !validAddress(tag) || len(tag) > 64 {
			return p, apiError("Invalid pbntag")
		}
		p.address = "pbntag:" + tag
	default:
		if !validAddress(addr) {
			return p, apiError("Invalid address: must be 1-128 printable characters without spaces")
		}
		p.address = addr
	}
	if p.destTag, err = textField(c, "dest_tag", 64); err != nil {
		return p, err
	}
	if p.ipnURL, err = urlField(c, "ipn_url"); err != nil {
		return p, err
	}
	if p.note, err = textField(c, "note", 255); err != nil {
		return p, err
	}
	if p.autoConfirm, err = c.flag("auto_confirm"); err != nil {
		return p, err
	}
	if !p.addTxFee && p.amount <= p.coin.TxFee {
		return p, apiErrorf("Invalid amount: must be greater than the %s network fee (%s)", p.coin.Ticker, formatUnits(p.coin.TxFee))
	}
	return p, nil
}

func (s *Server) cmdCreateWithdrawal(c *call) (any, error) {
	p, err := parseWithdrawal(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := s.createWithdrawalLocked(c.merchantID, p, c.now)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": w.ID, "status": w.Status, "amount": formatUnits(w.Amount)}, nil
}

// MaxMassWithdrawal is the most payouts one create_mass_withdrawal takes.
const MaxMassWithdrawal = 100

var massFields = map[string]bool{"amount": true, "currency": true, "address": true, "pbntag": true, "dest_tag": true,
	"currency2": true, "note": true, "add_tx_fee": true, "ipn_url": true}

func (s *Server) cmdMassWithdrawal(c *call) (any, error) {
	items := map[string]url.Values{}
	for name, vals := range c.form {
		if !strings.HasPrefix(name, "wd[") {
			continue
		}
		rest := strings.TrimPrefix(name, "wd[")
		key, rest, ok1 := strings.Cut(rest, "][")
		field, tail, ok2 := strings.Cut(rest, "]")
		if !ok1 || !ok2 || tail != "" || key == "" || strings.ContainsAny(key, "[]") {
			return nil, apiErrorf("Malformed field name %q: use wd[KEY][field]", name)
		}
		if !massFields[field] {
			return nil, apiErrorf("Unknown field %q in %s", field, name)
		}
		if items[key] == nil {
			items[key] = url.Values{}
		}
		items[key][field] = vals
	}
	if len(items) == 0 {
		return nil, apiError("No withdrawals given: send wd[KEY][amount], wd[KEY][currency] and wd[KEY][address]")
	}
	if len(items) > MaxMassWithdrawal {
		return nil, apiErrorf("Too many withdrawals: at most %d per call", MaxMassWithdrawal)
	}
	autoConfirm, err := c.flag("auto_confirm")
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]any{}
	for _, k := range keys {
		item := items[k]
		if autoConfirm {
			item.Set("auto_confirm", "1")
		}
		ic := &call{form: item, key: c.key, merchantID: c.merchantID, origin: c.origin, now: c.now}
		p, err := parseWithdrawal(ic)
		if err == nil {
			s.mu.Lock()
			var w *withdrawalRec
			w, err = s.createWithdrawalLocked(c.merchantID, p, c.now)
			s.mu.Unlock()
			if err == nil {
				out[k] = map[string]any{"error": "ok", "id": w.ID, "status": w.Status, "amount": formatUnits(w.Amount)}
				continue
			}
		}
		ae, ok := err.(apiError)
		if !ok {
			return nil, err
		}
		out[k] = map[string]any{"error": string(ae)}
	}
	return out, nil
}

func (s *Server) cmdCreateTransfer(c *call) (any, error) {
	cn, err := requireCoin(c, "currency")
	if err != nil {
		return nil, err
	}
	amount, err := amountField(c, "amount")
	if err != nil {
		return nil, err
	}
	autoConfirm, err := c.flag("auto_confirm")
	if err != nil {
		return nil, err
	}
	to, toAddr := c.get("merchant"), c.get("toaddress")
	if (to == "") == (toAddr == "") {
		return nil, apiError("Give exactly one of merchant or toaddress")
	}
	if toAddr != "" && !validAddress(toAddr) {
		return nil, apiError("Invalid toaddress")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if toAddr != "" {
		rec := s.st.addresses[toAddr]
		if rec == nil || rec.Kind == "payment" {
			// Not a sandbox wallet address: the transfer becomes a withdrawal.
			p := wdParams{coin: cn, amount: amount, address: toAddr, autoConfirm: autoConfirm}
			w, err := s.createWithdrawalLocked(c.merchantID, p, c.now)
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": w.ID, "status": min(w.Status, 1)}, nil
		}
		if rec.Coin != cn.Ticker {
			return nil, apiErrorf("Invalid toaddress: it is a %s address, not %s", rec.Coin, cn.Ticker)
		}
		to = rec.MerchantID
	}
	if to == c.merchantID {
		return nil, apiError("Cannot transfer to yourself")
	}
	target := s.st.accounts[to]
	if target == nil {
		return nil, apiErrorf("Unknown merchant: %s", to)
	}
	cur := s.st.accounts[c.merchantID]
	if cur == nil {
		return nil, apiError("Account not found")
	}
	if have := cur.Balances[cn.Ticker]; have < amount {
		return nil, insufficient(cn, have, amount)
	}
	from := cur.clone()
	from.Balances[cn.Ticker] -= amount
	seq, seqChange := s.nextSeq()
	w := &withdrawalRec{ID: s.newWithdrawalIDLocked(), MerchantID: c.merchantID, Kind: "transfer", Seq: seq, Created: c.now.Unix(),
		Status: WithdrawalAwaitingConfirm, Coin: cn.Ticker, Amount: amount, Debited: amount, ToMerchant: to, Address: toAddr}
	changes := []change{put(bAccounts, from.MerchantID, from), put(bWithdrawals, w.ID, w), seqChange}
	if autoConfirm {
		t := target.clone()
		if t.Balances[cn.Ticker], err = addUnits(t.Balances[cn.Ticker], amount); err != nil {
			return nil, apiError("Invalid amount: balance overflow")
		}
		w.Status = WithdrawalComplete
		changes = append(changes, put(bAccounts, t.MerchantID, t))
	}
	if err := s.commit(changes...); err != nil {
		return nil, err
	}
	// create_transfer reports 0 = awaiting email confirmation, 1 = created.
	return map[string]any{"id": w.ID, "status": boolInt(autoConfirm)}, nil
}

func (s *Server) cmdConvert(c *call) (any, error) {
	amount, err := amountField(c, "amount")
	if err != nil {
		return nil, err
	}
	from, err := requireCoin(c, "from")
	if err != nil {
		return nil, err
	}
	to, err := requireCoin(c, "to")
	if err != nil {
		return nil, err
	}
	if from.Ticker == to.Ticker {
		return nil, apiError("Invalid to: must differ from from")
	}
	for _, cn := range []coin{from, to} {
		if !cn.CanConvert {
			return nil, apiErrorf("%s cannot be converted", cn.Ticker)
		}
	}
	got, err := convertUnits(amount, from.RateBTC, to.RateBTC, false)
	if err != nil || got == 0 {
		return nil, apiErrorf("Invalid amount: too small to convert to %s", to.Ticker)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.st.accounts[c.merchantID]
	if cur == nil {
		return nil, apiError("Account not found")
	}
	if have := cur.Balances[from.Ticker]; have < amount {
		return nil, insufficient(from, have, amount)
	}
	a := cur.clone()
	a.Balances[from.Ticker] -= amount
	if a.Balances[to.Ticker], err = addUnits(a.Balances[to.Ticker], got); err != nil {
		return nil, apiError("Invalid amount: balance overflow")
	}
	seq, seqChange := s.nextSeq()
	conv := &conversionRec{ID: strconv.FormatUint(60000+seq, 10), MerchantID: c.merchantID, Created: c.now.Unix(),
		From: from.Ticker, To: to.Ticker, AmountFrom: amount, AmountTo: got}
	if err := s.commit(put(bAccounts, a.MerchantID, a), put(bConversions, conv.ID, conv), seqChange); err != nil {
		return nil, err
	}
	return conv.ID, nil
}

func (s *Server) cmdConversionInfo(c *call) (any, error) {
	id, err := requiredField(c, "id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := s.st.conversions[id]
	if conv == nil || conv.MerchantID != c.merchantID {
		return nil, apiError("Conversion not found")
	}
	return map[string]any{
		"time_created": conv.Created,
		"status":       WithdrawalComplete,
		"status_text":  "Complete",
		"coin1":        conv.From,
		"coin2":        conv.To,
		"amount_sent":  conv.AmountFrom,
		"amount_sentf": formatUnits(conv.AmountFrom),
		"received":     conv.AmountTo,
		"receivedf":    formatUnits(conv.AmountTo),
	}, nil
}

func withdrawalInfo(w *withdrawalRec) map[string]any {
	return map[string]any{
		"time_created": w.Created,
		"status":       w.Status,
		"status_text":  withdrawalStatusText(w.Status),
		"coin":         w.Coin,
		"amount":       w.Amount,
		"amountf":      formatUnits(w.Amount),
		"send_address": w.Address,
		"send_txid":    w.SendTxID,
		"note":         w.Note,
	}
}

func (s *Server) cmdWithdrawalHistory(c *call) (any, error) {
	limit, start, newer, err := listParams(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	var list []*withdrawalRec
	for _, w := range s.st.withdrawals {
		if w.MerchantID == c.merchantID && w.Created >= newer {
			list = append(list, w)
		}
	}
	slices.SortFunc(list, func(a, b *withdrawalRec) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(b.Seq, a.Seq))
	})
	out := []any{}
	for _, w := range page(list, limit, start) {
		m := withdrawalInfo(w)
		m["id"] = w.ID
		out = append(out, m)
	}
	s.mu.Unlock()
	return out, nil
}

func (s *Server) cmdWithdrawalInfo(c *call) (any, error) {
	id, err := requiredField(c, "id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.st.withdrawals[id]
	if w == nil || w.MerchantID != c.merchantID {
		return nil, apiError("Withdrawal not found")
	}
	return withdrawalInfo(w), nil
}
