//go:build js && wasm

package main

import (
	"errors"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn/ipnwire"
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
		w.KeyString("storeKey", x.StoreKey)
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
		w.KeyString("username", x.Username)
		w.KeyString("merchant_id", x.MerchantID)
		w.KeyString("email", x.Email)
		w.KeyString("public_name", x.PublicName)
		w.Close('}')
	case *core.Balances:
		w.Open('{')
		jsonw.Array(w.Key("coins"), x.Coins, func(w *jsonw.Writer, b *core.Balance) {
			w.Open('{')
			w.KeyString("coin", b.Coin)
			writeAmount(w, "amount", b.Amount)
			w.Close('}')
		})
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
		w.KeyString("txn_id", t.TxnID)
		writeAmount(w, "amount", t.Amount)
		w.KeyString("currency", t.Currency)
		w.KeyString("address", t.Address)
		w.KeyInt("confirms_needed", t.ConfirmsNeeded)
		w.KeyString("checkout_url", t.CheckoutURL)
		w.KeyString("status_url", t.StatusURL)
		w.KeyString("qrcode_url", t.QRCodeURL)
		w.KeyInt("timeout", x.Timeout)
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
		w.KeyString("id", x.ID)
		w.KeyInt("status", int64(x.Status))
		w.Close('}')
	case *core.Withdrawal:
		w.Open('{')
		w.KeyString("id", x.ID)
		w.KeyInt("status", int64(x.Status))
		writeAmount(w, "amount", x.Amount)
		w.Close('}')
	case []massItem:
		jsonw.Array(w, x, func(w *jsonw.Writer, it *massItem) {
			w.Open('{')
			w.KeyString("key", it.Key)
			w.StringOmitEmpty("id", it.ID)
			if it.Status != nil {
				w.KeyInt("status", int64(*it.Status))
			}
			if it.Amount != nil {
				writeAmount(w, "amount", *it.Amount)
			}
			if it.Error != nil {
				writeErrorView(w.Key("error"), it.Error)
			}
			w.Close('}')
		})
	case *core.Conversion:
		w.Open('{')
		w.KeyString("id", x.ID)
		w.Close('}')
	case *core.WithdrawalInfo:
		writeWithdrawalInfo(w, x)
	case []core.WithdrawalInfo:
		writeWithdrawalInfos(w, x)
	case reconcileView:
		w.Open('{')
		w.KeyString("verdict", string(x.Verdict))
		w.KeyBool("proven", x.Proven)
		w.IntOmitEmpty("untilMs", x.UntilMs)
		w.IntOmitEmpty("assumedSentAtMs", x.AssumedSentAtMs)
		if len(x.Withdrawals) > 0 {
			writeWithdrawalInfos(w.Key("withdrawals"), x.Withdrawals)
		}
		if len(x.TxnIDs) > 0 {
			w.Key("txnIds").StringList(x.TxnIDs)
		}
		w.KeyString("detail", x.Detail)
		if x.NoRecord {
			w.KeyBool("noRecord", true)
		}
		w.Close('}')
	case []core.Op:
		jsonw.Array(w, x, writeOp)
	case payoutFileView:
		writePayoutFile(w, x.File)
	case runView:
		writeRun(w, &x)
	case statementView:
		writeStatement(w, &x)
	case checkResult:
		w.Open('{')
		w.KeyBool("ok", x.OK)
		w.StringOmitEmpty("problem", x.Problem)
		w.Close('}')
	case core.WithdrawalSplit:
		w.Open('{')
		for _, m := range [...]struct {
			k string
			a *core.Amount
		}{{"debited", x.Debited}, {"fee", x.Fee}, {"received", x.Received}} {
			if m.a != nil {
				writeAmount(w, m.k, *m.a)
			}
		}
		w.Close('}')
	case fiatView:
		w.Open('{')
		w.KeyString("value", string(x.Value))
		w.KeyString("fiat", x.Fiat)
		w.KeyBool("approximate", x.Approximate)
		w.Close('}')
	case ipnView:
		writeIPN(w, &x)
	default:
		return false
	}
	return true
}

func writeAmount(w *jsonw.Writer, key string, a core.Amount) { w.KeyString(key, a.String()) }

