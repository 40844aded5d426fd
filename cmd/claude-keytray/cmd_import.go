package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/spf13/cobra"
)

func newImportCmd(g *globalFlags) *cobra.Command {
	var from string
	var removeFile, noVerify bool
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Move a key from CLAUDE_API_KEY, ANTHROPIC_API_KEY or ~/.claude/api_key into the keychain",
		Long: `Looks for a key in CLAUDE_API_KEY, then ANTHROPIC_API_KEY, then ~/.claude/api_key (or only
where --from says), checks it against the API and stores it in the keychain.

--remove-file deletes ~/.claude/api_key, but only after the keychain holds the key and reading it
back gave the same key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			if removeFile && a.store.Kind() == "file" {
				return errors.New("--remove-file with --store file would delete the store itself; import into the keychain instead")
			}
			name, raw, err := findImport(a, from)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if raw, err = cleanKeyInput(out, raw, "in "+name); err != nil {
				return fmt.Errorf("importing from %s: %w", name, err)
			}
			ctx := context.Background()
			st, err := updateKey(ctx, a, raw, !noVerify, "import")
			if err != nil {
				return withCode(fmt.Errorf("importing from %s: %w", name, err))
			}
			fmt.Fprintf(out, "Imported from %s.\n", name)
			printStored(out, st, a)
			switch {
			case name == a.paths.PlainKeyFile && removeFile:
				// updateKey read the key back from the store and compared it before returning.
				if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("the key is in the keychain, but removing %s failed: %w; delete it by hand", name, err)
				}
				fmt.Fprintf(out, "Removed the plaintext file %s.\n", name)
			case name == a.paths.PlainKeyFile:
				fmt.Fprintf(out, "The plaintext file %s is still there: run claude-keytray import --from file --remove-file or delete it.\n", name)
			case name == "ANTHROPIC_API_KEY":
				fmt.Fprintln(out, "Now remove ANTHROPIC_API_KEY from your environment (shell profile): while it is set it overrides apiKeyHelper in Claude Code.")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", `where to import from: "CLAUDE_API_KEY", "ANTHROPIC_API_KEY" or "file" (~/.claude/api_key); default: the first that holds a key`)
	cmd.Flags().BoolVar(&removeFile, "remove-file", false, "delete ~/.claude/api_key once the keychain holds the key")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "store the key without asking the API whether it accepts it")
	return cmd
}

func findImport(a *app, from string) (name, raw string, err error) {
	readFile := func() (string, string, error) {
		b, err := os.ReadFile(a.paths.PlainKeyFile)
		if err != nil {
			return "", "", err
		}
		return a.paths.PlainKeyFile, string(b), nil
	}
	switch strings.ToLower(from) {
	case "claude_api_key", "anthropic_api_key":
		name := strings.ToUpper(from)
		v := os.Getenv(name)
		if strings.TrimSpace(v) == "" {
			return "", "", fmt.Errorf("%s is not set", name)
		}
		return name, v, nil
	case "file":
		n, v, err := readFile()
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("there is no key file %s to import; use claude-keytray update-key instead", a.paths.PlainKeyFile)
		}
		if err != nil {
			return "", "", fmt.Errorf("reading %s: %w", a.paths.PlainKeyFile, err)
		}
		return n, v, nil
	case "":
		for _, name := range auth.ImportEnvVars {
			if v := os.Getenv(name); strings.TrimSpace(v) != "" {
				return name, v, nil
			}
		}
		if n, v, err := readFile(); err == nil {
			return n, v, nil
		}
		return "", "", fmt.Errorf("no key to import: CLAUDE_API_KEY and ANTHROPIC_API_KEY are unset and %s does not exist; use claude-keytray update-key instead", a.paths.PlainKeyFile)
	}
	return "", "", fmt.Errorf("--from %q: want CLAUDE_API_KEY, ANTHROPIC_API_KEY or file", from)
}
