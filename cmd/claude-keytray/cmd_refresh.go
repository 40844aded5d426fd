package main

import (
	"context"
	"errors"

	"github.com/claude-keytray/claude-keytray/auth"

	"github.com/spf13/cobra"
)

func newRefreshCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Refresh the key now (through the daemon when it runs) and print the status",
		Long: `Reads the key from its source (the keychain, or the source command), repairs the helper script
if needed, checks the key against the API and prints the status. When the daemon runs it does the
refresh, so every Claude Code session gets the result at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			st, err := refreshNow(context.Background(), a)
			if err != nil {
				return err
			}
			if err := printStatus(cmd.OutOrStdout(), st, asJSON); err != nil {
				return err
			}
			return stateExit(st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status object as JSON")
	return cmd
}

// stateExit turns a status that needs attention into the exit codes `key` uses, so scripts can
// tell "no key" from "rejected" after a refresh; the printed status already says why.
func stateExit(st auth.Status) error {
	var code int
	switch {
	case st.State == auth.StateNoKey:
		code = exitNoKey
	case st.State == auth.StateError:
		code = exitKeychain
	case st.State == auth.StateInvalid:
		code = exitRejected
	case st.Refresh.LastError != "":
		code = 1
	default:
		return nil
	}
	return &exitError{code: code, err: errors.New(string(st.State)), silent: true}
}
