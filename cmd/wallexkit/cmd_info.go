package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wallexkit/wallexkit/core"
)

// The informational commands (spec §7.1): typed results, a table or JSON.

func infoCommand() command {
	return command{
		name:    "info",
		summary: "show the merchant account (get_basic_info)",
		help:    "Shows the username, merchant ID, email and public name of the account the API key\nbelongs to.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("info", args); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				info, err := c.BasicInfo(ctx)
				if err != nil {
					return err
				}
				return a.show(info, func(w io.Writer) {
					writeFields(w,
						"Username", info.Username,
						"Merchant ID", info.MerchantID,
						"Email", info.Email,
						"Public name", info.PublicName)
				})
			}
		},
	}
}

func balancesCommand() command {
	return command{
		name:    "balances",
		args:    "[--all]",
		summary: "show coin balances",
		help:    "Shows the balance of each coin, exact to 8 decimals. Coins with a zero balance are left\nout unless --all is given.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			all := fs.Bool("all", false, "include coins with a zero balance")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("balances", args); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				b, err := c.Balances(ctx, &core.BalancesParams{All: *all})
				if err != nil {
					return err
				}
				if len(b.Coins) == 0 && a.set.output == "table" {
					fmt.Fprintln(a.stderr, "no coin has a balance (--all lists zero balances too)")
				}
				return a.show(b, func(w io.Writer) {
					amounts := make([]core.Amount, len(b.Coins))
					for i, x := range b.Coins {
						amounts[i] = x.Amount
					}
					if len(amounts) == 0 {
						return
					}
					writeRow(w, "COIN", "BALANCE")
					for i, text := range padLeft(amounts) {
						writeRow(w, b.Coins[i].Coin, text)
					}
				})
			}
		},
	}
}

func depositAddressCommand() command {
	return command{
		name:    "deposit-address",
		args:    "CURRENCY",
		summary: "show the personal deposit address of a coin",
		help: "Shows the account's deposit address for CURRENCY (a ticker such as BTC or USDT.ERC20).\n" +
			"The address is reused and deposits to it send no IPN.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("deposit-address needs exactly one CURRENCY, e.g. 'wallexkit deposit-address BTC'")
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				d, err := c.DepositAddress(ctx, args[0])
				if err != nil {
					return err
				}
				return a.show(d, func(w io.Writer) {
					writeFields(w, "Currency", d.Currency, "Address", d.Address)
					if d.DestTag != "" {
						writeFields(w, "Dest tag", d.DestTag)
					}
				})
			}
		},
	}
}

func ratesCommand() command {
	return command{
		name:    "rates",
		args:    "[--accepted] [--short]",
		summary: "show exchange rates and coin status",
		help: "Shows the BTC rate, withdrawal fee and status of every coin. --accepted keeps only the\n" +
			"coins the account accepts; --short asks the API for fewer fields.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			accepted := fs.Bool("accepted", false, "only coins the account accepts for payments")
			short := fs.Bool("short", false, "ask for fewer fields (no name, confirms, capabilities)")
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("rates", args); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				r, err := c.Rates(ctx, &core.RatesParams{Short: *short, Accepted: *accepted})
				if err != nil {
					return err
				}
				return a.show(r, func(w io.Writer) {
					writeRow(w, "COIN", "NAME", "RATE (BTC)", "TX FEE", "CONFIRMS", "ACCEPTED", "CONVERT", "STATUS", "CAPABILITIES")
					for _, x := range r.Coins {
						confirms := ""
						if !*short {
							confirms = strconv.FormatInt(x.Confirms, 10)
						}
						writeRow(w, x.Coin, x.Name, x.RateBTC.String(), x.TxFee.String(), confirms,
							yesNo(x.Accepted), yesNo(x.CanConvert), x.Status, strings.Join(x.Capabilities, ","))
					}
				})
			}
		},
	}
}