func writeAddress(w *jsonw.Writer, currency, address, destTag string) {
	w.Open('{')
	w.KeyString("currency", currency)
	w.KeyString("address", address)
	w.StringOmitEmpty("dest_tag", destTag)
	w.Close('}')
}

// writeRates writes core.Rates.Coins.
func writeRates(w *jsonw.Writer, coins []core.Rate) {
	jsonw.Array(w, coins, func(w *jsonw.Writer, r *core.Rate) {
		w.Open('{')
		w.KeyString("coin", r.Coin)
		w.KeyString("name", r.Name)
		w.KeyBool("is_fiat", r.IsFiat)
		w.KeyString("rate_btc", string(r.RateBTC))
		w.KeyTime("last_update", r.LastUpdate)
		w.KeyString("tx_fee", string(r.TxFee))
		w.KeyString("status", r.Status)
		w.KeyInt("confirms", r.Confirms)
		w.KeyBool("can_convert", r.CanConvert)
		w.Key("capabilities").StringList(r.Capabilities)
		w.KeyBool("accepted", r.Accepted)
		w.Close('}')
	})
}

func writeTxInfo(w *jsonw.Writer, v txInfoView) {
	t := v.TxInfo
	w.Open('{')
	w.KeyString("txn_id", t.TxnID)
	w.KeyTime("time_created", t.TimeCreated)
	w.KeyTime("time_expires", t.TimeExpires)
	w.KeyInt("status", int64(t.Status))
	w.KeyString("status_text", t.StatusText)
	w.KeyString("type", t.Type)
	w.KeyString("coin", t.Coin)
	writeAmount(w, "amount", t.Amount)
	writeAmount(w, "received", t.Received)
	w.KeyInt("recv_confirms", t.RecvConfirms)
	w.KeyString("payment_address", t.PaymentAddress)
	if v.Checkout != "" {
		// JSON as the API sent it (gjson checked it); JSON.parse reads it whatever its spacing.
		w.Key("checkout").Raw(string(v.Checkout))
	}
	w.Close('}')
}

func writeErrorView(w *jsonw.Writer, e *errorView) {
	w.Open('{')
	w.KeyString("code", string(e.Code))
	w.KeyString("message", e.Message)
	w.KeyBool("retryable", e.Retryable)
	w.StringOmitEmpty("cmd", e.Cmd)
	if len(e.Ref) > 0 {
		w.Key("ref").StringMap(e.Ref)
	}
	w.StringOmitEmpty("opId", e.OpID)
	w.IntOmitEmpty("nonce", e.Nonce)
	w.IntOmitEmpty("sentAtMs", e.SentAtMs)
	w.IntOmitEmpty("deadlineMs", e.DeadlineMs)
	w.StringOmitEmpty("storeKey", e.StoreKey)
	w.StringOmitEmpty("sentWith", e.SentWith)
	w.IntOmitEmpty("sinceMs", e.SinceMs)
	w.StringOmitEmpty("amount", e.Amount)
	w.StringOmitEmpty("currency", e.Currency)
	w.StringOmitEmpty("currency2", e.Currency2)
	w.StringOmitEmpty("address", e.Address)
	w.StringOmitEmpty("note", e.Note)
	w.Close('}')
}

func writeWithdrawalInfo(w *jsonw.Writer, x *core.WithdrawalInfo) {
	w.Open('{')
	w.KeyString("id", x.ID)
	if x.TimeCreated.IsZero() && x.Coin == "" && x.StatusText == "" && x.SendAddress == "" {
		// Known by its id only (reconcileOp of a settled operation answers from its record): zero
		// values would read as facts (amount 0, status 0 "awaiting email confirmation").
		w.Close('}')
		return
	}
	w.KeyTime("time_created", x.TimeCreated)
	w.KeyInt("status", int64(x.Status))
	w.KeyString("status_text", x.StatusText)
	w.KeyString("coin", x.Coin)
	writeAmount(w, "amount", x.Amount)
	w.KeyString("send_address", x.SendAddress)
	w.KeyString("send_txid", x.SendTxID)
	w.StringOmitEmpty("note", x.Note)
	w.Close('}')
}

