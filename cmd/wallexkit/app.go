package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/core/xmlwire"
	"golang.org/x/term"
)

// version is the release (core.Version); a build may override it with
// -ldflags "-X main.version=v1.2.3".
var version = core.Version

// Exit codes. Other tooling relies on them.
const (
	exitOK        = 0 // success
	exitAPI       = 1 // the API answered with an error (or another failure)
	exitUsage     = 2 // bad usage or bad input: the message says what to fix
	exitTransport = 3 // the API could not be reached or its answer not understood
	exitUnknown   = 4 // a money command's outcome is unknown: reconcile, never resend
)

// usageError is bad usage or bad input found by the CLI itself (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// codedError is a failure whose exit code the command chose itself (mass-withdraw reports
// its rows and then exits 1, 3 or 4). Its message is printed like any other error.
type codedError struct {
	code int
	msg  string
}

func (e *codedError) Error() string { return e.msg }

// command is one entry of the command table. To add a command, write a constructor in a
// cmd_*.go file and list it in commandTable. A name of two words ("tx info") is a subcommand:
// the words that share the first one form a group ("tx").
type command struct {
	name    string
	args    string // what follows the name in the synopsis, e.g. "CURRENCY" or "[--all]"
	summary string // one line for the command list
	help    string // the longer text of `wallexkit help NAME`
	// setup registers the command's own flags on fs and returns the function that runs the
	// command once every flag is parsed. args are the positional arguments.
	setup func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error
	// rawArgs passes every argument after the command name through unparsed (call's fields).
	rawArgs bool
}

// commandTable lists every command in the order the help shows them.
func commandTable() []command {
	return []command{
		infoCommand(),
		balancesCommand(),
		depositAddressCommand(),
		ratesCommand(),
		callCommand(),
		payCreateCommand(),
		txInfoCommand(),
		txListCommand(),
		statementCommand(),
		transferCommand(),
		withdrawCommand(),
		withdrawalsListCommand(),
		withdrawalsInfoCommand(),
		convertCommand(),
		massWithdrawCommand(),
		reconcileCommand(),
		opsListCommand(),
		opsForgetCommand(),
		ipnVerifyCommand(),
		ipnListenCommand(),
		listenCommand(),
		triggerCommand(),
		loginCommand(),
		logoutCommand(),
		sandboxCommand(),
		consoleCommand(),
		profilesListCommand(),
		profilesAddCommand(),
		profilesUseCommand(),
		profilesRemoveCommand(),
		sandboxPayCommand(),
		sandboxExpireCommand(),
		sandboxWithdrawalCommand(),
		versionCommand(),
		completionCommand(),
		helpCommand(),
	}
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commandTable() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// groupCommands lists the subcommands of group ("tx" → tx info, tx list).
func groupCommands(group string) []command {
	var out []command
	for _, c := range commandTable() {
		if strings.HasPrefix(c.name, group+" ") {
			out = append(out, c)
		}
	}
	return out
}

// settings are the global options, read from the environment and then from flags.
type settings struct {
	apiURL         string
	publicKey      string
	privateKey     string
	privateKeyFile string
	nonce          bool // on unless --no-nonce or WALLEX_NONCE=0 (spec §4: on in every wallexkit tool)
	noNonce        bool
	timeout        time.Duration // per call; 0 = core's default (30 s)
	inFlight       time.Duration // without nonces: how long after its deadline a request may still land
	format         string        // wire format: json or xml
	insecureHTTP   bool
	output         string // table, json (or csv: statement)
	profile        string // --profile or WALLEX_PROFILE
}

func settingsFromEnv(getenv func(string) string) (settings, error) {
	s := settings{
		apiURL:     getenv("WALLEX_API_URL"),
		publicKey:  getenv("WALLEX_PUBLIC_KEY"),
		privateKey: getenv("WALLEX_PRIVATE_KEY"),
		profile:    getenv("WALLEX_PROFILE"),
		format:     "json",
		output:     "table",
		nonce:      true,
	}
	if s.apiURL == "" {
		s.apiURL = core.DefaultAPIURL
	}
	if v := getenv("WALLEX_NONCE"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return s, usagef("WALLEX_NONCE=%q is not a boolean: use 1 (the default) or 0 to turn nonces off", v)
		}
		s.nonce = on
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{"WALLEX_TIMEOUT", &s.timeout}, {"WALLEX_IN_FLIGHT_WINDOW", &s.inFlight}} {
		if v := getenv(d.env); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return s, usagef("%s=%q is not a positive duration such as 30s or 2m", d.env, v)
			}
			*d.to = t
		}
	}
	return s, nil
}

