package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/spf13/cobra"
)

func newProfileCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Several keys at once: list, add, remove, use, bind and unbind profiles",
		Long: `A profile is a named key with its own source command, API host and state. "default" always
exists: it is the key claude-keytray had before profiles (keychain account "default"); another
profile's key is the keychain item of account NAME.

Which key Claude Code gets: --profile or ` + auth.ProfileEnv + ` when set; else the profile
bound to the longest folder above the one Claude Code runs in; else the default profile (see
profile use). Two Claude Code sessions in folders bound to different profiles run at the same
time, each with its own key. On Windows, where the folder of the calling Claude Code cannot be
read, the helper serves the default profile unless ` + auth.ProfileEnv + ` names one.

Examples:
  claude-keytray profile add work --source 'pass show work/claude'
  claude-keytray profile bind ~/src/work work
  claude-keytray update-key --profile personal
  claude-keytray profile use personal`,
	}
	cmd.AddCommand(newProfileListCmd(g), newProfileAddCmd(g), newProfileRemoveCmd(g), newProfileUseCmd(g), newProfileBindCmd(g), newProfileUnbindCmd(g))
	return cmd
}

func newProfileListCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "Each profile: name, state, fingerprint, source, API host, bound folders, which is the default",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newTolerantApp(g)
			if err != nil {
				return err
			}
			l := profileList(context.Background(), a)
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(l)
			}
			printProfiles(os.Stdout, l)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// profileList asks the daemon, else reads every profile here.
func profileList(ctx context.Context, a *app) auth.ProfileList {
	c := control.ClientFor(a.paths)
	defer c.Close()
	if l, err := c.Profiles(ctx); err == nil {
		return l
	} else {
		a.noteUnsafe(err)
	}
	f := a.fleet(nil, nil)
	f.Load(ctx)
	return f.List()
}

func printProfiles(w io.Writer, l auth.ProfileList) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tPROFILE\tSTATE\tKEY\tSOURCE\tAPI HOST\tFOLDERS")
	for _, p := range l.Profiles {
		mark := ""
		if p.Default {
			mark = "*"
		}
		fp := p.Fingerprint
		if fp == "" {
			fp = "-"
		}
		dirs := "-"
		if len(p.Bindings) > 0 {
			dirs = strings.Join(p.Bindings, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, p.Name, p.State, fp, p.Source, p.BaseURL, dirs)
	}
	tw.Flush()
	fmt.Fprintln(w, "* the default profile: what a folder without a binding gets")
}

func newProfileAddCmd(g *globalFlags) *cobra.Command {
	var pc auth.ProfileConfig
	cmd := &cobra.Command{
		Use:   "add NAME [--source CMD] [--base-url URL]",
		Short: "Create a profile; its key comes from update-key --profile NAME, import --profile NAME or the source",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editProfiles(g, func(a *app) (string, error) {
				if err := auth.AddProfile(a.paths.ConfigFile, args[0], pc); err != nil {
					return "", err
				}
				next := "update-key --profile " + args[0]
				if pc.SourceCommand != "" {
					next = "refresh --profile " + args[0]
				}
				return fmt.Sprintf("Profile %s added. Next: claude-keytray %s, then claude-keytray profile bind DIR %s.", args[0], next, args[0]), nil
			})
		},
	}
	cmd.Flags().StringVar(&pc.SourceCommand, "source", "", "a shell command that prints this profile's key")
	cmd.Flags().StringVar(&pc.BaseURL, "base-url", "", "the API host this profile's key is checked against")
	return cmd
}

func newProfileRemoveCmd(g *globalFlags) *cobra.Command {
	var deleteKey bool
	cmd := &cobra.Command{
		Use:   "remove NAME [--delete-key]",
		Short: "Remove a profile and its bindings; the key stays in the keychain unless --delete-key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			return editProfiles(g, func(a *app) (string, error) {
				dirs := a.cfg.BindingsOf(name)
				if err := auth.RemoveProfile(a.paths.ConfigFile, name); err != nil {
					return "", err
				}
				msg := "Profile " + name + " removed"
				if len(dirs) > 0 {
					msg += ", with its bindings (" + strings.Join(dirs, ", ") + "; they get the default profile now)"
				}
				p := auth.ProfilePaths(a.paths, name)
				os.Remove(p.StateFile)
				os.Remove(p.CallersFile)
				os.Remove(p.NotesFile)
				store := auth.ProfileStore(a.store, name, a.cfg.KeychainTimeout())
				if deleteKey {
					if err := store.Delete(context.Background()); err != nil {
						return "", fmt.Errorf("%s, but deleting its key from %s failed: %w", msg, store.Where(), err)
					}
					return msg + "; its key was deleted from " + store.Where() + ".", nil
				}
				return msg + "; its key stays in " + store.Where() + " (remove --delete-key deletes it).", nil
			})
		},
	}
	cmd.Flags().BoolVar(&deleteKey, "delete-key", false, "also delete the profile's key from the keychain")
	return cmd
}

func newProfileUseCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make NAME the default profile: what a folder without a binding gets",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editProfiles(g, func(a *app) (string, error) {
				if err := auth.UseProfile(a.paths.ConfigFile, args[0]); err != nil {
					return "", err
				}
				return "Folders without a binding now get profile " + args[0] + ".", nil
			})
		},
	}
}

func newProfileBindCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "bind DIR NAME",
		Short: "Claude Code started in DIR or below uses profile NAME",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editProfiles(g, func(a *app) (string, error) {
				dir, err := auth.BindingDir(args[0])
				if err != nil {
					return "", err
				}
				if err := auth.BindFolder(a.paths.ConfigFile, dir, args[1]); err != nil {
					return "", err
				}
				msg := "Claude Code started in " + dir + " or below now gets profile " + args[1] + "."
				if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
					msg += " (The folder does not exist yet.)"
				}
				return msg, nil
			})
		},
	}
}

func newProfileUnbindCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "unbind DIR",
		Short: "Remove DIR's binding: it gets the profile of the folders above it, or the default",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editProfiles(g, func(a *app) (string, error) {
				dir, err := auth.BindingDir(args[0])
				if err != nil {
					return "", err
				}
				if err := auth.UnbindFolder(a.paths.ConfigFile, dir); err != nil {
					return "", err
				}
				return "Removed the binding of " + filepath.Clean(dir) + ".", nil
			})
		},
	}
}

// editProfiles runs one config edit, prints what it did, and has a running daemon apply it at
// once (it reads the config again on its next request).
func editProfiles(g *globalFlags, edit func(a *app) (string, error)) error {
	a, err := newTolerantApp(g)
	if err != nil {
		return err
	}
	msg, err := edit(a)
	if err != nil {
		var unknown *auth.UnknownProfileError
		if errors.As(err, &unknown) {
			return &exitError{code: exitNoKey, err: err}
		}
		return err
	}
	c := control.ClientFor(a.paths)
	defer c.Close()
	_, _ = c.Profiles(context.Background())
	fmt.Println(msg)
	return nil
}
