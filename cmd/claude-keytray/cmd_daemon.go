package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/auth/logging"
	"github.com/claude-keytray/claude-keytray/tray"
	"github.com/spf13/cobra"
)

func newDaemonCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "daemon",
		Short: "Run the engine and its control API without a UI (servers, SSH sessions, systemd)",
		Long: `Runs the refresh loop and serves the control API on
$XDG_RUNTIME_DIR/claude-keytray/control.sock. The helper then answers from memory, Claude Code
never waits on the keychain or a slow secret manager, and 401s trigger a refresh.

Only one engine runs per user: a second daemon (or tray) exits 1 saying one already runs (the
log names its pid; claude-keytray status shows it).
SIGINT and SIGTERM stop it cleanly and remove the socket.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEngine(g, "daemon", func(ctx context.Context, a *app, d *daemon) error {
				return d.fleet.Run(ctx)
			})
		},
	}
}

// runEngine is what the daemon and the tray share: the app, the log, a context that SIGINT and
// SIGTERM (and on Windows a stop request, see stop_windows.go) end, the engine with its control
// API, a start line in the log, and a clean stop after body. Every start-up failure goes to the
// log as well as to stderr: a tray started at login has no terminal, so the log is the only
// place its user can read why it did not start. A program file replaced while it runs (an
// upgrade) ends the engine cleanly and restarts into the new program.
func runEngine(g *globalFlags, kind string, body func(ctx context.Context, a *app, d *daemon) error) error {
	// Before anything else: the engine holds keys for as long as it runs.
	envKey := takeEnvKey()
	undumpable()
	g.engine = true
	a, err := newApp(g)
	if err != nil {
		logStartFailure(kind, err)
		return err
	}
	a.envKey = envKey
	log, closer, err := logging.NewLogger(logging.LogOptions{File: a.paths.LogFile, Stderr: os.Stderr}, a.redactor)
	if err != nil {
		return fmt.Errorf("opening the log %s: %w", a.paths.LogFile, err)
	}
	defer closer.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, stopWatch := watchStopRequest(ctx, log)
	defer stopWatch()
	d, err := startDaemon(ctx, a, log)
	if err != nil {
		log.Error(kind+" did not start", "pid", os.Getpid(), "err", err)
		return err
	}
	d.log.Info(kind+" started", "pid", os.Getpid(), "socket", d.socket, "interval", a.cfg.RefreshInterval().String(), "store", a.store.Where())
	self := exe()
	ctx, replaced := watchProgram(ctx, self, d.log)
	err = body(ctx, a, d)
	d.stop()
	if replaced() {
		closer.Close()
		return restartInto(self)
	}
	return err
}

// logStartFailure writes a failure from before the app's paths and config were read to the log
// at its default place, when that can be found.
func logStartFailure(kind string, err error) {
	p, perr := auth.DefaultPaths()
	if perr != nil {
		return
	}
	log, closer, lerr := logging.NewLogger(logging.LogOptions{File: p.LogFile}, &logging.Redactor{})
	if lerr != nil {
		return
	}
	defer closer.Close()
	log.Error(kind+" did not start", "pid", os.Getpid(), "err", err)
}

// daemon is a running engine with its control API; the tray runs the same thing.
type daemon struct {
	// fleet holds every profile's engine; engine is the default profile's.
	fleet  *auth.Fleet
	engine *auth.Engine
	log    *slog.Logger
	// notifier is the engine's desktop notifier, nil when notifications are off.
	notifier auth.Notifier
	// socket is where the control API listens.
	socket string
	stop   func()
}

// startDaemon takes the per-user lock, starts the control API and loads the key. The engine's
// loop is the caller's to run.
func startDaemon(ctx context.Context, a *app, log *slog.Logger) (*daemon, error) {
	l, lock, err := control.ListenFor(a.paths)
	socket := a.paths.Socket
	if lock != nil && lock.Socket() != "" {
		socket = lock.Socket() // the private folder, when the daemon moved there
	}
	api := auth.DaemonStatus{Running: true, PID: os.Getpid(), Socket: socket, ControlAPI: "on"}
	switch {
	case errors.Is(err, control.ErrUnavailable):
		// One engine per user still holds (the lock is ours); only the API is off.
		api.ControlAPI, api.ControlAPIProblem = "off", control.NoUnixSockets
		log.Warn("control API off: other commands work without the daemon", "err", err)
	case err != nil:
		var ar *control.AlreadyRunningError
		if errors.As(err, &ar) {
			return nil, &exitError{code: 1, err: err}
		}
		return nil, fmt.Errorf("starting the control API: %w", err)
	}
	var notifier auth.Notifier
	if a.cfg.NotificationsOn() {
		notifier = tray.NewNotifier(nil)
	}
	opts := a.engineOptions(log, notifier)
	opts.Environ = engineEnviron(a.envKey)
	f := auth.NewFleet(a.fleetOptions(opts))
	e := f.Default()
	if lock != nil && lock.Moved != nil {
		log.Warn("the usual control socket is not safe to use; listening in a private folder instead", "socket", lock.Socket(), "reason", lock.Moved.Error())
	}
	f.Load(ctx)
	f.SetDaemon(api)
	srv := control.NewServer(f, control.ServerOptions{Logger: log})
	served := make(chan struct{})
	if l == nil {
		close(served)
	} else {
		go func() {
			defer close(served)
			if err := srv.Serve(l); err != nil {
				log.Error("control API stopped", "err", err)
			}
		}()
	}
	return &daemon{fleet: f, engine: e, log: log, notifier: notifier, socket: socket, stop: func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
		lock.Release()
		log.Info("daemon stopped", "pid", os.Getpid())
	}}, nil
}
