package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wallexkit/wallexkit/core"
)

// Shared by the commands that move money: confirmation, local checks, and the reconcile hint
// printed when an outcome is unknown.

const yesHelp = "Money is moved only after a confirmation: on a terminal the command shows what it will\n" +
	"send and asks y/N; otherwise (a script, a pipe) it refuses unless --yes is given."

// canConfirm fails early, before any network call, when the command could not ask for a
// confirmation: stdin is not a terminal and --yes is missing, or stdin carries the private key.
func (a *app) canConfirm(yes bool) error {
	if yes {
		return nil
	}
	if !a.isTerminal(a.stdin) {
		return usagef("refusing to move money without confirmation: pass --yes")
	}
	if a.set.privateKeyFile == "-" {
		return usagef("stdin carries the private key, so it cannot answer the confirmation: pass --yes")
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
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
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
func (a *app) opVerdict(res *core.ReconcileResult) *core.ReconcileResult {
	if res == nil || !res.NoRecord {
		return res
	}
	out := *res
	out.Proven = false // of this state file only: nothing proves another did not send it
	out.Detail += "; the store asked: the state file " + a.stateName() + " (public key " + a.set.publicKey + ", API " + a.set.apiURL +
		"), so an operation sent with another state file (WALLEX_STATE) or other keys is reconciled with those"
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
func (a *app) preflight(ctx context.Context, c *core.Client, coin, amount string, addFee bool) (feeText string, err error) {
	amt, err := core.ParseAmount(amount)
	if err != nil {
		return "", err
	}
	rates, rerr := c.Rates(ctx, &core.RatesParams{Accepted: true})
	bal, berr := c.Balances(ctx, nil)
	if rerr != nil || berr != nil {
		a.warnf("could not check the coin and the balance first (%s); the API checks them when the request is sent", a.redact(firstErr(rerr, berr).Error()))
		return "", nil
	}
	rate, ok := rates.Get(coin)
	if !ok {
		return "", usagef("%s is not enabled on this account (see 'wallexkit rates --accepted'); nothing was sent", coin)
	}
	have := bal.Get(coin)
	if amt.Cmp(have) > 0 {
		return "", usagef("%s is more than the %s balance (%s); nothing was sent", coinAmount(amt, coin), coin, coinAmount(have, coin))
	}
	if fee, err := rate.TxFee.Amount(); err == nil && fee.Sign() > 0 {
		feeText = coinAmount(fee, coin)
		if total, err := amt.Add(fee); err == nil && addFee && total.Cmp(have) > 0 {
			a.warnf("%s plus the network fee %s is more than the %s balance (%s): the API may refuse it", coinAmount(amt, coin), feeText, coin, coinAmount(have, coin))
		}
	}
	return feeText, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