func writeWithdrawalInfos(w *jsonw.Writer, x []core.WithdrawalInfo) {
	jsonw.Array(w, x, writeWithdrawalInfo)
}

// writeOp writes an operation record: to JS (ops()) and to the host's storage (setOp), which
// has always held json.Marshal's form of core.Op.
func writeOp(w *jsonw.Writer, op *core.Op) { writeStoredOp(w, "", op) }

// writeStoredOp is writeOp with the store key the record is kept under first (when not ""), so
// that a storage that gives it back under another key is caught (jsStorage.LoadOps).
func writeStoredOp(w *jsonw.Writer, storeKey string, op *core.Op) {
	w.Open('{')
	w.StringOmitEmpty("store_key", storeKey)
	w.KeyString("id", op.ID)
	w.KeyString("cmd", op.Cmd)
	w.Key("ref").StringMap(op.Ref)
	w.IntOmitEmpty("nonce", op.Nonce)
	w.KeyTime("sent_at", op.SentAt)
	w.KeyTime("deadline", op.Deadline)
	w.KeyString("state", string(op.State))
	w.StringOmitEmpty("result", op.Result)
	if len(op.Results) > 0 {
		w.Key("results").StringList(op.Results)
	}
	w.TimeOmitZero("until", op.Until)
	w.StringOmitEmpty("error", op.Error)
	w.TimeOmitZero("settled", op.Settled)
	if op.Unproven {
		w.KeyBool("unproven", true)
	}
	if op.Fenced {
		w.KeyBool("fenced", true)
	}
	w.Close('}')
}

// writePayoutRow writes the members of a payout.Row (inside an object the caller opened).
func writePayoutRow(w *jsonw.Writer, r *payout.Row) {
	w.KeyInt("line", int64(r.Line))
	w.KeyString("key", r.Key)
	w.KeyString("address", r.Address)
	w.KeyString("currency", r.Currency)
	writeAmount(w, "amount", r.Amount)
	w.StringOmitEmpty("memo", r.Memo)
	w.KeyString("note", r.Note)
}

func writeProblems(w *jsonw.Writer, ps []payout.Problem) {
	jsonw.Array(w, ps, func(w *jsonw.Writer, p *payout.Problem) {
		w.Open('{')
		w.KeyInt("line", int64(p.Line))
		w.KeyString("message", p.Msg)
		w.Close('}')
	})
}

func writePayoutFile(w *jsonw.Writer, f *payout.File) {
	w.Open('{')
	w.KeyString("name", f.Name)
	w.KeyString("sha256", f.Hash)
	w.KeyString("tag", f.Tag)
	w.KeyBool("header", f.Header)
	jsonw.Array(w.Key("rows"), f.Rows, func(w *jsonw.Writer, r *payout.Row) {
		w.Open('{')
		writePayoutRow(w, r)
		w.Close('}')
	})
	writeProblems(w.Key("problems"), f.Problems)
	writeProblems(w.Key("warnings"), f.Warnings)
	jsonw.Array(w.Key("totals"), f.Totals, func(w *jsonw.Writer, t *payout.Total) {
		w.Open('{')
		w.KeyString("currency", t.Currency)
		writeAmount(w, "amount", t.Amount)
		w.KeyInt("rows", int64(t.Rows))
		w.Close('}')
	})
	w.Close('}')
}

