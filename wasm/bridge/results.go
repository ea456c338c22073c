//go:build js && wasm

package main

import (
	"errors"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/core/statement"
	"github.com/wallexkit/wallexkit/internal/jsonw"
)

// The results of the bridge's functions as JSON, written without encoding/json (which, with
// reflect and fmt behind it, was about a tenth of the gzipped bridge). Each writer gives the
// bytes json.Marshal gives for its type: the members its json tags name, in the same order,
// with the same omissions (results_test.go compares the two on every type, with every field
// set). A field added to one of these types without its line here fails that test.

var errNoEncoder = errors.New("internal error: cannot encode the result")

// encodeResult is json.Marshal(v) for the values the bridge's functions resolve with.
func encodeResult(v any) ([]byte, error) {
	var w jsonw.Writer
	if !writeResult(&w, v) {
		return nil, errNoEncoder
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, errors.New("internal error: cannot encode the result: " + err.Error())
	}
	return b, nil
}

func writeResult(w *jsonw.Writer, v any) bool {
	switch x := v.(type) {
	case configured:
		w.Open('{')
		w.Key("storeKey").String(x.StoreKey)
		w.Close('}')
	case map[string]string:
		w.StringMap(x)
	case []string:
		w.StringList(x)
	case []any:
		if x == nil {
			w.Null()
			break
		}
		w.Open('[')
		for _, it := range x {
			if !writeResult(w.Item(), it) {
				return false
			}
		}
		w.Close(']')
	case *core.BasicInfo:
		w.Open('{')
		w.Key("username").String(x.Username)
		w.Key("merchant_id").String(x.MerchantID)
		w.Key("email").String(x.Email)
		w.Key("public_name").String(x.PublicName)
		w.Close('}')
	case *core.Balances:
		w.Open('{')
		w.Key("coins")
		if x.Coins == nil {
			w.Null()
		} else {
			w.Open('[')
			for _, b := range x.Coins {
				w.Item().Open('{')
				w.Key("coin").String(b.Coin)
				writeAmount(w, "amount", b.Amount)
				w.Close('}')
			}
			w.Close(']')
		}
		w.Close('}')
	case *core.DepositAddress:
		writeAddress(w, x.Currency, x.Address, x.DestTag)
	case *core.CallbackAddress:
		writeAddress(w, x.Currency, x.Address, x.DestTag)
	case *core.Rates:
		w.Open('{')
		w.Key("coins")
		writeRates(w, x.Coins)
		w.Close('}')
	case transactionView:
		t := x.Transaction
		w.Open('{')
		w.Key("txn_id").String(t.TxnID)
		writeAmount(w, "amount", t.Amount)
		w.Key("currency").String(t.Currency)
		w.Key("address").String(t.Address)
		w.Key("confirms_needed").Int(t.ConfirmsNeeded)
		w.Key("checkout_url").String(t.CheckoutURL)
		w.Key("status_url").String(t.StatusURL)
		w.Key("qrcode_url").String(t.QRCodeURL)
		w.Key("timeout").Int(x.Timeout)
		w.Close('}')
	case txInfoView:
		writeTxInfo(w, x)
	case map[string]txInfoItem:
		if x == nil {
			w.Null()
			break
		}
		w.Open('{')
		for _, id := range jsonw.SortedKeys(x) {
			it := x[id]
			w.Key(id).Open('{')
			if it.Info != nil {
				writeTxInfo(w.Key("info"), *it.Info)
			}
			if it.Error != nil {
				writeErrorView(w.Key("error"), it.Error)
			}
			w.Close('}')
		}
		w.Close('}')
	case *core.Transfer:
		w.Open('{')
		w.Key("id").String(x.ID)
		w.Key("status").Int(int64(x.Status))
		w.Close('}')
	case *core.Withdrawal:
		w.Open('{')
		w.Key("id").String(x.ID)
		w.Key("status").Int(int64(x.Status))
		writeAmount(w, "amount", x.Amount)
		w.Close('}')
	case []massItem:
		if x == nil {
			w.Null()
			break
		}
		w.Open('[')
		for _, it := range x {
			w.Item().Open('{')
			w.Key("key").String(it.Key)
			if it.ID != "" {
				w.Key("id").String(it.ID)
			}
			if it.Status != nil {
				w.Key("status").Int(int64(*it.Status))
			}
			if it.Amount != nil {
				writeAmount(w, "amount", *it.Amount)
			}
			if it.Error != nil {
				writeErrorView(w.Key("error"), it.Error)
			}
			w.Close('}')
		}
		w.Close(']')
	case *core.Conversion:
		w.Open('{')
		w.Key("id").String(x.ID)
		w.Close('}')
	case *core.WithdrawalInfo:
		writeWithdrawalInfo(w, x)
	case []core.WithdrawalInfo:
		writeWithdrawalInfos(w, x)
	case reconcileView:
		w.Open('{')
		w.Key("verdict").String(string(x.Verdict))
		w.Key("proven").Bool(x.Proven)
		if x.UntilMs != 0 {
			w.Key("untilMs").Int(x.UntilMs)
		}
		if len(x.Withdrawals) > 0 {
			writeWithdrawalInfos(w.Key("withdrawals"), x.Withdrawals)
		}
		if len(x.TxnIDs) > 0 {
			w.Key("txnIds").StringList(x.TxnIDs)
		}
		w.Key("detail").String(x.Detail)
		w.Close('}')
	case []core.Op:
		if x == nil {
			w.Null()
			break
		}
		w.Open('[')
		for i := range x {
			writeOp(w.Item(), &x[i])
		}
		w.Close(']')
	case payoutFileView:
		writePayoutFile(w, x.File)
	case runView:
		writeRun(w, &x)
	case statementView:
		writeStatement(w, &x)
	case checkResult:
		w.Open('{')
		w.Key("ok").Bool(x.OK)
		if x.Problem != "" {
			w.Key("problem").String(x.Problem)
		}
		w.Close('}')
	case fiatView:
		w.Open('{')
		w.Key("value").String(string(x.Value))
		w.Key("fiat").String(x.Fiat)
		w.Key("approximate").Bool(x.Approximate)
		w.Close('}')
	case ipnView:
		writeIPN(w, &x)
	default:
		return false
	}
	return true
}

