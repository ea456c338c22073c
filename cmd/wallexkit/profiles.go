package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// Profiles name connections (an agency's several accounts, or a shop's live and sandbox keys)
// so that '--profile shop' stands for an API URL, a public key and where the private key comes
// from. A profile never holds the private key: it names a file (mode 0600), an environment
// variable, or a command that prints it (a password manager). The file is
// <user config dir>/wallexkit/profiles.json, or WALLEX_PROFILES.

type profile struct {
	APIURL         string `json:"api_url"`
	PublicKey      string `json:"public_key"`
	PrivateKeyFile string `json:"private_key_file,omitempty"`
	PrivateKeyEnv  string `json:"private_key_env,omitempty"`
	PrivateKeyCmd  string `json:"private_key_command,omitempty"`
	NoNonce        bool   `json:"no_nonce,omitempty"`
}

type profileFile struct {
	Default  string              `json:"default,omitempty"`
	Profiles map[string]*profile `json:"profiles"`
}

var profileName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

func (a *app) profilesPath() (string, error) { return a.configFile("WALLEX_PROFILES", "profiles.json") }

func (a *app) loadProfiles() (*profileFile, string, error) {
	path, err := a.profilesPath()
	if err != nil {
		return nil, "", err
	}
	pf := &profileFile{Profiles: map[string]*profile{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pf, path, nil
	}
	if err != nil {
		return nil, path, usagef("cannot read the profiles file %s: %v", path, err)
	}
	if err := json.Unmarshal(b, pf); err != nil {
		return nil, path, usagef("the profiles file %s is not valid JSON (%v): fix it or remove it", path, err)
	}
	if pf.Profiles == nil {
		pf.Profiles = map[string]*profile{}
	}
	return pf, path, nil
}

// saveProfiles writes the file atomically (a temporary file renamed over it), mode 0600.
func saveProfiles(path string, pf *profileFile) error {
	b, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profiles-*.json")
	if err != nil {
		return fmt.Errorf("cannot write the profiles file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// applyProfile fills the settings no flag or environment variable gave from the chosen
// profile: --profile, else WALLEX_PROFILE, else the default profile when neither a flag nor the
// environment names a public key.
func (a *app) applyProfile(changed func(flag string) bool) error {
	name := a.set.profile
	explicit := name != ""
	if !explicit && (a.set.publicKey != "" || changed("api-url") || a.getenv("WALLEX_API_URL") != "") {
		return nil // the environment or flags say who we are
	}
	pf, path, err := a.loadProfiles()
	if err != nil {
		if explicit {
			return err
		}
		return nil
	}
	if name == "" {
		name = pf.Default
	}
	if name == "" {
		return nil
	}
	p := pf.Profiles[name]
	if p == nil {
		return usagef("no profile %q in %s: see 'wallexkit profiles' (or add it with 'wallexkit profiles add %s …')", name, path, name)
	}
	a.profileUsed, a.profileSet = name, p
	if explicit {
		// The profile was asked for by name, yet what the environment gives still wins (the
		// sandbox's export line, live keys exported earlier): say so, or --profile shop talks to
		// another account without a word.
		var over []string
		for _, e := range []struct{ flag, env string }{{"api-url", "WALLEX_API_URL"}, {"public-key", "WALLEX_PUBLIC_KEY"}, {"private-key", "WALLEX_PRIVATE_KEY"}} {
			if !changed(e.flag) && a.getenv(e.env) != "" {
				over = append(over, e.env)
			}
		}
		if len(over) > 0 {
			a.warnf("profile %s: %s from the environment %s used instead of the profile's (unset %s to use the profile)",
				name, strings.Join(over, ", "), map[bool]string{true: "is", false: "are"}[len(over) == 1], strings.Join(over, " "))
		}
	}
	if !changed("api-url") && a.getenv("WALLEX_API_URL") == "" {
		a.set.apiURL = p.APIURL
	}
	if !changed("public-key") && a.getenv("WALLEX_PUBLIC_KEY") == "" {
		a.set.publicKey = p.PublicKey
	}
	if a.set.privateKey == "" && a.set.privateKeyFile == "" {
		a.keySource = p
	}
	if p.NoNonce && !changed("nonce") && a.getenv("WALLEX_NONCE") == "" {
		a.set.nonce = false
	}
	return nil
}

// profileKey reads the private key from where the profile says.
func (a *app) profileKey(ctx context.Context, p *profile) (string, error) {
	switch {
	case p.PrivateKeyFile != "":
		if err := checkKeyFileMode(p.PrivateKeyFile); err != nil {
			return "", err
		}
		b, err := os.ReadFile(p.PrivateKeyFile)
		if err != nil {
			return "", usagef("profile %s: cannot read its private key file: %v", a.profileUsed, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case p.PrivateKeyEnv != "":
		v := a.getenv(p.PrivateKeyEnv)
		if v == "" {
			return "", usagef("profile %s: its private key comes from $%s, which is not set", a.profileUsed, p.PrivateKeyEnv)
		}
		return v, nil
	case p.PrivateKeyCmd != "":
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		var cmd *exec.Cmd
		if runtime.GOOS == "windows" {
			cmd = exec.CommandContext(cctx, "cmd", "/C", p.PrivateKeyCmd)
		} else {
			cmd = exec.CommandContext(cctx, "sh", "-c", p.PrivateKeyCmd)
		}
		var out bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, &out, a.stderr // a password manager may ask on the terminal
		if err := cmd.Run(); err != nil {
			return "", usagef("profile %s: its private key command failed (%v): run it yourself to see why", a.profileUsed, err)
		}
		key := strings.TrimRight(out.String(), "\r\n")
		if key == "" || strings.Contains(key, "\n") {
			return "", usagef("profile %s: its private key command must print the key alone on one line", a.profileUsed)
		}
		return key, nil
	}
	return "", usagef("profile %s names no private key source: add it again with --private-key-file, --private-key-env or --private-key-command", a.profileUsed)
}

// checkKeyFileMode refuses a key file others can read (unix).
func checkKeyFileMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return usagef("cannot use the private key file: %v", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return usagef("the private key file %s can be read by other users (mode %04o): run chmod 600 %s", path, st.Mode().Perm(), shellQuote(path))
	}
	return nil
}

func profilesListCommand() command {
	return command{
		name:    "profiles",
		summary: "list the saved profiles (named connections; never a private key)",
		help: "Lists the profiles in the profiles file (<user config dir>/wallexkit/profiles.json, or\n" +
			"WALLEX_PROFILES): name, API URL, public key and where the private key comes from. The\n" +
			"default one (*) is used when neither --profile, WALLEX_PROFILE nor WALLEX_PUBLIC_KEY says\n" +
			"otherwise. Its subcommands: 'profiles add', 'profiles use', 'profiles remove'.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) > 0 {
					return usagef("unknown profiles subcommand %q: use add, use or remove (no subcommand lists them)", args[0])
				}
				pf, path, err := a.loadProfiles()
				if err != nil {
					return err
				}
				type view struct {
					Name      string `json:"name"`
					Default   bool   `json:"default"`
					APIURL    string `json:"api_url"`
					PublicKey string `json:"public_key"`
					KeyFrom   string `json:"private_key_from"`
				}
				views := []view{}
				names := make([]string, 0, len(pf.Profiles))
				for n := range pf.Profiles {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					p := pf.Profiles[n]
					views = append(views, view{n, n == pf.Default, p.APIURL, p.PublicKey, keySourceText(p)})
				}
				return a.show(views, func(w io.Writer) {
					if len(views) == 0 {
						fmt.Fprintf(w, "No profiles yet (%s).\nAdd one: wallexkit profiles add shop --api-url https://wallexpay.io/api --public-key KEY --private-key-file ~/.wallex/shop.key\n", path)
						return
					}
					fmt.Fprintln(w, "\tNAME\tAPI URL\tPUBLIC KEY\tPRIVATE KEY FROM")
					for _, v := range views {
						mark := ""
						if v.Default {
							mark = "*"
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", mark, v.Name, v.APIURL, v.PublicKey, v.KeyFrom)
					}
				})
			}
		},
	}
}

func keySourceText(p *profile) string {
	switch {
	case p.PrivateKeyFile != "":
		return "file " + p.PrivateKeyFile
	case p.PrivateKeyEnv != "":
		return "$" + p.PrivateKeyEnv
	case p.PrivateKeyCmd != "":
		return "command: " + p.PrivateKeyCmd
	}
	return "-"
}

func profilesAddCommand() command {
	return command{
		name:    "profiles add",
		args:    "NAME --api-url URL --public-key KEY (--private-key-file PATH | --private-key-env VAR | --private-key-command CMD) [--default]",
		summary: "save a named connection (the private key stays where it is)",
		help: "Saves a profile: the API URL and public key (from the global flags or the environment),\n" +
			"and where the private key comes from — a file only you can read (chmod 600), an environment\n" +
			"variable, or a command that prints it (e.g. 'pass show wallex/shop'). The private key\n" +
			"itself is never written to the profiles file. Adding an existing NAME replaces it.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			keyEnv := fs.String("private-key-env", "", "read the private key from environment variable `VAR` when used")
			keyCmd := fs.String("private-key-command", "", "run `CMD` to print the private key when used")
			def := fs.Bool("default", false, "make it the default profile")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("profiles add takes one NAME, e.g. 'wallexkit profiles add shop --public-key …'")
				}
				name := args[0]
				if !profileName.MatchString(name) {
					return usagef("profile name %q: use lower-case letters, digits, '-' and '_' (up to 40), e.g. shop-eu", name)
				}
				// WALLEX_PRIVATE_KEY in the environment (the sandbox's export line) is not saved and
				// does not stand in the way: only --private-key on the command line is refused.
				if a.cmd != nil && a.cmd.Flags().Changed("private-key") {
					return usagef("--private-key cannot be saved: a profile never holds the private key itself: give --private-key-file PATH, --private-key-env VAR or --private-key-command CMD")
				}
				keyFile := a.set.privateKeyFile
				n := 0
				for _, s := range []string{keyFile, *keyEnv, *keyCmd} {
					if s != "" {
						n++
					}
				}
				if n == 0 && a.getenv("WALLEX_PRIVATE_KEY") != "" {
					return usagef("say where the private key comes from: WALLEX_PRIVATE_KEY is set, but a profile never holds the key itself: add --private-key-env WALLEX_PRIVATE_KEY to read it from there when the profile is used, or give --private-key-file PATH or --private-key-command CMD")
				}
				if n != 1 {
					return usagef("say where the private key comes from, once: --private-key-file PATH, --private-key-env VAR or --private-key-command CMD")
				}
				if keyFile == "-" {
					return usagef("--private-key-file - (stdin) cannot be saved in a profile: give a file path")
				}
				if keyFile != "" {
					abs, err := filepath.Abs(keyFile)
					if err != nil {
						return usagef("--private-key-file %s: %v", keyFile, err)
					}
					keyFile = abs
					if err := checkKeyFileMode(keyFile); err != nil {
						return err
					}
				}
				if a.set.publicKey == "" {
					return usagef("a profile needs --public-key KEY (or WALLEX_PUBLIC_KEY)")
				}
				api, err := core.CheckAPIURL(a.set.apiURL, a.set.insecureHTTP)
				if err != nil {
					return usagef("%v", err)
				}
				pf, path, err := a.loadProfiles()
				if err != nil {
					return err
				}
				pf.Profiles[name] = &profile{APIURL: api, PublicKey: a.set.publicKey, PrivateKeyFile: keyFile, PrivateKeyEnv: *keyEnv, PrivateKeyCmd: *keyCmd, NoNonce: !a.set.nonce}
				if *def || len(pf.Profiles) == 1 {
					pf.Default = name
				}
				if err := saveProfiles(path, pf); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Saved profile %s (%s, key %s) in %s.\n", name, api, a.set.publicKey, path)
				if pf.Default == name {
					fmt.Fprintf(a.stdout, "It is the default: commands use it unless --profile, WALLEX_PROFILE or WALLEX_PUBLIC_KEY say otherwise.\n")
				} else {
					fmt.Fprintf(a.stdout, "Use it with --profile %s (or WALLEX_PROFILE=%s).\n", name, name)
				}
				return nil
			}
		},
	}
}

func profilesUseCommand() command {
	return command{
		name:    "profiles use",
		args:    "NAME",
		summary: "make a profile the default",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("profiles use takes one NAME (see 'wallexkit profiles')")
				}
				pf, path, err := a.loadProfiles()
				if err != nil {
					return err
				}
				if pf.Profiles[args[0]] == nil {
					return usagef("no profile %q: see 'wallexkit profiles'", args[0])
				}
				pf.Default = args[0]
				if err := saveProfiles(path, pf); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Default profile: %s.\n", args[0])
				return nil
			}
		},
	}
}

func profilesRemoveCommand() command {
	return command{
		name:    "profiles remove",
		args:    "NAME",
		summary: "forget a profile (its key file, variable or command stay)",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("profiles remove takes one NAME (see 'wallexkit profiles')")
				}
				pf, path, err := a.loadProfiles()
				if err != nil {
					return err
				}
				if pf.Profiles[args[0]] == nil {
					return usagef("no profile %q: see 'wallexkit profiles'", args[0])
				}
				delete(pf.Profiles, args[0])
				if pf.Default == args[0] {
					pf.Default = ""
				}
				if err := saveProfiles(path, pf); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Removed profile %s.\n", args[0])
				return nil
			}
		},
	}
}
