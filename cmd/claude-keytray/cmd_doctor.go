package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/spf13/cobra"
)

func newDoctorCmd(g *globalFlags) *cobra.Command {
	var asJSON, noVerify bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the keychain, the key, the helper, Claude's settings and permissions; say how to fix each",
		Long: `Runs every troubleshooting check: the keychain answers, a well-formed key is stored, the API
accepts it, the helper script is present, executable and unchanged, Claude Code's settings point
at it, nothing overrides it (ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, project settings), no
plaintext key files are lying around, and file permissions are private. Each problem comes with a
fix. Exits 1 when a check fails (warnings don't fail).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newTolerantApp(g)
			if err != nil {
				return err
			}
			ctx := context.Background()
			log, closer := a.fileLogger()
			defer closer.Close()
			var d auth.DaemonStatus
			serving := ""
			if st, err := a.client().Status(ctx); err == nil {
				d = st.Daemon
				serving = st.Key.Fingerprint
			} else {
				a.noteUnsafe(err)
			}
			rep := a.engine(log).Doctor(ctx, auth.DoctorOptions{Verify: !noVerify, Daemon: &d, BadInterval: a.badInterval, Serving: serving})
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				for _, l := range doctorLines(rep) {
					fmt.Fprintln(out, l)
				}
			}
			if !rep.OK {
				return &exitError{code: 1, err: fmt.Errorf("doctor found problems"), silent: asJSON}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "don't ask the API whether it accepts the key")
	return cmd
}

// doctorLines is doctor's text report: per check its verdict and what was found, and for a
// problem its one fix, each in a person's words (details stay in --json's "more").
func doctorLines(rep auth.DoctorReport) []string {
	var out []string
	for _, c := range rep.Checks {
		mark := map[auth.CheckStatus]string{auth.CheckPass: "ok  ", auth.CheckWarn: "warn", auth.CheckFail: "FAIL"}[c.Status]
		out = append(out, fmt.Sprintf("[%s] %-17s %s", mark, c.Name, forPerson(c.Detail)))
		if c.Fix != "" && c.Status != auth.CheckPass {
			out = append(out, fmt.Sprintf("       %-17s fix: %s", "", forPerson(c.Fix)))
		}
	}
	return out
}