func writeRun(w *jsonw.Writer, r *runView) {
	w.Open('{')
	w.StringOmitEmpty("action", string(r.Action))
	w.IntsOmitEmpty("lines", r.Lines)
	w.KeyBool("more", r.More)
	s := &r.Summary
	w.Key("summary").Open('{')
	w.KeyInt("rows", int64(s.Rows))
	w.KeyInt("pending", int64(s.Pending))
	w.KeyInt("sent", int64(s.Sent))
	w.KeyInt("sent_now", int64(s.SentNow))
	w.KeyInt("reconciled", int64(s.Reconciled))
	w.KeyInt("sent_earlier", int64(s.Earlier))
	w.KeyInt("failed", int64(s.Failed))
	w.KeyInt("unknown", int64(s.Unknown))
	w.KeyInt("in_flight", int64(s.InFlight))
	w.KeyInt("held", int64(s.Held))
	w.KeyInt("ambiguous", int64(s.Ambiguous))
	w.KeyBool("done", s.Done)
	w.StringOmitEmpty("stopped", s.Stopped)
	w.TimeOmitZero("wait_until", s.WaitUntil)
	w.KeyString("step", string(s.Step))
	w.IntsOmitEmpty("step_lines", s.StepLines)
	w.KeyString("next", s.Next)
	w.Close('}')
	jsonw.Array(w.Key("rows"), r.Rows, func(w *jsonw.Writer, rs *payout.RowStatus) {
		w.Open('{')
		writePayoutRow(w, &rs.Row)
		w.KeyString("state", string(rs.State))
		w.StringOmitEmpty("withdrawal_id", rs.ID)
		w.StringOmitEmpty("error", rs.Error)
		w.IntOmitEmpty("nonce", rs.Nonce)
		w.TimeOmitZero("sent_at", rs.SentAt)
		w.TimeOmitZero("deadline", rs.Deadline)
		w.TimeOmitZero("until", rs.Until)
		w.KeyBool("reconciled", rs.Reconciled)
		w.KeyBool("earlier", rs.Earlier)
		if rs.Now {
			w.KeyBool("sent_now", true)
		}
		if rs.Held {
			w.KeyBool("held", true)
		}
		w.Close('}')
	})
	w.KeyString("sha256", r.SHA256)
	w.KeyString("resultsCsv", r.CSV)
	w.Close('}')
}

// writeEntry writes a payout journal entry as json.Marshal did when the host's storage got it.
func writeEntry(w *jsonw.Writer, e *payout.Entry) {
	w.Open('{')
	w.IntOmitEmpty("v", int64(e.V))
	w.StringOmitEmpty("file", e.File)
	w.StringOmitEmpty("sha256", e.SHA256)
	w.IntOmitEmpty("rows", int64(e.Rows))
	w.IntOmitEmpty("line", int64(e.Line))
	w.StringOmitEmpty("state", string(e.State))
	w.StringOmitEmpty("id", e.ID)
	w.StringOmitEmpty("error", e.Error)
	w.IntOmitEmpty("nonce", e.Nonce)
	w.TimeOmitZero("sent_at", e.SentAt)
	w.TimeOmitZero("deadline", e.Deadline)
	w.TimeOmitZero("until", e.Until)
	if e.Held {
		w.KeyBool("held", true)
	}
	w.StringOmitEmpty("batch", e.Batch)
	if e.Reconciled {
		w.KeyBool("reconciled", true)
	}
	if e.Answered {
		w.KeyBool("answered", true)
	}
	if e.Scanned {
		w.KeyBool("scanned", true)
	}
	w.StringOmitEmpty("session", e.Session)
	w.TimeOmitZero("at", e.At)
	w.Close('}')
}

// writeDetails writes a statement.Details' members (inside an object the caller opened).
func writeDetails(w *jsonw.Writer, d *statement.Details) {
	w.StringOmitEmpty("invoice", d.Invoice)
	w.StringOmitEmpty("item_name", d.ItemName)
	w.StringOmitEmpty("item_number", d.ItemNumber)
	w.StringOmitEmpty("custom", d.Custom)
	w.StringOmitEmpty("buyer_name", d.BuyerName)
	w.StringOmitEmpty("buyer_email", d.BuyerEmail)
	if !d.Price.IsZero() {
		writeAmount(w, "price", d.Price)
	}
	w.StringOmitEmpty("price_currency", d.PriceCurrency)
}