func writeAmount(w *jsonw.Writer, key string, a core.Amount) { w.Key(key).String(a.String()) }

func writeAddress(w *jsonw.Writer, currency, address, destTag string) {
	w.Open('{')
	w.Key("currency").String(currency)
	w.Key("address").String(address)
	if destTag != "" {
		w.Key("dest_tag").String(destTag)
	}
	w.Close('}')
}

// writeRates writes core.Rates.Coins.
func writeRates(w *jsonw.Writer, coins []core.Rate) {
	if coins == nil {
		w.Null()
		return
	}
	w.Open('[')
	for i := range coins {
		r := &coins[i]
		w.Item().Open('{')
		w.Key("coin").String(r.Coin)
		w.Key("name").String(r.Name)
		w.Key("is_fiat").Bool(r.IsFiat)
		w.Key("rate_btc").String(string(r.RateBTC))
		w.Key("last_update").Time(r.LastUpdate)
		w.Key("tx_fee").String(string(r.TxFee))
		w.Key("status").String(r.Status)
		w.Key("confirms").Int(r.Confirms)
		w.Key("can_convert").Bool(r.CanConvert)
		w.Key("capabilities").StringList(r.Capabilities)
		w.Key("accepted").Bool(r.Accepted)
		w.Close('}')
	}
	w.Close(']')
}

func writeTxInfo(w *jsonw.Writer, v txInfoView) {
	t := v.TxInfo
	w.Open('{')
	w.Key("txn_id").String(t.TxnID)
	w.Key("time_created").Time(t.TimeCreated)
	w.Key("time_expires").Time(t.TimeExpires)
	w.Key("status").Int(int64(t.Status))
	w.Key("status_text").String(t.StatusText)
	w.Key("type").String(t.Type)
	w.Key("coin").String(t.Coin)
	writeAmount(w, "amount", t.Amount)
	writeAmount(w, "received", t.Received)
	w.Key("recv_confirms").Int(t.RecvConfirms)
	w.Key("payment_address").String(t.PaymentAddress)
	if v.Checkout != "" {
		// JSON as the API sent it (gjson checked it); JSON.parse reads it whatever its spacing.
		w.Key("checkout").Raw(string(v.Checkout))
	}
	w.Close('}')
}

func writeErrorView(w *jsonw.Writer, e *errorView) {
	w.Open('{')
	w.Key("code").String(string(e.Code))
	w.Key("message").String(e.Message)
	w.Key("retryable").Bool(e.Retryable)
	w.Close('}')
}

func writeWithdrawalInfo(w *jsonw.Writer, x *core.WithdrawalInfo) {
	w.Open('{')
	w.Key("id").String(x.ID)
	w.Key("time_created").Time(x.TimeCreated)
	w.Key("status").Int(int64(x.Status))
	w.Key("status_text").String(x.StatusText)
	w.Key("coin").String(x.Coin)
	writeAmount(w, "amount", x.Amount)
	w.Key("send_address").String(x.SendAddress)
	w.Key("send_txid").String(x.SendTxID)
	if x.Note != "" {
		w.Key("note").String(x.Note)
	}
	w.Close('}')
}

