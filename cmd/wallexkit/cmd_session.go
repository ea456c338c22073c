package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

const stateHelp = "The token is cached in the state file (WALLEX_STATE, default\n" +
	"<user config dir>/wallexkit/state.json; mode 0600 in a 0700 directory) together with the\n" +
	"nonce high-water mark. The token is sealed (AES-256-GCM) under a key derived from the\n" +
	"private key: the file never holds it in plain text, and another private key cannot read it.\n" +
	"Every API command reuses a cached token until shortly before it expires, then logs in again."

func loginCommand() command {
	return command{
		name:    "login",
		summary: "log in now and cache the token for later commands",
		help:    "Logs in with the key pair and prints when the token expires (UTC).\n" + stateHelp,
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("login", args); err != nil {
					return err
				}
				c, err := a.client(true)
				if err != nil {
					return err
				}
				tok, err := c.Login(ctx)
				if err != nil {
					return err
				}
				path, _ := a.statePath()
				exp := tok.ExpiresAt.UTC()
				left := time.Until(exp)
				out := struct {
					ExpiresAt        time.Time `json:"expires_at"`
					ExpiresInSeconds int64     `json:"expires_in_seconds"`
					State            string    `json:"state"`
				}{exp, int64(left / time.Second), path}
				return a.show(out, func(w io.Writer) {
					fmt.Fprintf(w, "Logged in. Token expires %s (in %s), cached in %s\n",
						exp.Format(time.RFC3339), humanDuration(left), path)
				})
			}
		},
	}
}

func logoutCommand() command {
	return command{
		name:    "logout",
		summary: "forget the cached token",
		help: "Removes the cached token of this API URL and public key from the state file. The API has no\n" +
			"logout call: the token itself stays valid on the server until it expires.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			return func(ctx context.Context, a *app, args []string) error {
				if err := noArgs("logout", args); err != nil {
					return err
				}
				c, err := a.client(false)
				if err != nil {
					return err
				}
				if err := c.Logout(ctx); err != nil {
					return fmt.Errorf("cannot update the state file: %w", err)
				}
				path, _ := a.statePath()
				fmt.Fprintf(a.stdout, "Logged out: token removed from %s\n", path)
				return nil
			}
		},
	}
}
