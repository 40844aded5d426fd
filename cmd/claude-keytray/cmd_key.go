package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"
)

func newKeyCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "key",
		Short: "Print the active key on stdout (the apiKeyHelper entry point)",
		Long: `Prints the active key and nothing else on stdout; Claude Code runs this through the helper
script. It asks the running daemon first and falls back to the keychain.

Exit codes: 0 key printed; 2 no key stored; 3 keychain unavailable or locked; 1 anything else
(one line on stderr says what to do).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			ctx := context.Background()
			if secret, ok := keyFromDaemon(ctx, a); ok {
				_, err := os.Stdout.WriteString(secret + "\n")
				return err
			}
			log, closer := a.fileLogger()
			defer closer.Close()
			k, err := a.engine(log).CurrentKey(ctx)
			if err != nil {
				return withCode(err)
			}
			_, err = os.Stdout.WriteString(k.Secret() + "\n")
			return err
		},
	}
}
