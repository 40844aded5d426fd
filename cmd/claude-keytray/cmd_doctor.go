package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

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
			f := a.fleet(log, nil)
			rep := a.profileEngine(f).Doctor(ctx, auth.DoctorOptions{Verify: !noVerify, Daemon: &d, BadInterval: a.badInterval, Serving: serving})
			if a.profile == "" && f.Count() > 1 {
				profileChecks(ctx, a, f, &rep, !noVerify, &d)
			}
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

// keyChecks are the doctor's checks about one key; with several profiles each profile gets them.
var keyChecks = map[string]bool{"keychain": true, "key present": true, "API accepts key": true}

// profileChecks adds every other profile's key checks and says which profile each bound folder
// gets.
func profileChecks(ctx context.Context, a *app, f *auth.Fleet, rep *auth.DoctorReport, verify bool, d *auth.DaemonStatus) {
	cfg := f.Config()
	cur := cfg.CurrentProfile()
	for i := range rep.Checks {
		if keyChecks[rep.Checks[i].Name] {
			rep.Checks[i].Name = cur + ": " + rep.Checks[i].Name
		}
	}
	for _, name := range cfg.ProfileNames() {
		if name == cur {
			continue
		}
		e, err := f.Engine(name)
		if err != nil {
			continue
		}
		sub := e.Doctor(ctx, auth.DoctorOptions{Verify: verify, Daemon: d})
		for _, c := range sub.Checks {
			if !keyChecks[c.Name] {
				continue
			}
			c.Name = name + ": " + c.Name
			c.Fix = strings.ReplaceAll(c.Fix, "claude-keytray update-key", "claude-keytray update-key --profile "+name)
			c.Fix = strings.ReplaceAll(c.Fix, "claude-keytray import", "claude-keytray import --profile "+name)
			rep.Checks = append(rep.Checks, c)
			if c.Status == auth.CheckFail {
				rep.OK = false
			}
		}
	}
	for _, b := range cfg.Bindings {
		got := auth.ResolveProfile(cfg, b.Dir)
		c := auth.Check{Name: "binding", Status: auth.CheckPass, Detail: fmt.Sprintf("Claude Code in %s gets profile %s", b.Dir, got)}
		if fi, err := os.Stat(b.Dir); err != nil || !fi.IsDir() {
			c.Status, c.Fix = auth.CheckWarn, "create the folder, or run `claude-keytray profile unbind "+b.Dir+"`"
			c.Detail += " (the folder does not exist)"
		}
		rep.Checks = append(rep.Checks, c)
	}
	rep.Checks = append(rep.Checks, auth.Check{Name: "binding", Status: auth.CheckPass, Detail: "any other folder gets profile " + cur})
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