func writeWithdrawalInfos(w *jsonw.Writer, x []core.WithdrawalInfo) {
	if x == nil {
		w.Null()
		return
	}
	w.Open('[')
	for i := range x {
		writeWithdrawalInfo(w.Item(), &x[i])
	}
	w.Close(']')
}

// writeOp writes an operation record: to JS (ops()) and to the host's storage (setOp), which
// has always held json.Marshal's form of core.Op.
func writeOp(w *jsonw.Writer, op *core.Op) {
	w.Open('{')
	w.Key("id").String(op.ID)
	w.Key("cmd").String(op.Cmd)
	w.Key("ref").StringMap(op.Ref)
	if op.Nonce != 0 {
		w.Key("nonce").Int(op.Nonce)
	}
	w.Key("sent_at").Time(op.SentAt)
	w.Key("deadline").Time(op.Deadline)
	w.Key("state").String(string(op.State))
	if op.Result != "" {
		w.Key("result").String(op.Result)
	}
	if !op.Until.IsZero() {
		w.Key("until").Time(op.Until)
	}
	if op.Error != "" {
		w.Key("error").String(op.Error)
	}
	if !op.Settled.IsZero() {
		w.Key("settled").Time(op.Settled)
	}
	w.Close('}')
}

// writePayoutRow writes the members of a payout.Row (inside an object the caller opened).
func writePayoutRow(w *jsonw.Writer, r *payout.Row) {
	w.Key("line").Int(int64(r.Line))
	w.Key("key").String(r.Key)
	w.Key("address").String(r.Address)
	w.Key("currency").String(r.Currency)
	writeAmount(w, "amount", r.Amount)
	if r.Memo != "" {
		w.Key("memo").String(r.Memo)
	}
	w.Key("note").String(r.Note)
}

func writeProblems(w *jsonw.Writer, ps []payout.Problem) {
	if ps == nil {
		w.Null()
		return
	}
	w.Open('[')
	for _, p := range ps {
		w.Item().Open('{')
		w.Key("line").Int(int64(p.Line))
		w.Key("message").String(p.Msg)
		w.Close('}')
	}
	w.Close(']')
}

func writePayoutFile(w *jsonw.Writer, f *payout.File) {
	w.Open('{')
	w.Key("name").String(f.Name)
	w.Key("sha256").String(f.Hash)
	w.Key("tag").String(f.Tag)
	w.Key("header").Bool(f.Header)
	w.Key("rows")
	if f.Rows == nil {
		w.Null()
	} else {
		w.Open('[')
		for i := range f.Rows {
			w.Item().Open('{')
			writePayoutRow(w, &f.Rows[i])
			w.Close('}')
		}
		w.Close(']')
	}
	writeProblems(w.Key("problems"), f.Problems)
	writeProblems(w.Key("warnings"), f.Warnings)
	w.Key("totals")
	if f.Totals == nil {
		w.Null()
	} else {
		w.Open('[')
		for _, t := range f.Totals {
			w.Item().Open('{')
			w.Key("currency").String(t.Currency)
			writeAmount(w, "amount", t.Amount)
			w.Key("rows").Int(int64(t.Rows))
			w.Close('}')
		}
		w.Close(']')
	}
	w.Close('}')
}

