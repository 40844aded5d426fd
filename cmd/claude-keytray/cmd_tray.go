package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"

	"github.com/claude-keytray/claude-keytray/packaging"
	"github.com/claude-keytray/claude-keytray/tray"
	"github.com/spf13/cobra"
)

func newTrayCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "tray",
		Short: "Run the engine with a tray icon (what plain `claude-keytray` does)",
		Long: `Runs the refresh loop and the control API, like daemon, and shows a tray icon whose menu has
the app's name and version, the key's state (click it for Details and Copy diagnostics), the last
and next refresh, Refresh now, Update key… (Add key… when none is stored), Start at login, Open
log, Run doctor, Help, About and Quit. The icon and its tooltip follow the state: a green check
when the API accepts the key, an amber "?" when it is not verified, a red bar when it is
rejected, an empty outline when no key is stored, a violet "!" when the keychain fails.

Without a tray host (no session bus, or GNOME without the AppIndicator extension) it runs
headless, says why in the log and in ` + "`status`" + `, and shows the icon when a host appears.
Quit, SIGINT and SIGTERM stop it cleanly and remove the socket.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTray(cmd, g)
		},
	}
}

// runTray runs the engine and its control API, and the tray UI over them, in one process.
func runTray(cmd *cobra.Command, g *globalFlags) error {
	return runEngine(g, "tray", func(ctx context.Context, a *app, d *daemon) error {
		engineCtx, stopEngine := context.WithCancel(ctx)
		engineDone := make(chan error, 1)
		go func() { engineDone <- d.fleet.Run(engineCtx) }()
		// Run returns when the user picks Quit or a signal arrives; then the engine stops.
		terr := tray.Run(ctx, tray.Options{
			Engine:     d.fleet,
			Profiles:   d.fleet,
			Logger:     d.log,
			LogFile:    a.paths.LogFile,
			StatusLine: StatusLine,
			Notifier:   d.notifier,
			Autostart:  loginItem{packaging.Options{Exe: exe(), Paths: a.paths, Mode: packaging.ModeTray}},
			Version:    version,
			Doctor:     func(ctx context.Context) (string, error) { return runDoctorReport(ctx, g) },
			AutostartFiles: []string{
				filepath.Join(filepath.Dir(a.paths.ConfigDir), "autostart", "claude-keytray.desktop"),
				filepath.Join(a.paths.StateDir, "autostart.json"),
			},
		})
		stopEngine()
		if err := <-engineDone; terr == nil {
			terr = err
		}
		return terr
	})
}

// runDoctorReport runs `claude-keytray doctor` as a child, so the tray's "Run doctor" window
// shows exactly what the command prints. A failing check exits non-zero; its report is the
// answer all the same.
func runDoctorReport(ctx context.Context, g *globalFlags) (string, error) {
	args := []string{"doctor"}
	if g.store != "" {
		args = append([]string{"--store", g.store}, args...)
	}
	cmd := exec.CommandContext(ctx, exe(), args...)
	tray.HideConsole(cmd)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(out) > 0 {
		err = nil
	}
	return string(out), err
}

// loginItem is the tray's "Start at login" checkbox over packaging's login autostart. Ticking
// it registers the tray (not the daemon): the user is looking at the tray.
type loginItem struct{ o packaging.Options }

func (l loginItem) Enabled() (bool, error) { return packaging.Enabled(l.o) }

func (l loginItem) Enable() error {
	_, err := packaging.Enable(l.o)
	return err
}

func (l loginItem) Disable() error {
	_, err := packaging.Disable(l.o)
	return err
}
