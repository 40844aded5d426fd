package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/packaging"
	"github.com/spf13/cobra"
)

func newInstallCmd(g *globalFlags) *cobra.Command {
	var noAutostart, force, dryRun, moveKey bool
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Write the helper script, point Claude Code's apiKeyHelper at it and start at login",
		Long: `Writes <claude dir>/auth_helper.sh (no secret in it: it runs this program's "key" command),
sets apiKeyHelper in <claude dir>/settings.json (every other byte of the file is kept, and a backup
is made), and registers the app to start at login. <claude dir> is $CLAUDE_CONFIG_DIR or ~/.claude.

An apiKeyHelper that already points at another program is left alone unless --force.
A key found in plain text in the settings (in "env", or printed by the old apiKeyHelper) is
offered to be moved into the keychain (--move-key says yes without asking); install's backup of
the settings never holds it. Running install again changes nothing; uninstall undoes exactly
what install did.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			self := exe()
			if self == "" || transientExe(self) {
				return fmt.Errorf("this binary (%s) is a temporary build; install a real copy first (make build then bin/claude-keytray install, or go install ./cmd/claude-keytray) so the helper keeps working", self)
			}
			out := cmd.OutOrStdout()
			moved, err := movePlaintextKeys(cmd.Context(), a, out, plaintextChoice(cmd.InOrStdin(), cmd.ErrOrStderr(), moveKey), force, dryRun)
			if err != nil {
				return err
			}
			res, err := claude.Install(a.paths.Claude, claude.InstallOptions{Exe: self, Force: force, DryRun: dryRun, Moved: moved})
			if err != nil {
				printChanges(out, res.Changes, dryRun, false)
				return err
			}
			printChanges(out, res.Changes, dryRun, true)
			// The applications menu entry: the way back to the tray after Quit.
			launcher, err := packaging.InstallLauncher(packaging.Options{Exe: self, Paths: a.paths, Mode: packaging.ModeTray, DryRun: dryRun})
			printChanges(out, launcher, dryRun, err == nil)
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
	cmd.Flags().BoolVar(&moveKey, "move-key", false, "move a key found in plain text in the settings into the keychain without asking")
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
			launcher, err := packaging.RemoveLauncher(packaging.Options{Paths: a.paths, Mode: packaging.ModeTray, DryRun: dryRun})
			printChanges(out, launcher, dryRun, err == nil)
			if err != nil {
				return err
			}
			res, err := claude.Uninstall(a.paths.Claude, claude.UninstallOptions{DryRun: dryRun})
			printChanges(out, res.Changes, dryRun, err == nil)
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

// printChanges lists what was done; ok says the command succeeded, so that an empty list
// means there was nothing to do (and not that it failed first).
func printChanges(w io.Writer, changes []claude.Change, dryRun, ok bool) {
	if len(changes) == 0 {
		if ok {
			fmt.Fprintln(w, "Nothing to change: already as it should be.")
		}
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
		fmt.Fprintln(w, "No key is stored yet: run claude-keytray update-key.")
	case err != nil:
		fmt.Fprintln(w, "Warning: "+err.Error())
	}
}
