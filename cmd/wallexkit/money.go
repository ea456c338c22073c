package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// Shared by the commands that move money: confirmation, local checks, and the reconcile hint
// printed when an outcome is unknown.

const yesHelp = "Money is moved only after a confirmation: on a terminal the command shows what it will\n" +
	"send and asks y/N; otherwise (a script, a pipe) it refuses unless --yes is given."

// The window is core's (core.DuplicateWindow), said in hours.
var (
	againHelp = fmt.Sprintf("A payment of the same amount of the same coin to the same destination that this machine\n"+
		"carried out within the last %d hours is not sent again without a word: its answer may have been\n"+
		"lost (a closed terminal). On a terminal the command names the earlier one and asks; otherwise\n"+
		"it refuses (exit 1, code possible_duplicate) unless --again=ID names the earlier payment it\n"+
		"named (a second payment of that one only: the same line run again is refused, naming the\n"+
		"payment it made) or --again is given (whatever was carried out).", int(core.DuplicateWindow.Hours()))
	againFlag = fmt.Sprintf("send it even if the same payment was carried out in the last %d hours; =`ID` (the earlier payment named by the refusal) sends it only as a second payment of that one", int(core.DuplicateWindow.Hours()))
)

// againValue is --again: bare, a payment like any carried out within the window is sent; =ID (the
// withdrawal or transfer id, or the operation id, a possible_duplicate refusal named), it is sent
// only while that payment is the latest like it: one printed instruction pays once, and the same
// line run again (its answer lost, or run in a second terminal too) is refused, naming the
// payment it made.
type againValue struct {
	any bool
	id  string
}

func (v *againValue) IsBoolFlag() bool { return true }

func (v *againValue) String() string {
	if v == nil || v.id == "" && !v.any {
		return "false"
	}
	if v.id != "" {
		return v.id
	}
	return "true"
}

func (v *againValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "true", "1":
		v.any, v.id = true, ""
	case "false", "0":
		v.any, v.id = false, ""
	default:
		v.any, v.id = false, strings.TrimSpace(s)
	}
	return nil
}

// againFlagFor is the --again that a possible_duplicate refusal names: for its earlier payment only.
func againFlagFor(de *core.DuplicateError) string {
	id := de.Op.Result
	if id == "" {
		id = de.Op.ID
	}
	return "--again=" + shellQuote(id)
}

// sendOnce sends a payment with send. When core refuses it as a possible duplicate (the same
// payment carried out a moment ago, core.DuplicateError) and a person is there to ask (no --yes,
// a terminal), it names the earlier one and asks before sending it again; with again it is sent
// without that question. A yes covers the payment it named and no later one: when another
// terminal paid it again while this one asked, the newer payment is named and asked about.
// With --again=ID the payment ID names stands for that answer: sent as a second payment of it
// only, never of a later one.
func (a *app) sendOnce(ctx context.Context, again againValue, yes bool, send func(context.Context) error) error {
	if again.any {
		ctx = core.AllowDuplicate(ctx)
	}
	next := ctx
	for {
		err := send(next)
		var de *core.DuplicateError
		if !errors.As(err, &de) {
			return err
		}
		if again.id != "" && (again.id == de.Op.Result || again.id == de.Op.ID) {
			// the payment the printed line named: a second payment of it is meant (once)
			again.id = ""
			next = core.AllowDuplicateUntil(ctx, de.Op.Settled)
			continue
		}
		if yes || a.canConfirm(false) != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%s %s\n", a.paint("1;33", "Possible duplicate:"), duplicateText(de))
		if err := a.confirm(false, "pay it again (a second payment)", "Earlier", duplicateEarlier(de), "Check it", duplicateWhere(de)); err != nil {
			return err
		}
		next = core.AllowDuplicateUntil(ctx, de.Op.Settled)
	}
}

// duplicateText says what the earlier payment of a possible duplicate was, in a line.
func duplicateText(de *core.DuplicateError) string {
	return fmt.Sprintf("the same %s (amount, coin and destination) was carried out from this machine %s ago.", de.What(), agoWords(de.Ago))
}

// duplicateEarlier names the earlier payment: its id and when it was carried out.
func duplicateEarlier(de *core.DuplicateError) string {
	id := de.Op.Result
	if id == "" {
		id = "operation " + de.Op.ID
	}
	return id + " at " + de.Op.Settled.UTC().Format(time.RFC3339)
}

// duplicateWhere says where the earlier payment of a possible duplicate shows: a withdrawal in the
// withdrawal list; a transfer may be an internal move that no history lists (core's reconcile
// settles those by balances), so looking for it there finds nothing and "it failed".
func duplicateWhere(de *core.DuplicateError) string {
	if de.Op.Cmd == "create_transfer" {
		return "compare your balance, 'wallexkit balances': a transfer to a merchant is in no history"
	}
	return "'wallexkit withdrawals list'"
}