func writeStatement(w *jsonw.Writer, s *statementView) {
	w.Open('{')
	w.KeyInt("fromMs", s.FromMs)
	w.KeyInt("toMs", s.ToMs)
	jsonw.Array(w.Key("rows"), s.Rows, func(w *jsonw.Writer, r *rowView) {
		w.Open('{')
		w.KeyString("kind", r.Kind)
		w.KeyString("id", r.ID)
		w.KeyTime("time", r.Time)
		w.KeyInt("status", r.Status)
		w.KeyString("status_text", r.StatusText)
		w.KeyString("state", r.State)
		w.KeyString("coin", r.Coin)
		writeAmount(w, "amount", r.Amount)
		if !r.Received.IsZero() {
			writeAmount(w, "received", r.Received)
		}
		w.KeyString("address", r.Address)
		w.StringOmitEmpty("txid", r.TxID)
		w.StringOmitEmpty("note", r.Note)
		writeDetails(w, &r.Details)
		if !r.FiatValue.IsZero() {
			writeAmount(w, "fiat_value", r.FiatValue)
		}
		w.StringOmitEmpty("fiat_currency", r.FiatCurrency)
		w.KeyInt("timeMs", r.TimeMs)
		w.Close('}')
	})
	jsonw.Array(w.Key("totals"), s.Totals, func(w *jsonw.Writer, t *statement.Total) {
		w.Open('{')
		w.KeyString("coin", t.Coin)
		writeAmount(w, "payments_paid", t.PaymentsPaid)
		w.KeyInt("paid_count", int64(t.PaidCount))
		writeAmount(w, "payouts_sent", t.PayoutsSent)
		w.KeyInt("sent_count", int64(t.SentCount))
		writeAmount(w, "payouts_pending", t.PayoutsPending)
		w.KeyInt("pending_count", int64(t.PendingCount))
		writeAmount(w, "net", t.Net)
		w.Close('}')
	})
	jsonw.Array(w.Key("prices"), s.Prices, func(w *jsonw.Writer, p *statement.PriceTotal) {
		w.Open('{')
		w.KeyString("currency", p.Currency)
		writeAmount(w, "paid", p.Paid)
		w.KeyInt("count", int64(p.Count))
		w.Close('}')
	})
	w.KeyString("csv", s.CSV)
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
	w.KeyString("ipn_id", v.ID)
	w.KeyString("ipn_type", v.Type)
	w.KeyString("merchant", v.Merchant)
	w.KeyInt("status", v.Status)
	w.KeyString("status_text", v.StatusText)
	w.KeyString("state", v.State)
	w.KeyString("key", v.Key)
	w.Key("fields").StringMap(v.Fields)
	if a := v.API; a != nil {
		w.Key("api").Open('{')
		w.KeyString("txn_id", a.TxnID)
		w.KeyString("currency1", a.Currency1)
		w.KeyString("currency2", a.Currency2)
		w.KeyString("amount1", string(a.Amount1))
		w.KeyString("amount2", string(a.Amount2))
		w.KeyString("fee", string(a.Fee))
		w.KeyString("buyer_name", a.BuyerName)
		w.KeyString("email", a.Email)
		w.KeyString("item_name", a.ItemName)
		w.KeyString("item_number", a.ItemNumber)
		w.KeyString("invoice", a.Invoice)
		w.KeyString("custom", a.Custom)
		w.KeyString("received_amount", string(a.ReceivedAmount))
		w.KeyInt("received_confirms", int64(a.ReceivedConfirms))
		w.Close('}')
	}
	if d := v.Deposit; d != nil {
		w.Key("deposit").Open('{')
		w.KeyString("deposit_id", d.DepositID)
		w.KeyString("txn_id", d.TxnID)
		w.KeyString("address", d.Address)
		w.KeyString("dest_tag", d.DestTag)
		w.KeyString("currency", d.Currency)
		w.KeyInt("confirms", int64(d.Confirms))
		w.KeyString("amount", string(d.Amount))
		w.KeyInt("amounti", d.AmountI)
		w.KeyString("fee", string(d.Fee))
		w.KeyInt("feei", d.FeeI)
		w.Close('}')
	}
	if x := v.Withdrawal; x != nil {
		writeIPNWithdrawal(w.Key("withdrawal"), x)
	}
	w.Close('}')
}

func writeIPNWithdrawal(w *jsonw.Writer, x *ipnwire.Withdrawal) {
	w.Open('{')
	w.KeyString("id", x.ID)
	w.KeyString("txn_id", x.TxnID)
	w.KeyString("address", x.Address)
	w.KeyString("currency", x.Currency)
	w.KeyString("amount", string(x.Amount))
	w.KeyInt("amounti", x.AmountI)
	w.Close('}')
}
