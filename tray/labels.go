package tray

import (
	"fmt"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
)

// DisplayName is the app's name wherever a person reads it: menu header, dialogs,
// notifications, launcher, About. The command is claude-keytray.
const DisplayName = "Claude Keytray"

// Menu labels. Tests read them back through com.canonical.dbusmenu, so they are constants.
const (
	LabelAddKey       = "Add key…"
	LabelRunDoctor    = "Run doctor"
	LabelHelp         = "Help"
	LabelAbout        = "About " + DisplayName
	LabelRefreshNow   = "Refresh now"
	LabelMoreProfiles = "More profiles"
	LabelRefreshing   = "Refreshing…"
	LabelUpdateKey    = "Update key…"
	LabelPasteKey     = "Paste key from clipboard"
	LabelStartAtLogin = "Start at login"
	LabelOpenLog      = "Open log"
	LabelQuit         = "Quit"
)

// HeaderLabel is the menu's first line: the app's name and version.
func HeaderLabel(version string) string {
	if version == "" {
		return DisplayName
	}
	return DisplayName + " " + version
}

// StatusLabel is the status line and the tooltip: "Claude key: OK · …a1b2". It shows at most
// the last four characters of the key, never more of it.
func StatusLabel(line func(auth.Status) string, st auth.Status) string {
	return "Claude key: " + line(st)
}

// RefreshLabel is the refresh line: "Refreshed 2 min ago · next in 2 min". Minutes are the
// finest unit because the line is redrawn every 30 seconds, not every second.
func RefreshLabel(r auth.RefreshStatus, now time.Time) string {
	if r.Last == nil {
		return "Not refreshed yet"
	}
	verb := "Refreshed"
	if r.LastError != "" {
		verb = "Refresh failed"
	}
	s := verb + " " + agoText(now.Sub(*r.Last))
	if r.Next != nil {
		s += " · next " + inText(r.Next.Sub(now))
	}
	return s
}

func agoText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

func inText(d time.Duration) string {
	switch {
	case d <= 0:
		return "now"
	case d < time.Minute:
		return "in under a minute"
	case d < time.Hour:
		// Round up: "next in 4 min" right after a 240 s refresh, not "3 min".
		return fmt.Sprintf("in %d min", int((d+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("in %d h", int(d/time.Hour))
}

// IconFor is the icon for a whole status: the state's, or the amber one when the state is ok
// but a warning stands (the worst problem shows, as on the status line).
func IconFor(st auth.Status) assets.State {
	if st.State == auth.StateOK {
		if w := st.Worst(); w != nil {
			return assets.Unverified
		}
	}
	return IconState(st.State)
}

// IconState maps the engine's state to its icon, one look per state.
func IconState(s auth.State) assets.State {
	switch s {
	case auth.StateOK:
		return assets.Ok
	case auth.StateInvalid:
		return assets.Rejected
	case auth.StateNoKey:
		return assets.NoKey
	case auth.StateError:
		return assets.Error
	}
	return assets.Unverified
}
