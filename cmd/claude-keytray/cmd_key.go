package main

import (
	"context"
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
				e := a.notifyingEngine(log, detachedNotifier{exe: exe()})
				e.TrackCallersInFile(a.paths.CallersFile)
				k, err = e.KeyForCaller(ctx, os.Getpid())
				defer func() {
					wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					defer cancel()
					e.WaitNotifications(wctx)
				}()
			} else {
				k, err = a.engine(log).CurrentKey(ctx)
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
