package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	runcmd "github.com/claude-keytray/claude-keytray/auth/run"
	"github.com/claude-keytray/claude-keytray/tray"
	"github.com/spf13/cobra"
)

func newRunCmd(g *globalFlags) *cobra.Command {
	var retries int
	var withEnv bool
	cmd := &cobra.Command{
		Use:   "run [--retries N] [--env] -- CMD [ARGS...]",
		Short: "Run a command; when it fails with an auth error (401), refresh the key and run it again",
		Long: `Runs CMD with its input, output and signals passed through, and its exit code as run's own.
When CMD fails with a Claude key error — Claude Code's "Invalid API key · …", "Please run
/login", "Failed to authenticate. API Error: …", "apiKeyHelper script is failing", "API Error:
401" or "403", the API's "authentication_error" type, or "api_error_status":401 in JSON output —
the key is refreshed from its source (through the daemon when it runs, else here), a
notification says so, and CMD runs again, up to --retries times after a short wait. Other
programs' login failures (a git server's "Failed to authenticate") are left alone, and CMD runs
again only when the refresh gave a different key or the API confirmed the key anew.

CMD is run again only when that is safe: piped input is kept (up to 8 MiB) and given again; an
interactive run (input typed on the terminal) is refreshed but not run again.

--env puts ANTHROPIC_API_KEY, fetched fresh for each attempt, into CMD's environment, for tools
that do not read apiKeyHelper (SDK scripts, curl). Without it CMD gets the key the usual way.

Examples:
  claude-keytray run -- claude -p "summarise README.md"
  claude-keytray run --env -- python3 my_sdk_script.py
  git diff | claude-keytray run -- claude -p "review this diff"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("run needs a command to run; write it after --, as in claude-keytray run -- claude -p hello")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if retries < 0 {
				return fmt.Errorf("--retries %d: want 0 or more", retries)
			}
			a, err := newApp(g)
			if err != nil {
				return err
			}
			if a.profile != "" {
				// CMD's own helper calls (Claude Code's) get the same profile.
				os.Setenv(auth.ProfileEnv, a.profile)
			}
			b := &runBackend{a: a, client: a.client()}
			defer b.close()
			code, err := runcmd.Run(context.Background(), runcmd.Options{
				Args:      args,
				Retries:   retries,
				Env:       withEnv,
				Refresher: b,
			})
			if err != nil {
				if c := runcmd.ExitCode(err); c != 1 {
					return &exitError{code: c, err: err}
				}
				// --env found no key: the same exit codes as `key`.
				return withCode(err)
			}
			if code != 0 {
				return &exitError{code: code, err: fmt.Errorf("%s exited %d", args[0], code), silent: true}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&retries, "retries", runcmd.DefaultRetries, "how many times to run the command again after an auth failure")
	cmd.Flags().BoolVar(&withEnv, "env", false, "put ANTHROPIC_API_KEY into the command's environment (fetched fresh for each attempt)")
	// Everything from CMD on is CMD's: `run claude -p hi` must not read -p as run's flag.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// runBackend is run's Refresher: the daemon when it runs, else an engine in this process.
type runBackend struct {
	a      *app
	client *control.Client

	mu     sync.Mutex
	eng    *auth.Engine
	closer io.Closer
}

func (b *runBackend) ReportAuthFailure(ctx context.Context, origin string) (auth.Status, error) {
	st, err := b.client.ReportAuthFailure(ctx, origin)
	if err == nil || !errors.Is(err, control.ErrNotRunning) {
		return st, err
	}
	return b.engine(ctx).ReportAuthFailure(ctx, origin), nil
}

func (b *runBackend) Key(ctx context.Context) (string, error) {
	if k, err := b.client.Key(ctx); err == nil {
		return k, nil
	}
	// No daemon (or one that does not answer in time): read the key here, as `key` does.
	k, err := b.engine(ctx).CurrentKey(ctx)
	if err != nil {
		return "", err
	}
	return k.Secret(), nil
}

// engine is the in-process engine, made on first use so a run with a daemon never opens the
// keychain itself.
func (b *runBackend) engine(ctx context.Context) *auth.Engine {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eng == nil {
		log, closer := b.a.fileLogger()
		b.eng, b.closer = b.a.notifyingEngine(log, tray.NewNotifier(nil)), closer
		b.eng.Load(ctx)
	}
	return b.eng
}

func (b *runBackend) close() {
	b.client.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closer != nil {
		b.closer.Close()
	}
}

// notifyingEngine is a.engine with desktop notifications (unless the config turns them off),
// for commands that handle a 401 without a daemon.
func (a *app) notifyingEngine(log *slog.Logger, n auth.Notifier) *auth.Engine {
	return a.callerEngine(log, n)
}

// detachedNotifier hands a notification to a background `claude-keytray key
// --deliver-notification`: Claude Code waits for the helper to exit, so the helper must not
// wait for the notification daemon.
type detachedNotifier struct{ exe string }

type detachedNote struct {
	Title   string `json:"title"`
	Body    string `json:"body"`
	Urgency int    `json:"urgency"`
}

func (d detachedNotifier) Notify(title, body string) error {
	return d.NotifyNote(auth.Note{Title: title, Body: body, Urgency: auth.UrgencyNormal})
}

// NotifyNote hands on the urgency too; actions need a process that stays to hear the click,
// so a helper run's notifications carry none.
func (d detachedNotifier) NotifyNote(n auth.Note) error {
	if d.exe == "" {
		return errors.New("the program's own path is unknown, so the notification cannot be handed on")
	}
	b, err := json.Marshal(detachedNote{n.Title, n.Body, int(n.Urgency)})
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	// A few hundred bytes fit the pipe's buffer: the write does not wait for the reader.
	_, err = pw.Write(b)
	pw.Close()
	if err != nil {
		return err
	}
	cmd := exec.Command(d.exe, "key", "--deliver-notification")
	cmd.Stdin = pr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s to show a notification: %w", d.exe, err)
	}
	return cmd.Process.Release()
}

// deliverNotification shows the notification a detachedNotifier handed over on stdin.
func deliverNotification(stdin io.Reader) error {
	var n detachedNote
	if err := json.NewDecoder(io.LimitReader(stdin, 16<<10)).Decode(&n); err != nil {
		return fmt.Errorf("reading the notification from stdin: %w", err)
	}
	return tray.NewNotifier(nil).NotifyNote(auth.Note{Title: n.Title, Body: n.Body, Urgency: auth.Urgency(n.Urgency)})
}