func (s *settings) check() error {
	if s.noNonce {
		s.nonce = false
	}
	if s.timeout < 0 || s.inFlight < 0 {
		return usagef("--timeout and --in-flight-window must be positive durations such as 30s")
	}
	switch s.output {
	case "table", "json", "csv":
	default:
		return usagef("-o %q: use -o table or -o json (or -o csv for statement)", s.output)
	}
	switch s.format {
	case "json", "xml":
	default:
		return usagef("--format %q: use --format json or --format xml", s.format)
	}
	return nil
}

// app is one run of the CLI: its IO, environment and settings.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	set    settings
	// isTerminal reports whether stdin or stderr is a terminal (money commands ask to
	// confirm on one; progress bars redraw on one). Tests replace it.
	isTerminal func(f any) bool
	// now is the clock (tests may replace it).
	now func() time.Time

	rootCmd *cobra.Command // the command tree of this run
	cmd     *cobra.Command // the command running

	privKey     string // resolved private key, once read
	privKeyRead bool
	argv        []string // the command line, after the program's name
	profileUsed string   // the profile applied, if any
	profileSet  *profile // that profile (the settings it gives, for the lines printed to run next)
	keySource   *profile // where the private key comes from when a profile gave it
	secrets     []string // other secrets to keep out of the output (IPN secret)
}

// run is the whole CLI. It returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newApp(stdin, stdout, stderr, getenv).main(ctx, args)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, isTerminal: isTerminal, now: time.Now}
}

// main runs the CLI with args and returns the exit code.
func (a *app) main(ctx context.Context, args []string) int {
	if err := a.dispatch(ctx, args); err != nil {
		return a.fail(err)
	}
	return exitOK
}

// isTerminal reports whether f is a terminal (golang.org/x/term): not a pipe, a file, or
// /dev/null, so that money without a terminal needs --yes.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && file != nil && term.IsTerminal(int(file.Fd()))
}

// colour reports whether stderr may carry colour: a terminal, and neither NO_COLOR
// (https://no-color.org) nor TERM=dumb.
func (a *app) colour() bool {
	return a.isTerminal(a.stderr) && a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
}

// warnf prints a warning on stderr.
func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "%s %s\n", a.paint("1;33", "wallexkit: warning:"), fmt.Sprintf(format, args...))
}