func writeRun(w *jsonw.Writer, r *runView) {
	w.Open('{')
	if r.Action != "" {
		w.Key("action").String(string(r.Action))
	}
	if len(r.Lines) > 0 {
		w.Key("lines").Open('[')
		for _, n := range r.Lines {
			w.Item().Int(int64(n))
		}
		w.Close(']')
	}
	w.Key("more").Bool(r.More)
	s := &r.Summary
	w.Key("summary").Open('{')
	w.Key("rows").Int(int64(s.Rows))
	w.Key("pending").Int(int64(s.Pending))
	w.Key("sent").Int(int64(s.Sent))
	w.Key("sent_now").Int(int64(s.SentNow))
	w.Key("reconciled").Int(int64(s.Reconciled))
	w.Key("sent_earlier").Int(int64(s.Earlier))
	w.Key("failed").Int(int64(s.Failed))
	w.Key("unknown").Int(int64(s.Unknown))
	w.Key("in_flight").Int(int64(s.InFlight))
	w.Key("ambiguous").Int(int64(s.Ambiguous))
	w.Key("done").Bool(s.Done)
	if s.Stopped != "" {
		w.Key("stopped").String(s.Stopped)
	}
	if !s.WaitUntil.IsZero() {
		w.Key("wait_until").Time(s.WaitUntil)
	}
	w.Key("next").String(s.Next)
	w.Close('}')
	w.Key("rows")
	if r.Rows == nil {
		w.Null()
	} else {
		w.Open('[')
		for i := range r.Rows {
			rs := &r.Rows[i]
			w.Item().Open('{')
			writePayoutRow(w, &rs.Row)
			w.Key("state").String(string(rs.State))
			if rs.ID != "" {
				w.Key("withdrawal_id").String(rs.ID)
			}
			if rs.Error != "" {
				w.Key("error").String(rs.Error)
			}
			if rs.Nonce != 0 {
				w.Key("nonce").Int(rs.Nonce)
			}
			if !rs.SentAt.IsZero() {
				w.Key("sent_at").Time(rs.SentAt)
			}
			if !rs.Deadline.IsZero() {
				w.Key("deadline").Time(rs.Deadline)
			}
			if !rs.Until.IsZero() {
				w.Key("until").Time(rs.Until)
			}
			w.Key("reconciled").Bool(rs.Reconciled)
			w.Key("earlier").Bool(rs.Earlier)
			if rs.Now {
				w.Key("sent_now").Bool(true)
			}
			w.Close('}')
		}
		w.Close(']')
	}
	w.Key("sha256").String(r.SHA256)
	w.Key("resultsCsv").String(r.CSV)
	w.Close('}')
}

// writeEntry writes a payout journal entry as json.Marshal did when the host's storage got it.
func writeEntry(w *jsonw.Writer, e *payout.Entry) {
	w.Open('{')
	if e.V != 0 {
		w.Key("v").Int(int64(e.V))
	}
	if e.File != "" {
		w.Key("file").String(e.File)
	}
	if e.SHA256 != "" {
		w.Key("sha256").String(e.SHA256)
	}
	if e.Rows != 0 {
		w.Key("rows").Int(int64(e.Rows))
	}
	if e.Line != 0 {
		w.Key("line").Int(int64(e.Line))
	}
	if e.State != "" {
		w.Key("state").String(string(e.State))
	}
	if e.ID != "" {
		w.Key("id").String(e.ID)
	}
	if e.Error != "" {
		w.Key("error").String(e.Error)
	}
	if e.Nonce != 0 {
		w.Key("nonce").Int(e.Nonce)
	}
	if !e.SentAt.IsZero() {
		w.Key("sent_at").Time(e.SentAt)
	}
	if !e.Deadline.IsZero() {
		w.Key("deadline").Time(e.Deadline)
	}
	if !e.Until.IsZero() {
		w.Key("until").Time(e.Until)
	}
	if e.Batch != "" {
		w.Key("batch").String(e.Batch)
	}
	if e.Reconciled {
		w.Key("reconciled").Bool(true)
	}
	if e.Scanned {
		w.Key("scanned").Bool(true)
	}
	if !e.At.IsZero() {
		w.Key("at").Time(e.At)
	}
	w.Close('}')
}

// writeDetails writes a statement.Details' members (inside an object the caller opened).
func writeDetails(w *jsonw.Writer, d *statement.Details) {
	for _, m := range [...]struct{ k, v string }{{"invoice", d.Invoice}, {"item_name", d.ItemName},
		{"item_number", d.ItemNumber}, {"custom", d.Custom}, {"buyer_name", d.BuyerName}, {"buyer_email", d.BuyerEmail}} {
		if m.v != "" {
			w.Key(m.k).String(m.v)
		}
	}
	if !d.Price.IsZero() {
		writeAmount(w, "price", d.Price)
	}
	if d.PriceCurrency != "" {
		w.Key("price_currency").String(d.PriceCurrency)
	}
}

