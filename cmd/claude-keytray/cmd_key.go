package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/helperexe"

	"github.com/spf13/cobra"
)

func newKeyCmd(g *globalFlags) *cobra.Command {
	var deliver bool
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print the active key on stdout (the apiKeyHelper entry point)",
		Long: `Prints the active key and nothing else on stdout; Claude Code runs this through the helper
script. It asks the running daemon first and falls back to the keychain.

Exit codes: 0 key printed; 2 no key stored; 3 keychain unavailable or locked; 1 anything else
(one line on stderr says what to do).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if deliver {
				return deliverNotification(os.Stdin)
			}
			undumpable()
			a, err := newTolerantApp(g)
			if err != nil {
				return err
			}
			ctx := context.Background()
			// claude-keytray-key asked the daemon already and handed the answer it could not
			// use to this command: asking again would count as a second helper call.
			asked := os.Getenv(helperexe.AskedEnv) != ""
			os.Unsetenv(helperexe.AskedEnv)
			if !asked {
				if secret, ok := keyFromDaemon(ctx, a); ok {
					_, err := os.Stdout.WriteString(secret + "\n")
					return err
				}
			}
			log, closer := a.fileLogger()
			defer closer.Close()
			var k auth.Key
			if _, running := daemonPID(a); !running {
				// No daemon: this run watches for Claude Code's 401 retries itself, with a state
				// file shared by the helper's runs, and notifies from a background process.
				e := a.callerEngine(log, detachedNotifier{exe: exe()})
				e.TrackCallersInFile(e.Options().Paths.CallersFile)
				k, err = e.KeyForCaller(ctx, os.Getpid())
				defer func() {
					wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					defer cancel()
					e.WaitNotifications(wctx)
				}()
			} else {
				k, err = a.callerEngine(log, nil).CurrentKey(ctx)
			}
			if err != nil {
				return withCode(err)
			}
			_, err = os.Stdout.WriteString(k.Secret() + "\n")
			return err
		},
	}
	cmd.Flags().BoolVar(&deliver, "deliver-notification", false, "show the notification given as JSON on stdin (used by key itself)")
	cmd.Flags().MarkHidden("deliver-notification")
	return cmd
}

// callerEngine is the engine of the profile this `key` run serves: the one named by --profile or
// CLAUDE_KEYTRAY_PROFILE, else the one its caller's folder is bound to, else the current one.
func (a *app) callerEngine(log *slog.Logger, n auth.Notifier) *auth.Engine {
	if !a.cfg.NotificationsOn() {
		n = nil
	}
	f := a.fleet(log, n)
	if a.profile != "" {
		return a.profileEngine(f)
	}
	e, err := f.Engine(f.ProfileForPID(os.Getpid()))
	if err != nil {
		return a.profileEngine(f)
	}
	return e
}
