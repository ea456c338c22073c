package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/wallexkit/wallexkit/core"
)

// Withdrawals, transfers and conversion (spec §7.3).

const unknownHelp = "If the answer is lost (exit 4) the request may still have been carried out: the command\n" +
	"prints a 'wallexkit reconcile ...' line to run before anything is sent again."

func transferCommand() command {
	return command{
		name:    "transfer",
		args:    "--amount A --currency C (--merchant ID | --to-address ADDR) [--auto-confirm] [--yes]",
		summary: "send coins to another merchant or an address (create_transfer)",
		help: "Transfers --amount of --currency to another Wallex merchant (--merchant, a merchant ID,\n" +
			"not a username) or to --to-address. Without --auto-confirm the transfer waits for the\n" +
			"confirmation email (status 0).\n" + yesHelp + "\n" + againHelp + "\n" + unknownHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var amount, currency, merchant, toAddr string
			var autoConfirm, yes bool
			var again againValue
			fs.StringVar(&amount, "amount", "", "amount, exact decimal text, e.g. 0.25")
			fs.StringVar(&currency, "currency", "", "`COIN`, e.g. BTC")
			fs.StringVar(&merchant, "merchant", "", "receiving merchant `ID`")
			fs.StringVar(&toAddr, "to-address", "", "receiving `ADDRESS`")
			fs.BoolVar(&autoConfirm, "auto-confirm", false, "skip the confirmation email")
			fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
			fs.Var(&again, "again", againFlag)
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("transfer", args); err != nil {
					return err
				}
				amt, currency, err := checkAmountCoin(amount, "currency", currency)
				if err != nil {
					return err
				}
				p := &core.TransferParams{Amount: amt, Currency: currency}
				dest := ""
				switch {
				case (merchant == "") == (toAddr == ""):
					return usagef("give exactly one of --merchant ID and --to-address ADDR")
				case merchant != "":
					p.Merchant, dest = &merchant, "merchant "+merchant
				default:
					if err := checkAddressFormat("to-address", currency, toAddr); err != nil {
						return err
					}
					p.ToAddress, dest = &toAddr, toAddr
				}
				if autoConfirm {
					p.AutoConfirm = core.Bool(true)
				}
				if err := a.canConfirm(yes); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				if _, err := a.preflight(ctx, c, currency, amt, false); err != nil {
					return err
				}
				if err := a.confirm(yes, "transfer", "Amount", coinText(amt, currency), "To", dest, "Auto-confirm", yesNo(autoConfirm)); err != nil {
					return err
				}
				var t *core.Transfer
				err = a.sendOnce(ctx, again, yes, func(ctx context.Context) (err error) {
					t, err = c.CreateTransfer(ctx, p)
					return err
				})
				if err != nil {
					return err
				}
				out := struct {
					ID         string              `json:"id"`
					Status     core.TransferStatus `json:"status"`
					StatusText string              `json:"status_text"`
					Amount     string              `json:"amount"`
					Currency   string              `json:"currency"`
				}{t.ID, t.Status, t.Status.String(), amt, currency}
				return a.show(out, func(w io.Writer) {
					writeFields(w, "Transfer", t.ID, "Status", statusWithText(t.Status, ""), "Amount", coinText(amt, currency), "To", dest)
				})
			}
		},
	}
}

