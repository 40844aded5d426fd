package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/spf13/cobra"
)

func newStatusCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the key's state, the helper, Claude's settings and the refresh loop",
		Long: `Shows the state (ok, unverified, invalid, no_key, error), the key's fingerprint (never the key),
the last API check, the helper script, Claude Code's settings and anything overriding them, the
refresh loop and the daemon. --json prints the status object documented in the README.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := newApp(g)
			if err != nil {
				return err
			}
			st := currentStatus(context.Background(), a)
			return printStatus(cmd.OutOrStdout(), st, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status object as JSON")
	return cmd
}

func printStatus(w io.Writer, st auth.Status, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	if len(st.Profiles) > 1 || st.Profile != "" && st.Profile != auth.DefaultProfile {
		fmt.Fprintf(w, "Profile:     %s\n", st.Profile)
	}
	fmt.Fprintf(w, "Claude key:  %s\n", StatusLine(st))
	if st.Key.Present {
		fmt.Fprintf(w, "Key:         %s from %s", st.Key.Fingerprint, st.Key.Source)
		if st.Key.UpdatedAt != nil {
			fmt.Fprintf(w, ", stored %s", ago(*st.Key.UpdatedAt))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Store:       %s", st.Store.Where)
	if !st.Store.Reachable {
		fmt.Fprintf(w, " — %s", st.Store.Error)
	}
	fmt.Fprintln(w)
	v := st.Validation
	switch {
	case v.CheckedAt == nil:
		fmt.Fprintf(w, "API check:   %s\n", v.Result)
	case v.HTTPStatus != 0:
		fmt.Fprintf(w, "API check:   %s (HTTP %d) %s\n", v.Result, v.HTTPStatus, ago(*v.CheckedAt))
	default:
		fmt.Fprintf(w, "API check:   %s %s\n", v.Result, ago(*v.CheckedAt))
	}
	if v.Detail != "" && v.Result != auth.ResultValid {
		fmt.Fprintf(w, "             %s\n", v.Detail)
	}
	fmt.Fprintf(w, "Helper:      %s %s\n", st.Helper.Path, okOr(st.Helper.OK, st.Helper.Problem))
	fmt.Fprintf(w, "Settings:    %s %s\n", st.ClaudeSettings.Path, okOr(st.ClaudeSettings.Wired, "does not use the helper (run claude-keytray install)"))
	for _, c := range st.ClaudeSettings.Conflicts {
		fmt.Fprintf(w, "Conflict:    %s\n", c)
	}
	fmt.Fprintf(w, "Refresh:     every %ds", st.Refresh.IntervalSeconds)
	if st.Refresh.Last != nil {
		fmt.Fprintf(w, " · last %s", ago(*st.Refresh.Last))
	}
	if st.Refresh.Next != nil && st.Daemon.Running {
		fmt.Fprintf(w, " · next %s", until(*st.Refresh.Next))
	}
	fmt.Fprintln(w)
	if st.Refresh.LastError != "" {
		fmt.Fprintf(w, "Last error:  %s\n", st.Refresh.LastError)
	}
	if st.AuthFailures.Count > 0 {
		fmt.Fprintf(w, "401s seen:   %d, last %s\n", st.AuthFailures.Count, ago(*st.AuthFailures.Last))
	}
	switch {
	case st.Daemon.ControlAPI == "off" && st.Daemon.Running:
		fmt.Fprintf(w, "Daemon:      running (pid %d), control API off: %s\n", st.Daemon.PID, st.Daemon.ControlAPIProblem)
	case st.Daemon.ControlAPI == "off":
		fmt.Fprintf(w, "Daemon:      not running; control API off: %s\n", st.Daemon.ControlAPIProblem)
	case st.Daemon.Running:
		fmt.Fprintf(w, "Daemon:      running (pid %d, %s)\n", st.Daemon.PID, st.Daemon.Socket)
	default:
		fmt.Fprintln(w, "Daemon:      not running (helper calls read the keychain directly; nothing refreshes the key)")
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "Warning:     %s\n", warn)
	}
	c := st.EffectiveCredential
	fmt.Fprintf(w, "Claude uses: %s (%s", orNone(c.APIKeySource), c.AuthMethod)
	if c.Where != "" {
		fmt.Fprintf(w, ", from %s", c.Where)
	}
	fmt.Fprintf(w, "; says %s)\n", c.From)
	for _, p := range st.Problems {
		fmt.Fprintf(w, "Problem:     [%s] %s\n             fix: %s\n", p.Code, p.Message, p.Fix)
	}
	if len(st.Profiles) > 1 {
		fmt.Fprintln(w, "Profiles:")
		for _, p := range st.Profiles {
			mark := " "
			if p.Default {
				mark = "*"
			}
			line := fmt.Sprintf("  %s %-12s %s", mark, p.Profile, StatusLine(p))
			if len(p.Bindings) > 0 {
				line += " · " + strings.Join(p.Bindings, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

// StatusLine is the one-line summary shared by `status` and the tray: the state, the key's
// last four characters, and the worst problem when it is not the state itself.
func StatusLine(st auth.Status) string {
	fp := st.Key.Fingerprint
	if i := strings.Index(fp, "…"); i >= 0 {
		fp = fp[i:]
	}
	var line string
	switch st.State {
	case auth.StateOK:
		line = "OK · " + fp
	case auth.StateUnverified:
		line = "Not verified · " + fp
	case auth.StateInvalid:
		line = "Rejected · " + fp
	case auth.StateNoKey:
		line = "No key"
	default:
		line = "Error"
	}
	if w := st.Worst(); w != nil {
		switch w.Code {
		case auth.ProblemNoKey, auth.ProblemKeyRejected, auth.ProblemKeyUnverified:
			// The state already says it.
		default:
			line += " · " + w.Title
		}
	}
	return line
}

func orNone(s string) string {
	if s == "" {
		return "no API key"
	}
	return s
}

func okOr(ok bool, problem string) string {
	if ok {
		return "ok"
	}
	return "— " + problem
}

func ago(t time.Time) string {
	d := time.Since(t).Round(time.Second)
	if d < 0 {
		return "just now"
	}
	return humanDuration(d) + " ago"
}

func until(t time.Time) string {
	d := time.Until(t).Round(time.Second)
	if d <= 0 {
		return "now"
	}
	return "in " + humanDuration(d)
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
