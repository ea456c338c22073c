package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/wallexkit/wallexkit/core"
)

func versionCommand() command {
	return command{
		name:    "version",
		summary: "print the version",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(_ context.Context, a *app, args []string) error {
				if err := noArgs("version", args); err != nil {
					return err
				}
				if a.set.output == "json" {
					return a.show(buildInfo(), nil)
				}
				_, err := fmt.Fprintln(a.stdout, versionLine())
				return err
			}
		},
	}
}

// buildInfo is what 'version' reports: the release (set with -ldflags "-X main.version=v1.2.3"),
// the commit and its time when the binary was built from a git checkout, and the Go toolchain.
type buildInfoView struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func buildInfo() buildInfoView {
	v := buildInfoView{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
		if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
	}
	return v
}

// versionInfo is the one-line build description.
func versionInfo() string {
	b := buildInfo()
	s := b.Version
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (" + c
		if b.Modified {
			s += "+changes"
		}
		if b.Time != "" {
			s += ", " + b.Time
		}
		s += ")"
	}
	return s + " " + b.Go + " " + b.Platform
}

func helpCommand() command {
	return command{
		name:    "help",
		args:    "[COMMAND]",
		summary: "show this help, or the help of one command",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(_ context.Context, a *app, args []string) error {
				switch len(args) {
				case 0:
					return writeMainHelp(a.stdout)
				case 1, 2:
					name := strings.Join(args, " ")
					if cmd, ok := lookupCommand(name); ok {
						return writeCommandHelp(a.stdout, cmd)
					}
					if sub := groupCommands(name); len(sub) > 0 {
						return writeGroupHelp(a.stdout, name, sub)
					}
					if len(args) == 1 {
						return unknownCommand(name)
					}
					return usagef("unknown command %q: run 'wallexkit help' for the list", name)
				}
				return usagef("help takes at most one command name")
			}
		},
	}
}

const globalHelp = `Global flags (before or after the command):
  --api-url URL            API base URL (env WALLEX_API_URL; default https://wallexpay.io/api)
  --public-key KEY         API public key (env WALLEX_PUBLIC_KEY)
  --private-key KEY        API private key (env WALLEX_PRIVATE_KEY); other local users can see
                           command lines, so prefer the environment or --private-key-file
  --private-key-file PATH  read the private key from PATH, - for stdin (a trailing newline is dropped)
  --no-nonce               send no nonces (env WALLEX_NONCE=0; --nonce turns them on). They are on by default, in
                           every wallexkit tool: they keep calls of one key in order and let a
                           lost money request be proven not carried out at once (a nonce fence)
  --timeout DURATION       give up on a call after this long (env WALLEX_TIMEOUT; default 30s)
  --in-flight-window DUR   how long after its deadline a lost request that no nonce fence covers
                           (sent without nonces, or reconciled by its fields without its nonce) may
                           still land (env WALLEX_IN_FLIGHT_WINDOW; default 2m); nothing is sent
                           again before then
  --format json|xml        wire format the API answers in (default json)
  --insecure-http          allow plain http to a host that is not loopback (sends keys unencrypted)
  -o table|json            output: readable table (default) or JSON (statement also takes csv)
  --profile NAME           use a saved profile: its API URL, public key and private key source
                           (env WALLEX_PROFILE; see 'wallexkit profiles')

Environment:
  WALLEX_API_URL           API base URL
  WALLEX_PUBLIC_KEY        API public key
  WALLEX_PRIVATE_KEY       API private key
  WALLEX_NONCE=0           send no nonces (default 1)
  WALLEX_TIMEOUT           per-call timeout, e.g. 30s
  WALLEX_IN_FLIGHT_WINDOW  see --in-flight-window
  WALLEX_STATE             state file (default <user config dir>/wallexkit/state.json)
  WALLEX_IPN_SECRET        IPN secret for 'ipn verify' and 'ipn listen'
  WALLEX_MERCHANT_ID       merchant ID for 'ipn verify' and 'ipn listen'
  WALLEX_PROFILE           profile to use (--profile)
  WALLEX_PROFILES          profiles file (default <user config dir>/wallexkit/profiles.json)

Tokens: login caches the token in the state file (mode 0600) for later commands, sealed with a
key derived from the private key; it never holds the token or the private key in plain text.

Exit status:
  0  success
  1  the API answered with an error, or the same payment was carried out in the last DUPHOURS hours
     (possible_duplicate: nothing sent; --again=ID, the payment it names, sends it)
  2  bad usage or bad input
  3  the API could not be reached or its answer not understood
  4  a money command's outcome is unknown: reconcile, never resend
Money commands (transfer, withdraw, convert, mass-withdraw) ask to confirm on a terminal;
without one they need --yes. 'reconcile' exits 0 whatever its verdict (it is in the output).
`

