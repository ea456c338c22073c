package payout

import (
	"strconv"

	"github.com/wallexkit/wallexkit/core/internal/csvtext"
)

// DefuseCell makes a CSV cell safe to open in a spreadsheet: text that would run as a formula
// gets a leading apostrophe.
func DefuseCell(s string) string {
	if FormulaLike(s) {
		return "'" + s
	}
	return s
}

// ResultsHeader is the first row of ResultsCSV.
var ResultsHeader = []string{"line", "address", "currency", "amount", "memo", "note", "status", "withdrawal_id", "error"}

// ResultsCSV is the results file of a run: one line per payout, in file order, with its status
// (sent, pending, failed, unknown, in_flight, ambiguous) and withdrawal id. Every cell is defused
// against spreadsheet formulas.
func ResultsCSV(rows []RowStatus) []byte {
	buf := csvtext.AppendRecord(nil, ResultsHeader)
	for _, p := range rows {
		st := p.State
		if st == Sending {
			st = Unknown
		}
		rec := []string{strconv.Itoa(p.Line), p.Address, p.Currency, p.Amount.Text(), p.Memo, p.Note, string(st), p.ID, p.Error}
		for i := range rec {
			rec[i] = DefuseCell(rec[i])
		}
		buf = csvtext.AppendRecord(buf, rec)
	}
	return buf
}
