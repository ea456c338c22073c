package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// show prints v as indented JSON with -o json, else the table that writeTable draws.
func (a *app) show(v any, writeTable func(w io.Writer)) error {
	if a.set.output == "json" {
		return writeJSON(a.stdout, v)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	writeTable(tw)
	return tw.Flush()
}

// writeJSON marshals v (core types: amounts as strings) with two-space indentation.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeRawJSON indents JSON text as it is: numbers keep their exact text.
func writeRawJSON(w io.Writer, raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("null")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("the result is not valid JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// writeFields draws label/value pairs, one per line.
func writeFields(w io.Writer, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(w, "%s\t%s\n", pairs[i], orDash(pairs[i+1]))
	}
}

// writeRow draws one tab-separated table row.
func writeRow(w io.Writer, cells ...string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		io.WriteString(w, orDash(c))
	}
	io.WriteString(w, "\n")
}

// coinAmount is how every coin amount is shown: the coin's 8 decimals, as the API sends them,
// and the ticker.
func coinAmount(a core.Amount, coin string) string { return a.String() + " " + coin }

// coinText shows an amount given as decimal text (a flag, a sandbox answer) the same way.
func coinText(text, coin string) string {
	if a, err := core.ParseAmount(text); err == nil {
		return coinAmount(a, coin)
	}
	return text + " " + coin
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// padLeft right-aligns amounts so their decimal points line up (they all have 8 decimals).
func padLeft(amounts []core.Amount) []string {
	out := make([]string, len(amounts))
	width := 0
	for i, a := range amounts {
		out[i] = a.String()
		width = max(width, len(out[i]))
	}
	for i, s := range out {
		out[i] = strings.Repeat(" ", width-len(s)) + s
	}
	return out
}

// humanDuration prints a rough remaining time such as "59m", "1h5m" or "30s" (truncated, never
// rounded up).
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	h := int(d / time.Hour)
	m := int((d % time.Hour) / time.Minute)
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// printOutcomeUnknown explains an OutcomeUnknownError: what was sent and how to find out
// whether it was carried out.
func (a *app) printOutcomeUnknown(e *core.OutcomeUnknownError) {
	w := a.stderr
	if ref := refShown(e.Ref); len(ref) > 0 {
		fmt.Fprintln(w, "The request was:")
		keys := make([]string, 0, len(ref))
		for k := range ref {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range keys {
			fmt.Fprintf(tw, "  %s\t%s\n", k, a.redact(ref[k]))
		}
		tw.Flush()
	}
	// the error line above already says it may have been carried out and not to send it again
	fmt.Fprintf(w, "Find out what happened (safe to run at once: it only reads, and it is recorded in\n"+
		"%s until settled):\n  %s\n", a.stateName(), a.opReconcileLine(e.OpID))
	if !a.set.nonce {
		fmt.Fprintln(w, "Without nonces a lost request can still land for a while: the answer may be \"in_flight, wait\n"+
			"until ...\". Turn nonces on (drop --no-nonce / WALLEX_NONCE=0) to have it settled at once.")
	}
}

// refShown is a request's identifying fields as printed: each amount with its coin and 8
// decimals on one line (a withdrawal's or transfer's currency, a conversion's from, a payment
// request's currency1, a mass payout's wd[KEY][currency]), as every other answer shows amounts.
func refShown(ref map[string]string) map[string]string {
	out := maps.Clone(ref)
	for k, v := range ref {
		prefix, end := k, ""
		if p, ok := strings.CutSuffix(k, "[amount]"); ok {
			prefix, end = p+"[", "]"
		} else if k == "amount" {
			prefix = ""
		} else {
			continue
		}
		for _, c := range []string{"currency", "from", "currency1"} {
			if coin := ref[prefix+c+end]; coin != "" {
				out[k] = coinText(v, coin)
				delete(out, prefix+c+end)
				break
			}
		}
	}
	return out
}

// printPendingOp explains a refusal because an identical operation is unresolved.
func (a *app) printPendingOp(e *core.PendingOpError) {
	if base, pub, ok := core.SplitStoreKey(e.StoreKey); ok {
		fmt.Fprintf(a.stderr, "The earlier one was sent with public key %s and API %s (this run uses public key %s and API %s).\n"+
			"It is recorded in %s under that key: settle it with that key pair (give its private key).\n", pub, base, a.set.publicKey, a.set.apiURL, a.stateName())
	}
	fmt.Fprintf(a.stderr, "Nothing was sent. Settle the earlier one first (safe to run at once: it only reads):\n  %s\n", a.pendingOpLine(e))
	if core.ListedNowhere(e.Op.Cmd, e.Op.Ref) {
		// no history lists it: reconcile answers ambiguous, and a person settles it by the balances
		fmt.Fprintf(a.stderr, "No history lists %s, so it answers ambiguous. Once it says a late copy can no longer be carried\n"+
			"out, compare your balances (wallexkit balances). If it was not carried out, drop its record, then\n"+
			"run your command again:\n  %s\n", blindWhat(e.Op.Cmd), a.printedLine("ops", "forget", e.Op.ID, "--yes"))
		return
	}
	fmt.Fprintln(a.stderr, "When it says not_found, run your command again; when it says found, it was paid already.")
}

func blindWhat(cmd string) string {
	if cmd == "convert" {
		return "a conversion"
	}
	return "a transfer to a merchant"
}

// pendingOpLine settles the earlier operation a PendingOpError names: with the key and API URL it
// was sent with (its record is kept under them).
func (a *app) pendingOpLine(e *core.PendingOpError) string {
	base, pub, ok := core.SplitStoreKey(e.StoreKey)
	if !ok {
		return a.opReconcileLine(e.Op.ID)
	}
	b := *a
	b.set.apiURL, b.set.publicKey = base, pub
	if pub != a.set.publicKey {
		b.set.privateKeyFile = "" // this run's key file is another key's
	}
	return b.opReconcileLine(e.Op.ID)
}

// stateName names the state file for messages.
func (a *app) stateName() string {
	if p, err := a.statePath(); err == nil {
		return p
	}
	return "the state file"
}
