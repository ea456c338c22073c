package sandbox

import (
	"sort"
)

// command is one API command. Its name is also its permission name (spec §5).
type command struct {
	run func(s *Server, c *call) (any, error)
}

var commands = map[string]command{
	"get_basic_info":      {(*Server).cmdBasicInfo},
	"balances":            {(*Server).cmdBalances},
	"get_deposit_address": {(*Server).cmdDepositAddress},
	"rates":               {(*Server).cmdRates},

	"create_transaction":   {(*Server).cmdCreateTransaction},
	"get_callback_address": {(*Server).cmdCallbackAddress},
	"get_tx_info":          {(*Server).cmdTxInfo},
	"get_tx_info_multi":    {(*Server).cmdTxInfoMulti},
	"get_tx_ids":           {(*Server).cmdTxIDs},

	"create_transfer":        {(*Server).cmdCreateTransfer},
	"create_withdrawal":      {(*Server).cmdCreateWithdrawal},
	"create_mass_withdrawal": {(*Server).cmdMassWithdrawal},
	"convert":                {(*Server).cmdConvert},
	"get_conversion_info":    {(*Server).cmdConversionInfo},
	"get_withdrawal_history": {(*Server).cmdWithdrawalHistory},
	"get_withdrawal_info":    {(*Server).cmdWithdrawalInfo},
}

// allCommandNames lists every command (= every permission), sorted.
func allCommandNames() []string {
	out := make([]string, 0, len(commands))
	for name := range commands {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