// paint wraps s in an ANSI style when colour is on.
func (a *app) paint(style, s string) string {
	if !a.colour() {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// fail prints err on stderr (secrets removed) and returns its exit code.
func (a *app) fail(err error) int {
	if a.set.output == "json" {
		a.failJSON(err)
		return exitCode(err)
	}
	var (
		ou *core.OutcomeUnknownError
		pe *core.PendingOpError
		de *core.DuplicateError
		ne *core.NonceError
	)
	if errors.As(err, &de) {
		// one message in the CLI's words, with what to run (the core's text says the same, less)
		earlier := de.What() + " " + de.Op.Result
		if de.Op.Result == "" {
			earlier = "operation " + de.Op.ID
		}
		fmt.Fprintf(a.stderr, "%s %s\n", a.paint("1;31", "wallexkit:"), a.redact("not sent: the same "+de.What()+
			" (amount, coin and destination) was carried out at "+de.Op.Settled.UTC().Format(time.RFC3339)+" ("+earlier+"): a possible duplicate."))
		fmt.Fprintf(a.stderr, "Check it (%s); to pay again on purpose, run the same command with %s.\n", duplicateWhere(de), againFlagFor(de))
		return exitCode(err)
	}
	msg := err.Error()
	if errors.As(err, &pe) && pe.Op.State.Unresolved() {
		// what the earlier one was, in the CLI's words; printPendingOp says what to run (the
		// core's text says "not sent ... reconcile it first" as well, with its 'wallex CMD:' prefix)
		msg = pendingWhat(pe.Op.Cmd) + " was sent at " + pe.Op.SentAt.UTC().Format(time.RFC3339) +
			" (operation " + pe.Op.ID + ") and its outcome is unknown: it may have been carried out."
	}
	fmt.Fprintf(a.stderr, "%s %s\n", a.paint("1;31", "wallexkit:"), a.redact(msg))
	switch {
	case errors.As(err, &ou):
		a.printOutcomeUnknown(ou)
	case errors.As(err, &pe):
		a.printPendingOp(pe)
	case errors.As(err, &ne) && ne.Required:
		fmt.Fprintln(a.stderr, "This API key has been used with nonces (by another tool, or this one), so every call must carry one:\n"+
			"drop --no-nonce and WALLEX_NONCE=0 (nonces are on by default).")
	}
	return exitCode(err)
}

// pendingWhat names an earlier request like this one, as core's guard compares them
// (sameOperation: a withdrawal or transfer by amount, coin and destination, whatever its note).
func pendingWhat(cmd string) string {
	switch cmd {
	case "create_withdrawal":
		return "a withdrawal of the same amount of the same coin to the same destination"
	case "create_transfer":
		return "a transfer of the same amount of the same coin to the same destination"
	case "convert":
		return "the same conversion"
	}
	return "an identical request (" + cmd + ")"
}

// failJSON prints err as one JSON object on stderr (-o json): {"error": {code, message, exit,
// retryable, and what to run next when an outcome is unknown}}.
func (a *app) failJSON(err error) {
	e := struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Exit      int    `json:"exit"`
		Retryable bool   `json:"retryable"`
		OpID      string `json:"op_id,omitempty"`
		Next      string `json:"next,omitempty"`
	}{Code: string(core.CodeOf(err)), Message: a.redact(err.Error()), Exit: exitCode(err), Retryable: core.IsRetryable(err)}
	var (
		usage *usageError
		coded *codedError
		ou    *core.OutcomeUnknownError
		pe    *core.PendingOpError
		de    *core.DuplicateError
	)
	switch {
	case errors.As(err, &usage):
		e.Code = "usage"
	case errors.As(err, &coded):
		e.Code = "failed"
		if coded.code == exitUnknown {
			e.Code = string(core.CodeOutcomeUnknown)
		}
	case errors.As(err, &ou):
		e.OpID, e.Next = ou.OpID, a.opReconcileLine(ou.OpID)
	case errors.As(err, &pe):
		e.OpID, e.Next = pe.Op.ID, a.pendingOpLine(pe)
	case errors.As(err, &de):
		e.OpID, e.Next = de.Op.ID, "check "+duplicateEarlier(de)+" ("+duplicateWhere(de)+"); to pay again on purpose, run the same command with "+againFlagFor(de)
	}
	_ = json.NewEncoder(a.stderr).Encode(map[string]any{"error": e})
}

// exitCode maps an error to the documented exit codes: one switch on core's error code.
func exitCode(err error) int {
	var (
		coded *codedError
		usage *usageError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &coded):
		return coded.code
	case errors.As(err, &usage):
		return exitUsage
	}
	switch core.CodeOf(err) {
	case core.CodeOutcomeUnknown, core.CodePendingOperation:
		return exitUnknown
	case core.CodeInvalidInput:
		return exitUsage
	case core.CodeTransport, core.CodeRateLimited, core.CodeTimeout:
		return exitTransport
	}
	return exitAPI // the API refused it, or anything else (state file trouble, interrupted)
}

// redact removes the private key and bearer tokens from text bound for the terminal. The core
// already redacts its errors; this is a second line of defence.
func (a *app) redact(s string) string {
	for _, sec := range append([]string{a.privKey, a.set.privateKey}, a.secrets...) {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	if i := strings.Index(s, "Bearer "); i >= 0 {
		j := i + len("Bearer ")
		for j < len(s) && s[j] != ' ' && s[j] != '"' && s[j] != '\n' {
			j++
		}
		s = s[:i] + "Bearer [redacted]" + a.redact(s[j:])
	}
	return s
}

// privateKey returns the private key from --private-key-file, else --private-key or
// WALLEX_PRIVATE_KEY.
func (a *app) privateKey() (string, error) {
	if a.privKeyRead {
		return a.privKey, nil
	}
	key := a.set.privateKey
	if p := a.set.privateKeyFile; p != "" {
		var (
			b   []byte
			err error
		)
		if p == "-" {
			b, err = io.ReadAll(io.LimitReader(a.stdin, 64<<10))
		} else {
			if err := checkKeyFileMode(p); err != nil { // as a profile's key file (and ssh's keys)
				return "", err
			}
			b, err = os.ReadFile(p)
		}
		if err != nil {
			return "", usagef("cannot read the private key: %v", err)
		}
		key = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if key == "" {
			return "", usagef("the private key file %s is empty", p)
		}
	}
	if key == "" && a.keySource != nil {
		k, err := a.profileKey(context.Background(), a.keySource)
		if err != nil {
			return "", err
		}
		key = k
	}
	if key == "" {
		return "", usagef("missing private key: set WALLEX_PRIVATE_KEY, pass --private-key-file PATH (- reads stdin), or use a profile (see 'wallexkit profiles')")
	}
	a.privKey, a.privKeyRead = key, true
	return key, nil
}

// statePath is where the token and nonce are cached: WALLEX_STATE, else
// <user config dir>/wallexkit/state.json.
func (a *app) statePath() (string, error) { return a.configFile("WALLEX_STATE", "state.json") }

// configFile is the file named by the environment variable env, else name in
// <user config dir>/wallexkit/.
func (a *app) configFile(env, name string) (string, error) {
	if p := a.getenv(env); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usagef("cannot find the user config directory (%v): set %s to a file path", err, env)
	}
	return filepath.Join(dir, "wallexkit", name), nil
}

