package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newUpdateKeyCmd(g *globalFlags) *cobra.Command {
	var noVerify bool
	cmd := &cobra.Command{
		Use:   "update-key",
		Short: "Store a new key (from stdin or a hidden prompt), checked against the API first",
		Long: `Reads one key from stdin when it is piped in, or from a hidden prompt in a terminal. The key
is never taken from the command line, where it would end up in shell history and in ps.

The key's shape is checked (admin keys and OAuth tokens are refused with the reason), then the
API is asked whether it accepts it (GET /v1/models on ANTHROPIC_BASE_URL or api.anthropic.com).
A key the API rejects is refused and the old key kept (exit 5). If the API cannot be reached the
key is stored as "unverified".

With a source command configured (CLAUDE_KEYTRAY_SOURCE or source_command) the source gives the
key, and a key stored here would be replaced by the source's at the next refresh: update-key
refuses before reading a key (exit 1) and says where to change it. Update the key in your secret
manager and run ` + "claude-keytray refresh" + `, or remove the source to manage the key here.

  pbpaste | claude-keytray update-key
  vault kv get -field=api_key secret/claude | claude-keytray update-key`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return errors.New("update-key takes no arguments: the key is never read from the command line (it would show in ps and your shell history); pipe it in or type it at the prompt")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			if name, src := a.profileSource(); src != "" {
				if name != auth.DefaultProfile {
					return fmt.Errorf("%w (profiles.%s.source_command in %s): a key stored here would be replaced by the source's at the next refresh, so none is read. Update the key where the source reads it and run `claude-keytray refresh --profile %s`", auth.ErrSourceIsAuthority, name, a.paths.ConfigFile, name)
				}
				return sourceIsAuthority(a)
			}
			raw, err := readKeyInput(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if raw, err = cleanKeyInput(cmd.OutOrStdout(), raw, "as pasted"); err != nil {
				return err
			}
			ctx := context.Background()
			st, err := updateKey(ctx, a, raw, !noVerify, "cli")
			if err != nil {
				return withCode(err)
			}
			printStored(cmd.OutOrStdout(), st, a)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "store the key without asking the API whether it accepts it")
	return cmd
}

// sourceIsAuthority is update-key's refusal when a source command gives the key, said before a
// key is typed or read.
func sourceIsAuthority(a *app) error {
	where := auth.SourceSetting(os.Environ(), a.paths.ConfigFile)
	return fmt.Errorf("%w (%s): a key stored here would be replaced by the source's at the next refresh, so none is read. Update the key where the source reads it (your secret manager) and run claude-keytray refresh, or remove %s to manage the key here", auth.ErrSourceIsAuthority, where, where)
}

// readKeyInput reads one key: a hidden prompt on a terminal, else all of stdin (bounded).
func readKeyInput(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Paste your Claude API key (input is hidden): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading the key from the terminal: %w", err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(in, auth.MaxKeyLen+3))
	if err != nil {
		return "", fmt.Errorf("reading the key from stdin: %w", err)
	}
	if len(b) > auth.MaxKeyLen+2 {
		return "", &auth.KeyError{Reason: fmt.Sprintf("stdin holds more than %d characters; Claude Code accepts keys of at most %d", auth.MaxKeyLen, auth.MaxKeyLen)}
	}
	return string(b), nil
}

// printStored says what was stored, where, and what the API said, showing only the fingerprint.
func printStored(w io.Writer, st auth.Status, a *app) {
	where := st.Store.Where
	if where == "" {
		where = a.store.Where()
	}
	fmt.Fprintf(w, "Stored key %s in %s.\n", st.Key.Fingerprint, where)
	switch st.Validation.Result {
	case auth.ResultValid:
		fmt.Fprintln(w, "The API accepts it.")
	case auth.ResultUnknown:
		fmt.Fprintf(w, "Warning: not checked, because %s; stored as unverified. Run claude-keytray refresh to check again.\n", st.Validation.Unconfirmed())
	case auth.ResultSkipped:
		fmt.Fprintln(w, "Not checked against the API (--no-verify).")
	}
	if st.Key.Note != "" {
		fmt.Fprintln(w, "Note: "+st.Key.Note+".")
	}
	if a.store.Kind() == "file" {
		fmt.Fprintln(w, "Warning: the key is in a plaintext file, not in the keychain.")
	}
}
