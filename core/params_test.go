package core

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// noNetwork fails the test if anything is sent: local validation must stop bad input first.
func noNetwork(t *testing.T) *Client {
	c, err := New(WithAPIURL("https://wallexpay.io/api"), WithKeys("pub", "priv"),
		WithTransport(TransportFunc(func(context.Context, *Request) (*HTTPResponse, error) {
			t.Fatal("a request was sent despite invalid input")
			return nil, nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationError on %s", err, field)
	}
	if !strings.Contains(ve.Field, field) {
		t.Fatalf("error names %q, want %q: %v", ve.Field, field, err)
	}
}

func TestLocalValidation(t *testing.T) {
	c := noNetwork(t)
	ctx := context.Background()
	addr := "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
	cases := []struct {
		name  string
		field string
		call  func() error
	}{
		{"tx no amount", "amount", func() error {
			_, err := c.CreateTransaction(ctx, &CreateTransactionParams{Currency1: "USD", Currency2: "BTC", BuyerEmail: "a@b.c"})
			return err
		}},
		{"tx 9 decimals", "amount", func() error {
			_, err := c.CreateTransaction(ctx, &CreateTransactionParams{Amount: "0.000000001", Currency1: "USD", Currency2: "BTC", BuyerEmail: "a@b.c"})
			return err
		}},
		{"tx bad ticker", "currency2", func() error {
			_, err := c.CreateTransaction(ctx, &CreateTransactionParams{Amount: "1", Currency1: "USD", Currency2: "B-TC", BuyerEmail: "a@b.c"})
			return err
		}},
		{"tx no email", "buyer_email", func() error {
			_, err := c.CreateTransaction(ctx, &CreateTransactionParams{Amount: "1", Currency1: "USD", Currency2: "BTC"})
			return err
		}},
		{"transfer both", "merchant/toaddress", func() error {
			_, err := c.CreateTransfer(ctx, &TransferParams{Amount: "1", Currency: "BTC", Merchant: String("m"), ToAddress: String(addr)})
			return err
		}},
		{"transfer neither", "merchant/toaddress", func() error {
			_, err := c.CreateTransfer(ctx, &TransferParams{Amount: "1", Currency: "BTC"})
			return err
		}},
		{"withdrawal negative", "amount", func() error {
			_, err := c.CreateWithdrawal(ctx, &WithdrawalParams{Amount: "-1", Currency: "BTC", Address: addr})
			return err
		}},
		{"withdrawal zero", "amount", func() error {
			_, err := c.CreateWithdrawal(ctx, &WithdrawalParams{Amount: "0", Currency: "BTC", Address: addr})
			return err
		}},
		{"withdrawal no address", "address", func() error {
			_, err := c.CreateWithdrawal(ctx, &WithdrawalParams{Amount: "1", Currency: "BTC"})
			return err
		}},
		{"withdrawal extra reserved", "nonce", func() error {
			_, err := c.CreateWithdrawal(ctx, &WithdrawalParams{Amount: "1", Currency: "BTC", Address: addr, Extra: Fields{"nonce": "1"}})
			return err
		}},
		{"multi 26", "txid", func() error {
			_, err := c.TxInfoMulti(ctx, strings.Split(strings.Repeat("x,", 26)[:51], ","))
			return err
		}},
		{"multi pipe", "txid", func() error {
			_, err := c.TxInfoMulti(ctx, []string{"a|b"})
			return err
		}},
		{"mass dup key", "wd key", func() error {
			_, err := c.CreateMassWithdrawal(ctx, []MassWithdrawalItem{{Key: "a", Amount: "1", Currency: "BTC", Address: addr}, {Key: "a", Amount: "1", Currency: "BTC", Address: addr}})
			return err
		}},
		{"mass bracket key", "wd key", func() error {
			_, err := c.CreateMassWithdrawal(ctx, []MassWithdrawalItem{{Key: "a]", Amount: "1", Currency: "BTC", Address: addr}})
			return err
		}},
		{"mass bad amount", "wd[r2][amount]", func() error {
			_, err := c.CreateMassWithdrawal(ctx, []MassWithdrawalItem{{Key: "r1", Amount: "1", Currency: "BTC", Address: addr}, {Key: "r2", Amount: "x", Currency: "BTC", Address: addr}})
			return err
		}},
		{"convert same", "to", func() error {
			_, err := c.Convert(ctx, &ConvertParams{Amount: "1", From: "BTC", To: "btc"})
			return err
		}},
		{"history page", "limit", func() error {
			for _, err := range c.TxIDs(ctx, &ListParams{PageSize: 101}) {
				return err
			}
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantValidation(t, tc.call(), tc.field) })
	}
}

func TestOptionalFieldsUnsetVersusZero(t *testing.T) {
	s := newFieldSet()
	p := WithdrawalParams{Amount: "1", Currency: "btc", Address: "a", AutoConfirm: Bool(false), Note: String("")}
	p.fields(func(k string) string { return k }, s)
	f, err := s.done()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f["auto_confirm"]; !ok || v != "0" {
		t.Errorf("auto_confirm = %q %v, want sent as 0", v, ok)
	}
	if v, ok := f["note"]; !ok || v != "" {
		t.Errorf("note = %q %v, want sent empty", v, ok)
	}
	if _, ok := f["add_tx_fee"]; ok {
		t.Error("unset add_tx_fee was sent")
	}
	if f["currency"] != "BTC" {
		t.Errorf("currency = %q", f["currency"])
	}
}

func FuzzMassWithdrawalFields(f *testing.F) {
	f.Add("row1", "0.5", "BTC", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "memo & more")
	f.Add("a-b_c", "21000000", "USDT.ERC20", "0xabc", "")
	f.Fuzz(func(t *testing.T, key, amount, cur, addr, note string) {
		items := []MassWithdrawalItem{{Key: key, Amount: amount, Currency: cur, Address: addr, Note: String(note)},
			{Key: key + "x", Amount: "1", Currency: "LTC", Address: "L1"}}
		fields, err := MassWithdrawalFields(items)
		if err != nil {
			return
		}
		vals, err := url.ParseQuery(string(EncodeForm(fields)))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := ParseAmount(amount)
		if got := vals.Get("wd[" + key + "][amount]"); got != a.Text() {
			t.Fatalf("amount %q, want %q", got, a.Text())
		}
		if vals.Get("wd["+key+"][address]") != addr || vals.Get("wd["+key+"][note]") != note {
			t.Fatal("address or note changed")
		}
		if len(vals) != 7 {
			t.Fatalf("%d fields: %v", len(vals), vals)
		}
	})
}