func withdrawCommand() command {
	return command{
		name:    "withdraw",
		args:    "--amount A --currency C --address ADDR [--note N] [--dest-tag T] [--auto-confirm] [--yes]",
		summary: "withdraw coins to an address (create_withdrawal)",
		help: "Withdraws --amount of --currency to --address. Set --note to something unique (an order\n" +
			"number): it stays with the withdrawal and lets 'wallexkit reconcile' tell it apart.\n" +
			"Without --note a random reference (wk: and 10 hex digits, as the console gives) is sent\n" +
			"as the note and shown in the review and the answer.\n" +
			"Without --auto-confirm the withdrawal waits for the confirmation email (status 0).\n" +
			yesHelp + "\n" + againHelp + "\n" + unknownHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var amount, currency, address, note, destTag, ipnURL string
			var autoConfirm, yes, addFee bool
			var again againValue
			fs.StringVar(&amount, "amount", "", "amount, exact decimal text, e.g. 0.25")
			fs.StringVar(&currency, "currency", "", "`COIN`, e.g. BTC")
			fs.StringVar(&address, "address", "", "destination `ADDRESS`")
			fs.StringVar(&note, "note", "", "`TEXT` kept with the withdrawal (make it unique; default: a random wk: reference)")
			fs.StringVar(&destTag, "dest-tag", "", "destination `TAG` or memo, for coins that need one")
			fs.StringVar(&ipnURL, "ipn-url", "", "IPN `URL` for this withdrawal")
			fs.BoolVar(&addFee, "add-tx-fee", false, "add the network fee to the amount instead of taking it out")
			fs.BoolVar(&autoConfirm, "auto-confirm", false, "skip the confirmation email")
			fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
			fs.Var(&again, "again", againFlag)
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("withdraw", args); err != nil {
					return err
				}
				amt, currency, err := checkAmountCoin(amount, "currency", currency)
				if err != nil {
					return err
				}
				if address == "" {
					return usagef("--address is required: the destination address")
				}
				if err := checkAddressFormat("address", currency, address); err != nil {
					return err
				}
				if note == "" {
					// reconcile tells a payout of unknown outcome apart by its note (core.NewReference)
					note = core.NewReference()
				}
				p := &core.WithdrawalParams{Amount: amt, Currency: currency, Address: address,
					Note: optStr(note), DestTag: optStr(destTag), IPNURL: optStr(ipnURL)}
				if autoConfirm {
					p.AutoConfirm = core.Bool(true)
				}
				if addFee {
					p.AddTxFee = core.Bool(true)
				}
				if err := a.canConfirm(yes); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				netFee, err := a.preflight(ctx, c, currency, amt, addFee)
				if err != nil {
					return err
				}
				// Every field that changes what is debited, what arrives or where it goes is shown:
				// the split is core's one rule (the fee taken out of the amount, or added on top).
				amount, err := core.ParseAmount(amt)
				if err != nil {
					return err
				}
				split, err := core.SplitWithdrawal(amount, netFee, addFee)
				if ve := (*core.ValidationError)(nil); errors.As(err, &ve) && ve.Field == "amount" {
					// core's refusal (the fee would eat the amount whole), said with the coins and the flag
					return usagef("--amount %s does not cover the network fee (%s) taken out of it: the address would receive nothing; "+
						"send more, or pass --add-tx-fee to add the fee on top; nothing was sent", coinAmount(amount, currency), coinAmount(*netFee, currency))
				} else if err != nil {
					return usagef("%s; nothing was sent", err)
				}
				fee, debited, received := "not known (the API gave no fee for "+currency+")", "", ""
				if split.Fee != nil {
					fee = coinAmount(*split.Fee, currency)
				}
				if addFee {
					fee += ", added on top of the amount"
				} else {
					fee += ", taken out of the amount"
				}
				if split.Debited != nil {
					debited = coinAmount(*split.Debited, currency)
				} else {
					debited = coinText(amt, currency) + " plus the network fee"
				}
				if split.Received != nil {
					received = coinAmount(*split.Received, currency)
				} else {
					received = coinText(amt, currency) + " less the network fee"
				}
				pairs := []string{"Amount", coinText(amt, currency), "Network fee", fee,
					"From balance", debited, "Address receives", received, "To address", address}
				if destTag != "" {
					pairs = append(pairs, "Dest tag", destTag)
				}
				if ipnURL != "" {
					pairs = append(pairs, "IPN URL", ipnURL)
				}
				pairs = append(pairs, "Note", note, "Auto-confirm", yesNo(autoConfirm))
				if err := a.confirm(yes, "withdraw", pairs...); err != nil {
					return err
				}
				var wd *core.Withdrawal
				err = a.sendOnce(ctx, again, yes, func(ctx context.Context) (err error) {
					wd, err = c.CreateWithdrawal(ctx, p)
					return err
				})
				if err != nil {
					return err
				}
				shown := wd.Amount.Text()
				if wd.Amount.IsZero() {
					shown = amt
				}
				out := struct {
					ID         string                `json:"id"`
					Status     core.WithdrawalStatus `json:"status"`
					StatusText string                `json:"status_text"`
					Amount     string                `json:"amount"`
					Currency   string                `json:"currency"`
					Address    string                `json:"address"`
					Note       string                `json:"note,omitempty"`
				}{wd.ID, wd.Status, wd.Status.String(), shown, currency, address, note}
				return a.show(out, func(w io.Writer) {
					writeFields(w, "Withdrawal", wd.ID, "Status", statusWithText(wd.Status, out.StatusText),
						"Amount", coinText(shown, currency), "Network fee", fee, "Address receives", received,
						"To address", address, "Note", note)
				})
			}
		},
	}
}

