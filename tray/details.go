package tray

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// KeysPage is where a person creates an Anthropic API key.
const KeysPage = "https://console.anthropic.com/settings/keys"

// HelpURL is what Help opens: the README's troubleshooting section.
const HelpURL = "https://github.com/claude-keytray/claude-keytray#troubleshooting"

// Problem is one thing that keeps the state from being ok, and what to do about it.
type Problem struct {
	What string
	Fix  string
}

// Problems is what is wrong, worst first, as the engine reports it in the status: the one
// list the status line, the icon, doctor and this window all read.
func Problems(st auth.Status) []Problem {
	var ps []Problem
	for _, p := range st.Problems {
		ps = append(ps, Problem{What: tildePath(p.Message), Fix: p.Fix})
	}
	return ps
}

// DetailsText is the Details window: state, key, source, last check, refreshes, problems.
func DetailsText(line func(auth.Status) string, st auth.Status, now time.Time) string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%s: %s\n", k, v) }
	row("State", line(st))
	if st.Key.Present {
		row("Key", st.Key.Fingerprint)
		row("Source", sourceText(st))
	} else {
		row("Key", "none stored")
	}
	row("Last check", checkText(st.Validation, now))
	row("Refresh", RefreshLabel(st.Refresh, now))
	if st.AuthFailures.Count > 0 {
		row("Claude 401s", fmt.Sprint(st.AuthFailures.Count))
	}
	ps := Problems(st)
	if len(ps) == 0 {
		b.WriteString("\nNo problems: Claude Code gets this key from " + DisplayName + ".\n")
		return b.String()
	}
	b.WriteString("\nProblems:\n")
	for _, p := range ps {
		b.WriteString("• " + p.What + "\n")
		if p.Fix != "" {
			b.WriteString("  Fix: " + p.Fix + "\n")
		}
	}
	return b.String()
}

// Diagnostics is the report "Copy diagnostics" puts on the clipboard, for a bug report. It holds
// no secret: the status carries only the key's fingerprint, and the home folder is written ~.
func Diagnostics(version string, st auth.Status, now time.Time) string {
	var b strings.Builder
	row := func(k string, v any) { fmt.Fprintf(&b, "%s: %v\n", k, v) }
	row("app", HeaderLabel(version))
	row("os", runtime.GOOS+"/"+runtime.GOARCH)
	row("time", now.UTC().Format(time.RFC3339))
	row("state", st.State)
	row("key", fmt.Sprintf("present=%v fingerprint=%s source=%s kind=%s", st.Key.Present, st.Key.Fingerprint, st.Key.Source, st.Key.Kind))
	row("validation", fmt.Sprintf("%s http=%d checked=%s", st.Validation.Result, st.Validation.HTTPStatus, timeText(st.Validation.CheckedAt)))
	row("helper", fmt.Sprintf("ok=%v path=%s", st.Helper.OK, tildePath(st.Helper.Path)))
	row("settings", fmt.Sprintf("wired=%v path=%s conflicts=%d", st.ClaudeSettings.Wired, tildePath(st.ClaudeSettings.Path), len(st.ClaudeSettings.Conflicts)))
	row("refresh", fmt.Sprintf("interval=%ds count=%d last=%s next=%s", st.Refresh.IntervalSeconds, st.Refresh.Count, timeText(st.Refresh.Last), timeText(st.Refresh.Next)))
	row("auth_failures", st.AuthFailures.Count)
	row("store", fmt.Sprintf("%s reachable=%v", st.Store.Kind, st.Store.Reachable))
	row("tray", st.Daemon.Tray)
	for _, p := range Problems(st) {
		row("problem", tildePath(p.What))
	}
	return b.String()
}

func sourceText(st auth.Status) string {
	switch st.Key.Source {
	case "keychain":
		if st.Store.Where != "" {
			return st.Store.Where
		}
		return "the keychain"
	case "command":
		return "a source command (CLAUDE_KEYTRAY_SOURCE or the config)"
	case "env":
		return "an environment variable"
	case "file":
		return "a file"
	}
	return st.Key.Source
}

func checkText(v auth.Validation, now time.Time) string {
	var what string
	switch v.Result {
	case auth.ResultValid:
		what = "accepted by the API"
	case auth.ResultInvalid:
		what = "rejected by the API"
	case auth.ResultUnknown:
		what = "the API did not answer"
	case auth.ResultSkipped:
		what = "not checked"
	default:
		return "never"
	}
	if v.CheckedAt == nil {
		return what
	}
	return what + ", " + agoText(now.Sub(*v.CheckedAt))
}

func timeText(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// tildePath writes the home folder as ~, so a pasted report does not carry the user's name.
func tildePath(s string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return s
	}
	return strings.ReplaceAll(s, home, "~")
}