// writeMainHelp prints the usage, the command list (from the command table) and the global
// flags and environment.
func writeMainHelp(w io.Writer) error {
	var b strings.Builder
	b.WriteString("wallexkit: command-line client for the Wallex Pay merchant API, with a local sandbox.\n\n")
	b.WriteString("Usage:\n  wallexkit [flags] COMMAND [flags] [arguments]\n\nCommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range commandTable() {
		synopsis := c.name
		if c.args != "" && len(c.args) <= 30 {
			synopsis += " " + c.args
		} else if c.args != "" {
			synopsis += " [flags]"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", synopsis, c.summary)
	}
	tw.Flush()
	b.WriteString("\n")
	b.WriteString(strings.Replace(globalHelp, "DUPHOURS", strconv.Itoa(int(core.DuplicateWindow.Hours())), 1))
	b.WriteString("\nRun 'wallexkit help COMMAND' for the flags of a command.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeGroupHelp lists the subcommands of a group such as "tx".
func writeGroupHelp(w io.Writer, group string, sub []command) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: wallexkit %s SUBCOMMAND [flags] [arguments]\n\nSubcommands:\n", group)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range sub {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nRun 'wallexkit help %s SUBCOMMAND' for its flags.\n", group)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCommandHelp prints one command's synopsis, description and own flags.
func writeCommandHelp(w io.Writer, c command) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: wallexkit %s", c.name)
	if c.args != "" {
		b.WriteString(" " + c.args)
	}
	b.WriteString("\n\n")
	b.WriteString(strings.ToUpper(c.summary[:1]) + c.summary[1:] + ".\n")
	if c.help != "" {
		b.WriteString("\n" + c.help + "\n")
	}
	fs := newFlagSet(c.name)
	c.setup(fs)
	var own []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !isGlobalFlag(f.Name) {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		b.WriteString("\nFlags:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, f := range own {
			arg, usage := flag.UnquoteUsage(f)
			name := "--" + f.Name
			if arg != "" {
				name += " " + arg
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
		}
		tw.Flush()
	}
	b.WriteString("\nGlobal flags and environment: see 'wallexkit help'.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func completionCommand() command {
	return command{
		name:    "completion",
		args:    "bash|zsh|fish|powershell",
		summary: "print a shell completion script",
		help: "Prints a script that completes wallexkit's commands and flags in your shell. Load it once:\n" +
			"  bash        source <(wallexkit completion bash)        (or save it in /etc/bash_completion.d/)\n" +
			"  zsh         wallexkit completion zsh > \"${fpath[1]}/_wallexkit\"\n" +
			"  fish        wallexkit completion fish > ~/.config/fish/completions/wallexkit.fish\n" +
			"  powershell  wallexkit completion powershell | Out-String | Invoke-Expression",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(_ context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("completion needs one shell: bash, zsh, fish or powershell")
				}
				switch args[0] {
				case "bash":
					return a.rootCmd.GenBashCompletionV2(a.stdout, true)
				case "zsh":
					return a.rootCmd.GenZshCompletion(a.stdout)
				case "fish":
					return a.rootCmd.GenFishCompletion(a.stdout, true)
				case "powershell":
					return a.rootCmd.GenPowerShellCompletionWithDesc(a.stdout)
				}
				return usagef("completion %q: use bash, zsh, fish or powershell", args[0])
			}
		},
	}
}