func withdrawalsListCommand() command {
	return command{
		name:    "withdrawals list",
		args:    "[--limit N]",
		summary: "list withdrawals and transfers, newest first (get_withdrawal_history)",
		help: "Lists up to --limit withdrawals (0 = all), newest first. Status -1 = cancelled,\n" +
			"0 = awaiting email confirmation, 1 = pending, 2 = complete.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			limit := fs.Int("limit", 25, "how many withdrawals in total (0 = all)")
			newer := fs.String("newer", "", "only withdrawals created after `TIME` (RFC 3339 or Unix seconds)")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("withdrawals list", args); err != nil {
					return err
				}
				p, err := listParams(a, *limit, *newer)
				if err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				list := []core.WithdrawalInfo{}
				for w, err := range c.WithdrawalHistory(ctx, p) {
					if err != nil {
						return err
					}
					list = append(list, w)
				}
				if len(list) == 0 && a.set.output == "table" {
					fmt.Fprintln(a.stderr, "no withdrawals")
				}
				return a.show(list, func(w io.Writer) {
					if len(list) == 0 {
						return
					}
					writeRow(w, "ID", "CREATED", "STATUS", "COIN", "AMOUNT", "ADDRESS", "NOTE")
					for _, x := range list {
						writeRow(w, x.ID, fmtTime(x.TimeCreated), statusWithText(x.Status, ""),
							x.Coin, x.Amount.String(), x.SendAddress, x.Note)
					}
				})
			}
		},
	}
}

func withdrawalsInfoCommand() command {
	return command{
		name:    "withdrawals info",
		args:    "ID",
		summary: "show one withdrawal (get_withdrawal_info)",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("withdrawals info needs exactly one withdrawal ID")
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				x, err := c.WithdrawalInfo(ctx, args[0])
				if err != nil {
					return notFoundHint(err, "withdrawal", args[0], "wallexkit withdrawals list")
				}
				return a.show(x, func(w io.Writer) {
					writeFields(w, "Withdrawal", x.ID, "Status", statusWithText(x.Status, x.StatusText), "Amount", coinAmount(x.Amount, x.Coin),
						"To address", x.SendAddress, "Send txid", x.SendTxID, "Note", x.Note, "Created", fmtTime(x.TimeCreated))
				})
			}
		},
	}
}

func convertCommand() command {
	return command{
		name:    "convert",
		args:    "--amount A --from C --to C [--yes]",
		summary: "convert coins in the account's wallet (convert)",
		help: "Converts --amount of --from into --to at the current rate and prints the conversion id.\n" +
			yesHelp + "\n" +
			"If the answer is lost (exit 4), run the printed 'wallexkit reconcile --op ID' first: the API\n" +
			"keeps no conversion history, so it says when balances can tell (after its nonce fence, or\n" +
			"its 'wait until' time); compare 'wallexkit balances' only then, before converting again.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var amount, from, to string
			var yes bool
			fs.StringVar(&amount, "amount", "", "amount of --from, exact decimal text")
			fs.StringVar(&from, "from", "", "`COIN` to sell")
			fs.StringVar(&to, "to", "", "`COIN` to buy")
			fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("convert", args); err != nil {
					return err
				}
				amt, from, err := checkAmountCoin(amount, "from", from)
				if err != nil {
					return err
				}
				if to, err = checkTicker("to", to); err != nil {
					return err
				}
				if from == to {
					return usagef("--from and --to are both %s: give two different coins", from)
				}
				if err := a.canConfirm(yes); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				if err := a.confirm(yes, "convert", "Amount", coinText(amt, from), "Into", to); err != nil {
					return err
				}
				cv, err := c.Convert(ctx, &core.ConvertParams{Amount: amt, From: from, To: to})
				if err != nil {
					return err
				}
				id := cv.ID
				out := struct {
					ID     string `json:"id"`
					Amount string `json:"amount"`
					From   string `json:"from"`
					To     string `json:"to"`
				}{id, amt, from, to}
				return a.show(out, func(w io.Writer) {
					writeFields(w, "Conversion", id, "Amount", coinText(amt, from), "Into", to)
				})
			}
		},
	}
}
