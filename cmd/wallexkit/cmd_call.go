package main

import (
	"context"
	"flag"
	"maps"
	"slices"
	"strings"

	"github.com/wallexkit/wallexkit/core"
)

func callCommand() command {
	return command{
		name:    "call",
		args:    "CMD [field=value ...]",
		summary: "send any API command; print its result as JSON",
		help: "Sends the API command CMD with the given fields and prints the `result` exactly as the API\n" +
			"sent it (numbers keep their text), indented. Examples:\n" +
			"  wallexkit call balances all=1\n" +
			"  wallexkit call get_tx_info txid=CPXX...\n" +
			"Fields named amount (or ending in [amount]) are checked locally: at most 8 decimals.\n" +
			"Money commands (create_transfer, create_withdrawal, create_mass_withdrawal, convert) show\n" +
			"every field and ask to confirm (or need --yes), and are never resent automatically; if\n" +
			"their outcome is unknown the exit status is 4.\n" + againHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			yes := fs.Bool("yes", false, "do not ask for confirmation (money commands)")
			var again againValue
			fs.Var(&again, "again", againFlag)
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) == 0 {
					return usagef("call needs a command name, e.g. 'wallexkit call balances all=1'")
				}
				fields, err := parseFields(args[1:])
				if err != nil {
					return err
				}
				money := core.IsMoneyCommand(args[0])
				if money {
					if err := a.canConfirm(*yes); err != nil {
						return err
					}
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				if money {
					var pairs []string
					for _, k := range slices.Sorted(maps.Keys(fields)) {
						pairs = append(pairs, k, fields[k])
					}
					if err := a.confirm(*yes, "send "+args[0]+" with every field below", pairs...); err != nil {
						return err
					}
				}
				var res *core.Response
				err = a.sendOnce(ctx, again, *yes, func(ctx context.Context) (err error) {
					res, err = c.Call(ctx, args[0], fields)
					return err
				})
				if err != nil {
					return err
				}
				return writeRawJSON(a.stdout, []byte(res.Result.Raw()))
			}
		},
	}
}

// parseFields reads field=value arguments. Amounts are checked and sent in their shortest exact
// form.
func parseFields(args []string) (core.Fields, error) {
	fields := core.Fields{}
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			return nil, usagef("bad field %q: write fields as name=value, e.g. currency=BTC", clip(arg, 40))
		}
		if _, dup := fields[name]; dup {
			return nil, usagef("field %s is given twice", name)
		}
		if name == "amount" || strings.HasSuffix(name, "[amount]") {
			amt, err := core.ParseAmount(value)
			if err != nil {
				return nil, err
			}
			value = amt.Text()
		}
		fields[name] = value
	}
	return fields, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
