package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/spf13/cobra"
)

func newInstallCmd(g *globalFlags) *cobra.Command {
	var noAutostart, force, dryRun bool
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Write the helper script, point Claude Code's apiKeyHelper at it and start at login",
		Long: `Writes <claude dir>/auth_helper.sh (no secret in it: it runs this program's "key" command),
sets apiKeyHelper in <claude dir>/settings.json (every other byte of the file is kept, and a backup
is made), and registers the app to start at login. <claude dir> is $CLAUDE_CONFIG_DIR or ~/.claude.

An apiKeyHelper that already points at another program is left alone unless --force.
Running install again changes nothing; uninstall undoes exactly what install did.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			self := exe()
			if self == "" || transientExe(self) {
				return fmt.Errorf("this binary (%s) is a temporary build; install a real copy first (`make build` then `bin/claude-keytray install`, or `go install ./cmd/claude-keytray`) so the helper keeps working", self)
			}
			out := cmd.OutOrStdout()
			res, err := claude.Install(a.paths.Claude, claude.InstallOptions{Exe: self, Force: force, DryRun: dryRun})
			printChanges(out, res.Changes, dryRun)
			if err != nil {
				return err
			}
			if noAutostart {
				fmt.Fprintln(out, "Login autostart: skipped (--no-autostart).")
			} else if err := installAutostart(cmd.Context(), out, a, dryRun); err != nil {
				return err
			}
			if !dryRun {
				warnMissingKey(out, a)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noAutostart, "no-autostart", false, "only write the helper and Claude's settings; register and start nothing")
	cmd.Flags().BoolVar(&force, "force", false, "replace an apiKeyHelper that points at another program")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would change and change nothing")
	return cmd
}

func newUninstallCmd(g *globalFlags) *cobra.Command {
	var deleteKey, dryRun bool
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Undo install: restore Claude's settings, remove the helper and the login autostart",
		Long: `Reverses exactly what install did: the previous apiKeyHelper comes back (or the key goes), the
helper script is removed, and settings.json is byte for byte as before install when nothing else
changed it since. Login autostart is turned off. The key stays in the keychain unless --delete-key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if err := uninstallAutostart(cmd.Context(), out, a, dryRun); err != nil {
				return err
			}
			res, err := claude.Uninstall(a.paths.Claude, claude.UninstallOptions{DryRun: dryRun})
			printChanges(out, res.Changes, dryRun)
			if err != nil {
				return err
			}
			if deleteKey {
				if dryRun {
					fmt.Fprintf(out, "would delete the key from %s\n", a.store.Where())
				} else if err := a.store.Delete(context.Background()); err != nil {
					return withCode(err)
				} else {
					fmt.Fprintf(out, "deleted the key from %s\n", a.store.Where())
				}
			} else {
				fmt.Fprintf(out, "The key stays in %s (--delete-key removes it).\n", a.store.Where())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&deleteKey, "delete-key", false, "also delete the key from the keychain")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would change and change nothing")
	return cmd
}

func printChanges(w io.Writer, changes []claude.Change, dryRun bool) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "Nothing to change: already as it should be.")
		return
	}
	for _, c := range changes {
		if dryRun {
			fmt.Fprintln(w, "would: "+c.String())
		} else {
			fmt.Fprintln(w, c.String())
		}
	}
}

func warnMissingKey(w io.Writer, a *app) {
	_, err := a.store.Get(context.Background())
	switch {
	case errors.Is(err, auth.ErrNoKey):
		fmt.Fprintln(w, "No key is stored yet: run `claude-keytray update-key`.")
	case err != nil:
		fmt.Fprintln(w, "Warning: "+err.Error())
	}
}
