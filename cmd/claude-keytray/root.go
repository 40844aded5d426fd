package main

import (
	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/spf13/cobra"
)

type globalFlags struct {
	store   string
	profile string
	// engine is set by the daemon and the tray: they serve every profile and name none.
	engine bool
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "claude-keytray",
		Short: "Keep your Claude API key in the OS keychain and serve it to Claude Code",
		Long: `claude-keytray keeps your Anthropic API key in the OS keychain (never in a plaintext
file) and hands it to Claude Code through its apiKeyHelper setting. A tray icon (or a headless
daemon) refreshes the key on a timer, from the keychain or a secret manager, and when Claude gets
a 401 it refreshes, retries and tells you.

Getting started:
  claude-keytray update-key          # paste your key (hidden prompt) or pipe it in
  claude-keytray install             # wire Claude Code to the helper, start at login
  claude-keytray doctor              # check everything

Run with no command to start the tray.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTray(cmd, g)
		},
	}
	root.PersistentFlags().StringVar(&g.store, "store", "", `where the key lives: "keychain" (default) or "file" (the plaintext ~/.claude/api_key, mode 0600, only for machines without a keychain)`)
	root.PersistentFlags().StringVar(&g.profile, "profile", "", "the profile to use (default: "+auth.ProfileEnv+", else the folder's binding, else the default profile; see claude-keytray profile)")
	root.AddCommand(
		newProfileCmd(g),
		newKeyCmd(g),
		newUpdateKeyCmd(g),
		newImportCmd(g),
		newStatusCmd(g),
		newRefreshCmd(g),
		newRunCmd(g),
		newDaemonCmd(g),
		newTrayCmd(g),
		newInstallCmd(g),
		newUninstallCmd(g),
		newSetupCmd(g),
		newDoctorCmd(g),
		newVersionCmd(),
	)
	for _, c := range extraCommands {
		root.AddCommand(c())
	}
	return root
}

// extraCommands are commands compiled in only by some builds (see cmd_distfiles.go).
var extraCommands []func() *cobra.Command