func writeStatement(w *jsonw.Writer, s *statementView) {
	w.Open('{')
	w.Key("fromMs").Int(s.FromMs)
	w.Key("toMs").Int(s.ToMs)
	w.Key("rows")
	if s.Rows == nil {
		w.Null()
	} else {
		w.Open('[')
		for i := range s.Rows {
			r := &s.Rows[i]
			w.Item().Open('{')
			w.Key("kind").String(r.Kind)
			w.Key("id").String(r.ID)
			w.Key("time").Time(r.Time)
			w.Key("status").Int(r.Status)
			w.Key("status_text").String(r.StatusText)
			w.Key("state").String(r.State)
			w.Key("coin").String(r.Coin)
			writeAmount(w, "amount", r.Amount)
			if !r.Received.IsZero() {
				writeAmount(w, "received", r.Received)
			}
			w.Key("address").String(r.Address)
			if r.TxID != "" {
				w.Key("txid").String(r.TxID)
			}
			if r.Note != "" {
				w.Key("note").String(r.Note)
			}
			writeDetails(w, &r.Details)
			if !r.FiatValue.IsZero() {
				writeAmount(w, "fiat_value", r.FiatValue)
			}
			if r.FiatCurrency != "" {
				w.Key("fiat_currency").String(r.FiatCurrency)
			}
			w.Key("timeMs").Int(r.TimeMs)
			w.Close('}')
		}
		w.Close(']')
	}
	w.Key("totals")
	if s.Totals == nil {
		w.Null()
	} else {
		w.Open('[')
		for _, t := range s.Totals {
			w.Item().Open('{')
			w.Key("coin").String(t.Coin)
			writeAmount(w, "payments_paid", t.PaymentsPaid)
			w.Key("paid_count").Int(int64(t.PaidCount))
			writeAmount(w, "payouts_sent", t.PayoutsSent)
			w.Key("sent_count").Int(int64(t.SentCount))
			writeAmount(w, "payouts_pending", t.PayoutsPending)
			w.Key("pending_count").Int(int64(t.PendingCount))
			writeAmount(w, "net", t.Net)
			w.Close('}')
		}
		w.Close(']')
	}
	w.Key("prices")
	if s.Prices == nil {
		w.Null()
	} else {
		w.Open('[')
		for _, p := range s.Prices {
			w.Item().Open('{')
			w.Key("currency").String(p.Currency)
			writeAmount(w, "paid", p.Paid)
			w.Key("count").Int(int64(p.Count))
			w.Close('}')
		}
		w.Close(']')
	}
	w.Key("csv").String(s.CSV)
	w.Key("details")
	writeDetailsMap(w, s.Details)
	w.Close('}')
}

func writeDetailsMap(w *jsonw.Writer, m map[string]*statement.Details) {
	if m == nil {
		w.Null()
		return
	}
	w.Open('{')
	for _, id := range jsonw.SortedKeys(m) {
		w.Key(id)
		if d := m[id]; d == nil {
			w.Null()
		} else {
			w.Open('{')
			writeDetails(w, d)
			w.Close('}')
		}
	}
	w.Close('}')
}

func writeIPN(w *jsonw.Writer, v *ipnView) {
	w.Open('{')
	w.Key("ipn_id").String(v.ID)
	w.Key("ipn_type").String(v.Type)
	w.Key("merchant").String(v.Merchant)
	w.Key("status").Int(v.Status)
	w.Key("status_text").String(v.StatusText)
	w.Key("state").String(v.State)
	w.Key("key").String(v.Key)
	w.Key("fields").StringMap(v.Fields)
	if a := v.API; a != nil {
		w.Key("api").Open('{')
		for _, m := range [...]struct{ k, v string }{{"txn_id", a.TxnID}, {"currency1", a.Currency1}, {"currency2", a.Currency2},
			{"amount1", string(a.Amount1)}, {"amount2", string(a.Amount2)}, {"fee", string(a.Fee)}, {"buyer_name", a.BuyerName},
			{"email", a.Email}, {"item_name", a.ItemName}, {"item_number", a.ItemNumber}, {"invoice", a.Invoice},
			{"custom", a.Custom}, {"received_amount", string(a.ReceivedAmount)}} {
			w.Key(m.k).String(m.v)
		}
		w.Key("received_confirms").Int(int64(a.ReceivedConfirms))
		w.Close('}')
	}
	if d := v.Deposit; d != nil {
		w.Key("deposit").Open('{')
		w.Key("deposit_id").String(d.DepositID)
		w.Key("txn_id").String(d.TxnID)
		w.Key("address").String(d.Address)
		w.Key("dest_tag").String(d.DestTag)
		w.Key("currency").String(d.Currency)
		w.Key("confirms").Int(int64(d.Confirms))
		w.Key("amount").String(string(d.Amount))
		w.Key("amounti").Int(d.AmountI)
		w.Key("fee").String(string(d.Fee))
		w.Key("feei").Int(d.FeeI)
		w.Close('}')
	}
	if x := v.Withdrawal; x != nil {
		writeIPNWithdrawal(w.Key("withdrawal"), x)
	}
	w.Close('}')
}

func writeIPNWithdrawal(w *jsonw.Writer, x *ipn.Withdrawal) {
	w.Open('{')
	w.Key("id").String(x.ID)
	w.Key("txn_id").String(x.TxnID)
	w.Key("address").String(x.Address)
	w.Key("currency").String(x.Currency)
	w.Key("amount").String(string(x.Amount))
	w.Key("amounti").Int(x.AmountI)
	w.Close('}')
}