// agoWords is d rounded down for people: "40 seconds", "3 minutes", "2 hours".
func agoWords(d time.Duration) string {
	n, unit := int64(d/time.Second), "second"
	switch {
	case d >= time.Hour:
		n, unit = int64(d/time.Hour), "hour"
	case d >= time.Minute:
		n, unit = int64(d/time.Minute), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", max(n, 0), unit)
}

// canConfirm fails early, before any network call, when the command could not ask for a
// confirmation: stdin is not a terminal and --yes is missing, or stdin carries the private key.
func (a *app) canConfirm(yes bool) error {
	if yes {
		return nil
	}
	if !a.isTerminal(a.stdin) {
		return usagef("refusing to move money without confirmation: pass --yes; nothing was sent")
	}
	if a.set.privateKeyFile == "-" {
		return usagef("stdin carries the private key, so it cannot answer the confirmation: pass --yes; nothing was sent")
	}
	return nil
}

// confirm shows what is about to happen (label/value pairs) on stderr and reads y/N from stdin.
// With yes it only returns. Anything but y or yes (EOF included) cancels: nothing is sent.
func (a *app) confirm(yes bool, action string, pairs ...string) error {
	if yes {
		return nil
	}
	if err := a.canConfirm(false); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "About to %s:\n", action)
	tw := tabwriter.NewWriter(a.stderr, 0, 0, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "  %s\t%s\n", pairs[i], orDash(pairs[i+1]))
	}
	tw.Flush()
	fmt.Fprint(a.stderr, "Proceed? [y/N] ")
	line, err := readLine(a.stdin)
	if err != nil && err != io.EOF {
		return usagef("cancelled: cannot read the answer: %v; nothing was sent", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	if err == io.EOF && line == "" {
		fmt.Fprintln(a.stderr)
	}
	return usagef("cancelled: nothing was sent")
}

// readLine reads one line, byte by byte: a buffered reader could take the answer to a second
// question (sendOnce's) with the first.
func readLine(r io.Reader) (string, error) {
	var b []byte
	var c [1]byte
	for {
		n, err := r.Read(c[:])
		if n == 1 {
			b = append(b, c[0])
			if c[0] == '\n' {
				return string(b), nil
			}
		}
		if err != nil {
			return string(b), err
		}
	}
}

// checkAmount parses a positive amount with at most 8 decimals and returns its request form.
func checkAmount(flagName, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", usagef("--%s is required, e.g. --%s 0.5", flagName, flagName)
	}
	amt, err := core.ParseAmount(s)
	if err != nil {
		return "", err
	}
	if amt.Sign() <= 0 {
		return "", usagef("--%s must be greater than zero", flagName)
	}
	return amt.Text(), nil
}

// checkAmountCoin checks --amount and the coin flag named coinFlag together, as every
// money-moving command needs both.
func checkAmountCoin(amount, coinFlag, coin string) (string, string, error) {
	amt, err := checkAmount("amount", amount)
	if err != nil {
		return "", "", err
	}
	coin, err = checkTicker(coinFlag, coin)
	return amt, coin, err
}

// checkTicker normalises a ticker flag (upper case) or explains what is wrong.
func checkTicker(flagName, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", usagef("--%s is required, e.g. --%s BTC", flagName, flagName)
	}
	return core.CheckTicker(flagName, s)
}

// statusWithText shows a status number with its words: the API's status_text when it sent one,
// else core's (one source for the words of every status).
func statusWithText[S interface {
	~int
	fmt.Stringer
}](st S, apiText string) string {
	if apiText == "" {
		apiText = st.String()
	}
	return fmt.Sprintf("%d (%s)", int(st), apiText)
}

// globalArgs are the global flags a printed command line needs that the environment does not
// give (never a secret): "wallexkit --api-url ... --no-nonce".
func (a *app) globalArgs() []string {
	args := []string{"wallexkit"}
	envSet, _ := settingsFromEnv(a.getenv)
	envURL := a.getenv("WALLEX_API_URL")
	if envURL == "" {
		envURL = core.DefaultAPIURL
	}
	envKey := a.getenv("WALLEX_PUBLIC_KEY")
	if p := a.profileSet; p != nil {
		// The profile gave what the environment did not, the private key's source among it: the
		// line names the profile (a line with its public key alone would have no private key, and
		// would keep the default profile from being applied).
		args = append(args, "--profile", a.profileUsed)
		if a.getenv("WALLEX_API_URL") == "" {
			envURL = p.APIURL
		}
		if envKey == "" {
			envKey = p.PublicKey
		}
		if p.NoNonce && a.getenv("WALLEX_NONCE") == "" {
			envSet.nonce = false
		}
	}
	if a.set.apiURL != envURL {
		args = append(args, "--api-url", a.set.apiURL)
	}
	if a.set.publicKey != envKey {
		args = append(args, "--public-key", a.set.publicKey)
	}
	if p := a.set.privateKeyFile; p != "" {
		args = append(args, "--private-key-file", p)
	}
	if a.set.nonce != envSet.nonce {
		if a.set.nonce {
			args = append(args, "--nonce")
		} else {
			args = append(args, "--no-nonce")
		}
	}
	if a.set.insecureHTTP {
		args = append(args, "--insecure-http")
	}
	if a.set.inFlight != envSet.inFlight && a.set.inFlight > 0 {
		args = append(args, "--in-flight-window", a.set.inFlight.String())
	}
	// the timeout sets the in-flight bounds too (a request's deadline): a line run with another
	// would end a wait sooner
	if a.set.timeout != envSet.timeout && a.set.timeout > 0 {
		args = append(args, "--timeout", a.set.timeout.String())
	}
	return args
}

