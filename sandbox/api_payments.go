package sandbox

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Receiving payments (spec §7.2): create_transaction, get_callback_address,
// get_tx_info, get_tx_info_multi, get_tx_ids, plus the admin side that plays
// the buyer (PayTransaction, ExpireTransaction, Deposit).

// txTimeout is how long a buyer has to pay a created transaction.
const txTimeout = 2 * time.Hour

func (s *Server) cmdCreateTransaction(c *call) (any, error) {
	amount1, err := amountField(c, "amount")
	if err != nil {
		return nil, err
	}
	cur1, _, err := anyCoinField(c, "currency1", true)
	if err != nil {
		return nil, err
	}
	cur2, _, err := anyCoinField(c, "currency2", true)
	if err != nil {
		return nil, err
	}
	if cur2.Fiat {
		return nil, apiErrorf("Invalid currency2: %s is fiat; currency2 is the coin the buyer pays with", cur2.Ticker)
	}
	if !cur2.Accepted {
		return nil, apiErrorf("Invalid currency2: %s is not accepted by this merchant", cur2.Ticker)
	}
	email, err := requiredField(c, "buyer_email")
	if err != nil {
		return nil, err
	}
	if !validEmail(email) {
		return nil, apiError("Invalid buyer_email: must be an email address")
	}
	tx := &txRec{
		MerchantID:     c.merchantID,
		Created:        c.now.Unix(),
		Expires:        c.now.Add(txTimeout).Unix(),
		Status:         PaymentWaiting,
		Currency1:      cur1.Ticker,
		Currency2:      cur2.Ticker,
		Amount1:        amount1,
		ConfirmsNeeded: cur2.Confirms,
		Timeout:        int(txTimeout / time.Second),
		BuyerEmail:     email,
	}
	texts := []struct {
		field string
		max   int
		dst   *string
	}{
		{"buyer_name", 255, &tx.BuyerName},
		{"item_name", 255, &tx.ItemName},
		{"item_number", 128, &tx.ItemNumber},
		{"invoice", 128, &tx.Invoice},
		{"custom", 128, &tx.Custom},
	}
	for _, t := range texts {
		if *t.dst, err = textField(c, t.field, t.max); err != nil {
			return nil, err
		}
	}
	for _, u := range []struct {
		field string
		dst   *string
	}{{"ipn_url", &tx.IPNURL}, {"success_url", &tx.SuccessURL}, {"cancel_url", &tx.CancelURL}} {
		if *u.dst, err = urlField(c, u.field); err != nil {
			return nil, err
		}
	}
	if a := c.get("address"); a != "" {
		if !validAddress(a) {
			return nil, apiError("Invalid address: not a valid payout address")
		}
		tx.PayoutAddress = a
	}
	tx.Amount2, err = convertUnits(amount1, cur1.RateBTC, cur2.RateBTC, true)
	if err != nil {
		return nil, apiErrorf("Invalid amount: %v", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.st.accounts[c.merchantID]
	if acct == nil {
		return nil, apiError("Account not found")
	}
	for {
		tx.TxnID = randID("CPSB", 20)
		if s.st.txs[tx.TxnID] == nil {
			break
		}
	}
	tx.Address = s.newAddressLocked(cur2)
	seq, seqChange := s.nextSeq()
	tx.Seq = seq
	addr := &addressRec{Address: tx.Address, MerchantID: c.merchantID, Coin: cur2.Ticker, Kind: "payment", TxnID: tx.TxnID, Created: tx.Created}
	if err := s.commit(put(bTxs, tx.TxnID, tx), put(bAddresses, tx.Address, addr), seqChange); err != nil {
		return nil, err
	}
	s.queueTxIPNLocked(tx)
	id := url.PathEscape(tx.TxnID)
	return map[string]any{
		"amount":          formatUnits(tx.Amount2),
		"txn_id":          tx.TxnID,
		"address":         tx.Address,
		"confirms_needed": strconv.Itoa(tx.ConfirmsNeeded),
		"timeout":         tx.Timeout,
		"checkout_url":    c.origin + "/checkout/" + id,
		"status_url":      c.origin + "/status/" + id,
		"qrcode_url":      c.origin + "/qrcode/" + id,
	}, nil
}

func txInfo(tx *txRec, full bool) map[string]any {
	m := map[string]any{
		"time_created":    tx.Created,
		"time_expires":    tx.Expires,
		"status":          tx.Status,
		"status_text":     paymentStatusText(tx.Status),
		"type":            "coins",
		"coin":            tx.Currency2,
		"amount":          tx.Amount2,
		"amountf":         formatUnits(tx.Amount2),
		"received":        tx.Received,
		"receivedf":       formatUnits(tx.Received),
		"recv_confirms":   tx.RecvConfirms,
		"payment_address": tx.Address,
	}
	if full {
		m["checkout"] = map[string]any{
			"currency":    tx.Currency1,
			"amount":      tx.Amount1,
			"amountf":     formatUnits(tx.Amount1),
			"item_name":   tx.ItemName,
			"item_number": tx.ItemNumber,
			"invoice":     tx.Invoice,
			"custom":      tx.Custom,
			"buyer_name":  tx.BuyerName,
			"buyer_email": tx.BuyerEmail,
			"ipn_url":     tx.IPNURL,
			"success_url": tx.SuccessURL,
			"cancel_url":  tx.CancelURL,
		}
	}
	return m
}

func (s *Server) cmdTxInfo(c *call) (any, error) {
	id, err := requiredField(c, "txid")
	if err != nil {
		return nil, err
	}
	full, err := c.flag("full")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.lookupTxLocked(c.merchantID, id, c.now)
	if err != nil {
		return nil, err
	}
	return txInfo(tx, full), nil
}

// MaxTxInfoMulti is the most ids get_tx_info_multi accepts.
const MaxTxInfoMulti = 25

func (s *Server) cmdTxInfoMulti(c *call) (any, error) {
	raw, err := requiredField(c, "txid")
	if err != nil {
		return nil, err
	}
	ids := strings.Split(raw, "|")
	if len(ids) > MaxTxInfoMulti {
		return nil, apiErrorf("Too many transaction IDs: at most %d", MaxTxInfoMulti)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{}
	for _, id := range ids {
		if id == "" {
			return nil, apiError("Invalid txid: empty transaction ID in the list")
		}
		tx, err := s.lookupTxLocked(c.merchantID, id, c.now)
		if err != nil {
			if ae, ok := err.(apiError); ok {
				out[id] = map[string]any{"error": string(ae)}
				continue
			}
			return nil, err
		}
		info := txInfo(tx, false)
		info["error"] = "ok"
		out[id] = info
	}
	return out, nil
}

// listParams reads limit (1-100, default 25), start and newer.
func listParams(c *call) (limit, start, newer int64, err error) {
	if limit, err = intField(c, "limit", 25, 1, 100); err != nil {
		return
	}
	if start, err = intField(c, "start", 0, 0, 1<<40); err != nil {
		return
	}
	newer, err = intField(c, "newer", 0, 0, 1<<40)
	return
}

func (s *Server) cmdTxIDs(c *call) (any, error) {
	limit, start, newer, err := listParams(c)
	if err != nil {
		return nil, err
	}
	if _, err := c.flag("all"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var list []*txRec
	for _, tx := range s.st.txs {
		if tx.MerchantID == c.merchantID && tx.Created >= newer {
			list = append(list, tx)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b *txRec) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), cmp.Compare(b.Seq, a.Seq))
	})
	out := []any{}
	for _, tx := range page(list, limit, start) {
		out = append(out, tx.TxnID)
	}
	return out, nil
}

func (s *Server) cmdCallbackAddress(c *call) (any, error) {
	cn, err := requireCoin(c, "currency")
	if err != nil {
		return nil, err
	}
	ipnURL, err := urlField(c, "ipn_url")
	if err != nil {
		return nil, err
	}
	label, err := textField(c, "label", 128)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.accounts[c.merchantID] == nil {
		return nil, apiError("Account not found")
	}
	addr := s.newAddressLocked(cn)
	rec := &addressRec{Address: addr, MerchantID: c.merchantID, Coin: cn.Ticker, Kind: "callback", IPNURL: ipnURL, Label: label, Created: c.now.Unix()}
	if err := s.commit(put(bAddresses, addr, rec)); err != nil {
		return nil, err
	}
	return map[string]any{"address": addr}, nil
}
