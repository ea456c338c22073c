package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Why cobra: the CLI keeps its own command table (app.go) and help texts, and cobra parses the
// flags (global flags before or after the command, interspersed with arguments), answers --help
// and --version on every command and group with exit 0, and generates the shell completion
// scripts for bash, zsh, fish and PowerShell from the same tree — well-tested code we would
// otherwise write four times.

// root builds the command tree for one run.
func (a *app) root(ctx context.Context) *cobra.Command {
	root := &cobra.Command{
		Use:           "wallexkit",
		Short:         "command-line client for the Wallex Pay merchant API, with a local sandbox",
		Version:       versionLine(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(args[0])
			}
			_ = writeMainHelp(a.stderr)
			return usagef("no command given: see the list above")
		},
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	a.set.register(root.PersistentFlags())
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return flagError(err, commandName(cmd), flagNames(cmd)) })
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { a.writeHelpFor(cmd) })
	root.SetHelpCommand(&cobra.Command{Use: "no-help", Hidden: true})

	// A one-word command that also heads two-word ones ("sandbox", "sandbox pay") is their
	// parent; otherwise the first word is a group that only holds subcommands ("tx").
	parents := map[string]*cobra.Command{}
	for _, c := range commandTable() {
		c := c
		words := strings.Fields(c.name)
		parent := root
		if len(words) == 2 {
			g := parents[words[0]]
			if g == nil {
				g = groupCommand(words[0])
				parents[words[0]] = g
				root.AddCommand(g)
			}
			parent = g
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		runCmd := c.setup(fs)
		cc := &cobra.Command{
			Use:                words[len(words)-1],
			Short:              c.summary,
			Args:               cobra.ArbitraryArgs,
			DisableFlagParsing: c.rawArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if !c.rawArgs {
					if err := flagGivenTwice(cmd, a.argv); err != nil {
						return err
					}
				}
				if err := a.set.check(); err != nil {
					return err
				}
				if !strings.HasPrefix(c.name, "profiles") {
					if err := a.applyProfile(cmd.Flags().Changed); err != nil {
						return err
					}
				}
				if a.set.output == "csv" && c.name != "statement" { // before anything is sent
					return usagef("-o csv is for 'wallexkit statement': use -o table or -o json with %s", c.name)
				}
				a.cmd = cmd
				return runCmd(ctx, a, args)
			},
		}
		cc.Flags().AddGoFlagSet(fs)
		parent.AddCommand(cc)
		if len(words) == 1 {
			parents[words[0]] = cc
		}
	}
	return root
}

// groupCommand is a command that only holds subcommands ("tx", "withdrawals", ...).
func groupCommand(name string) *cobra.Command {
	return &cobra.Command{
		Use:                name,
		Args:               cobra.ArbitraryArgs,
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true}, // "tx --limit 1": name the missing subcommand
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, c := range groupCommands(name) {
				names = append(names, strings.TrimPrefix(c.name, name+" "))
			}
			if len(args) > 0 {
				return usagef("unknown subcommand %q of %s: use %s (see 'wallexkit help %s')", args[0], name, strings.Join(names, ", "), name)
			}
			return usagef("%s needs a subcommand: %s (see 'wallexkit help %s')", name, strings.Join(names, ", "), name)
		},
	}
}

// commandName is the command's name in the table ("tx info"), "" for the root.
func commandName(cmd *cobra.Command) string {
	path := strings.Fields(cmd.CommandPath())
	if len(path) <= 1 {
		return ""
	}
	return strings.Join(path[1:], " ")
}

// writeHelpFor prints the help of cmd (the root, a group or a command) on stdout.
func (a *app) writeHelpFor(cmd *cobra.Command) {
	name := commandName(cmd)
	if c, ok := lookupCommand(name); ok {
		_ = writeCommandHelp(a.stdout, c)
		return
	}
	if sub := groupCommands(name); len(sub) > 0 {
		_ = writeGroupHelp(a.stdout, name, sub)
		return
	}
	_ = writeMainHelp(a.stdout)
}