// printedLine is a wallexkit command line for a person or script to run next: the global flags
// the environment does not give, then args. What it acts on lives in this run's state file
// (operation records, the nonce mark, payout journals by default): when WALLEX_STATE chose it, the
// line sets it too, so that run as printed it finds them (elsewhere it would find none).
func (a *app) printedLine(args ...string) string {
	line := shellJoin(append(a.globalArgs(), args...))
	if p := a.getenv("WALLEX_STATE"); p != "" {
		line = "WALLEX_STATE=" + shellQuote(p) + " " + line
	}
	return a.redact(line)
}

// opReconcileLine is the command that settles an unresolved operation recorded in the state file.
func (a *app) opReconcileLine(id string) string { return a.printedLine("reconcile", "--op", id) }

// opVerdict adds to a reconcile --op verdict which state file it comes from, when the answer is
// that the file holds no record of the operation: true of that file only. An operation recorded
// with another state file (WALLEX_STATE) must be reconciled with that one.
func (a *app) opVerdict(id string, res *core.ReconcileResult) *core.ReconcileResult {
	if res == nil || !res.NoRecord {
		return res
	}
	out := *res
	out.Proven = false // of this state file only: nothing proves another did not send it
	// what the core says of its store, said of the file asked (Next says what to do)
	out.Detail = "no record of operation " + id + " in the state file " + a.stateName() + " (public key " + a.set.publicKey + ", API " + a.set.apiURL +
		"): every request is recorded there before it leaves, and a trace of it kept for " +
		strconv.Itoa(int(core.OpForgottenRetention/(24*time.Hour))) + " days, so it was not sent with this file"
	return &out
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, s := range args {
		q[i] = shellQuote(s)
	}
	return strings.Join(q, " ")
}

// checkAddressFormat refuses an address that does not have the coin's format and checksum (a
// typo), before anything is sent.
func checkAddressFormat(flagName, coin, address string) error {
	var ve *core.ValidationError
	if err := core.CheckAddress(coin, address); errors.As(err, &ve) {
		return usagef("--%s %s %s: check it against the address you were given; nothing was sent", flagName, clip(address, 60), ve.Problem)
	}
	return nil
}

// preflight checks a payout against the account before anything is sent: the coin must be one
// the account has enabled (rates accepted=1) and the amount within the balance. It returns the
// network fee (when rates gives one) for the confirmation. If the account cannot be read, it
// warns and lets the API decide.
func (a *app) preflight(ctx context.Context, c *core.Client, coin, amount string, addFee bool) (fee *core.Amount, err error) {
	amt, err := core.ParseAmount(amount)
	if err != nil {
		return nil, err
	}
	rates, rerr := c.Rates(ctx, &core.RatesParams{Accepted: true})
	bal, berr := c.Balances(ctx, nil)
	if rerr != nil || berr != nil {
		a.warnf("could not check the coin and the balance first (%s); the API checks them when the request is sent", a.redact(firstErr(rerr, berr).Error()))
		return nil, nil
	}
	rate, ok := rates.Get(coin)
	if !ok {
		return nil, usagef("%s is not enabled on this account (see 'wallexkit rates --accepted'); nothing was sent", coin)
	}
	have := bal.Get(coin)
	if amt.Cmp(have) > 0 {
		return nil, usagef("%s is more than the %s balance (%s); nothing was sent", coinAmount(amt, coin), coin, coinAmount(have, coin))
	}
	if f, err := rate.TxFee.Amount(); err == nil && f.Sign() > 0 {
		fee = &f
		if total, err := amt.Add(f); err == nil && addFee && total.Cmp(have) > 0 {
			a.warnf("%s plus the network fee %s is more than the %s balance (%s): the API may refuse it", coinAmount(amt, coin), coinAmount(f, coin), coin, coinAmount(have, coin))
		}
	}
	return fee, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