// client builds an API client from the settings. The state file is its token store and nonce
// store; tokens in it are sealed with a key derived from the private key. Without
// needPrivateKey (logout) the store can only delete tokens, not read them.
func (a *app) client(needPrivateKey bool) (*core.Client, error) {
	if a.set.publicKey == "" {
		return nil, usagef("missing public key: set WALLEX_PUBLIC_KEY or pass --public-key")
	}
	var priv string
	if needPrivateKey {
		var err error
		if priv, err = a.privateKey(); err != nil {
			return nil, err
		}
	}
	path, err := a.statePath()
	if err != nil {
		return nil, err
	}
	store, err := filestore.New(path, []byte(priv))
	if err != nil {
		return nil, fmt.Errorf("cannot open the state file %s: %w", path, err)
	}
	opts := []core.Option{
		core.WithAPIURL(a.set.apiURL),
		core.WithKeys(a.set.publicKey, priv),
		core.WithTransport(nethttp.New(nil)),
		core.WithTokenStore(store),
		core.WithOpStore(store),
		core.WithDuplicateCheck(core.DuplicateWindow), // a person's tool: see againHelp
		core.WithUserAgent("wallexkit-cli/" + version),
	}
	if a.set.nonce {
		opts = append(opts, core.WithNonces(store))
	}
	if a.set.timeout > 0 {
		opts = append(opts, core.WithTimeout(a.set.timeout))
	}
	if a.set.inFlight > 0 {
		opts = append(opts, core.WithInFlightWindow(a.set.inFlight))
	}
	if v := a.getenv("WALLEX_FENCE_PAUSE"); v != "" { // for tests: the pause between the fence's two reads
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			opts = append(opts, core.WithFencePause(d))
		}
	}
	if a.set.format == "xml" {
		opts = append(opts, core.WithWireFormat("xml", xmlwire.ToJSON))
	}
	if a.set.insecureHTTP {
		opts = append(opts, core.WithInsecureHTTP())
	}
	return core.New(opts...)
}

// noArgs refuses positional arguments for commands that take none.
func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q: see 'wallexkit help %s'", cmd, args[0], cmd)
	}
	return nil
}

// unknownCommand is the usage error for a first word that names no command, with the nearest
// command name when one is a small typo away ("balance", "blances" → balances).
func unknownCommand(name string) error {
	if s := suggestCommand(name); s != "" {
		return usagef("unknown command %q: did you mean '%s'? (run 'wallexkit help' for the list)", name, s)
	}
	return usagef("unknown command %q: run 'wallexkit help' for the list", name)
}

// suggestCommand returns the command (or group) name nearest to name (see nearest).
func suggestCommand(name string) string {
	var names []string
	for _, c := range commandTable() {
		names = append(names, strings.Fields(c.name)[0])
	}
	return nearest(name, names)
}

// nearest returns the name in names nearest to name, or "" when none is close: at most 2 edits,
// or 1 for names of 4 letters or fewer (a command, a flag).
func nearest(name string, names []string) string {
	name = strings.ToLower(name)
	best, bestDist := "", -1
	for _, w := range names {
		d := editDistance(name, w)
		if bestDist < 0 || d < bestDist {
			best, bestDist = w, d
		}
	}
	limit := 2
	if len(name) <= 4 {
		limit = 1
	}
	if bestDist < 0 || bestDist > limit || bestDist == 0 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes; command names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