// flagError rewords pflag's errors, names the nearest flag of the command to one mistyped
// (--curency: did you mean --currency?), and points at the help.
func flagError(err error, cmd string, flags []string) error {
	msg, near := err.Error(), ""
	if name, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		msg = "unknown flag " + name
		near = nearest(strings.TrimPrefix(name, "--"), flags)
	} else if name, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		msg = "unknown flag " + name
	}
	help := "wallexkit help"
	if cmd != "" {
		help += " " + cmd
	} else {
		msg += " (flags of a command go after the command name)"
	}
	if near != "" {
		return usagef("%s: did you mean --%s? (see '%s')", msg, near, help)
	}
	return usagef("%s: see '%s'", msg, help)
}

// flagNames lists the long flags cmd takes (its own and the global ones).
func flagNames(cmd *cobra.Command) []string {
	var out []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { out = append(out, f.Name) })
	cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) { out = append(out, f.Name) })
	return out
}

// register adds the global flags to fs, with the current settings as defaults.
func (s *settings) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.apiURL, "api-url", s.apiURL, "API base URL")
	fs.StringVar(&s.publicKey, "public-key", s.publicKey, "API public key")
	fs.StringVar(&s.privateKey, "private-key", s.privateKey, "API private key")
	fs.StringVar(&s.privateKeyFile, "private-key-file", s.privateKeyFile, "file holding the private key, - for stdin")
	fs.BoolVar(&s.nonce, "nonce", s.nonce, "send nonces (the default)")
	fs.BoolVar(&s.noNonce, "no-nonce", s.noNonce, "send no nonces")
	fs.DurationVar(&s.timeout, "timeout", s.timeout, "give up on a call after this long")
	fs.DurationVar(&s.inFlight, "in-flight-window", s.inFlight, "without nonces: how long after its deadline a lost request may still land")
	fs.StringVar(&s.format, "format", s.format, "wire format: json or xml")
	fs.BoolVar(&s.insecureHTTP, "insecure-http", s.insecureHTTP, "allow plain http to a non-loopback host")
	fs.StringVarP(&s.output, "output", "o", s.output, "output: table or json")
	fs.StringVar(&s.profile, "profile", s.profile, "use the saved profile NAME")
}

func isGlobalFlag(name string) bool {
	var s settings
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	s.register(fs)
	return fs.Lookup(name) != nil || (len(name) == 1 && fs.ShorthandLookup(name) != nil)
}

// flagGivenTwice refuses a flag given more than once in argv (the command line): the parser keeps
// the last value, so "pay create --amount 12.50 ... --amount 3" charged 3 without a word. No flag
// of wallexkit takes several values.
func flagGivenTwice(cmd *cobra.Command, argv []string) error {
	lookup := func(name string, short bool) *pflag.Flag {
		for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
			if short {
				if f := fs.ShorthandLookup(name); f != nil {
					return f
				}
			} else if f := fs.Lookup(name); f != nil {
				return f
			}
		}
		return nil
	}
	seen := map[string]string{}
	for _, arg := range argv {
		if arg == "--" {
			break
		}
		var f *pflag.Flag
		switch {
		case strings.HasPrefix(arg, "--"):
			name, _, _ := strings.Cut(arg[2:], "=")
			f = lookup(name, false)
		case len(arg) >= 2 && arg[0] == '-' && arg[1] != '-':
			f = lookup(arg[1:2], true)
		}
		if f == nil {
			continue
		}
		if _, twice := seen[f.Name]; twice {
			return usagef("--%s is given twice: give it once, with the value you mean", f.Name)
		}
		seen[f.Name] = arg
	}
	return nil
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// dispatch parses args with the command tree and runs the command.
func (a *app) dispatch(ctx context.Context, args []string) error {
	set, err := settingsFromEnv(a.getenv)
	if err != nil {
		return err
	}
	a.set = set
	a.argv = args
	root := a.root(ctx)
	a.rootCmd = root
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	var usage *usageError
	if err != nil && !errors.As(err, &usage) && strings.HasPrefix(err.Error(), "unknown command ") {
		return usagef("%s: run 'wallexkit help' for the list", strings.SplitN(err.Error(), " for ", 2)[0])
	}
	if err != nil && errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	return err
}

func versionLine() string {
	return fmt.Sprintf("wallexkit %s", versionInfo())
}
