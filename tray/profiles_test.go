//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
)

func line(st auth.Status) string {
	switch st.State {
	case auth.StateOK:
		return "OK · " + st.Key.Fingerprint
	case auth.StateInvalid:
		return "Rejected · " + st.Key.Fingerprint
	}
	return string(st.State)
}

// The view of several profiles: a line each with its bound folders, ticked for the default; the
// plain Refresh now and Update key… give way to submenus; the icon shows the worst state of the
// profiles in use, not of one nobody uses; the tooltip lists every profile.
func TestProfileView(t *testing.T) {
	home, _ := os.UserHomeDir()
	work := auth.Status{Profile: "work", State: auth.StateOK, Key: auth.KeyStatus{Fingerprint: "…w0rk"}, Bindings: []string{filepath.Join(home, "src", "work"), "/srv/shared"}}
	def := auth.Status{Profile: "default", Default: true, State: auth.StateOK, Key: auth.KeyStatus{Fingerprint: "…d3f0"}}
	spare := auth.Status{Profile: "spare", State: auth.StateInvalid, Key: auth.KeyStatus{Fingerprint: "…5par"}}
	top := def
	top.Profiles = []auth.Status{def, spare, work}
	m := &Menu{opt: Options{StatusLine: line, Prompter: &scriptedPrompter{dialog: true}, Profiles: fakeProfiles{}}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), st: top}
	v := m.view(time.Now())
	if !v.RefreshNow.Hidden || !v.UpdateKey.Hidden || v.Profiles.RefreshParent.Hidden || v.Profiles.UpdateParent.Hidden {
		t.Fatalf("with several profiles Refresh now and Update key… are submenus: %+v", v)
	}
	want := []string{"default — OK · …d3f0", "spare — Rejected · …5par", "work — OK · …w0rk · ~/src/work, /srv/shared"}
	for i, l := range v.Profiles.Lines {
		if l.Label != want[i] || l.Checked != (i == 0) {
			t.Errorf("line %d: %+v, want %q ticked=%v", i, l, want[i], i == 0)
		}
	}
	if v.Status.Label != "Claude key (default): OK · …d3f0" {
		t.Errorf("status line %q", v.Status.Label)
	}
	if v.Icon != assets.Ok {
		t.Errorf("icon %v: spare is rejected but nothing uses it", v.Icon)
	}
	if !strings.Contains(v.Tooltip, "spare: Rejected · …5par") || !strings.Contains(v.Tooltip, "work: OK") {
		t.Errorf("tooltip %q", v.Tooltip)
	}
	// Bound, spare's rejection shows in the icon.
	top.Profiles[1].Bindings = []string{"/x"}
	m.st = top
	if v := m.view(time.Now()); v.Icon != assets.Rejected {
		t.Errorf("icon %v with a bound rejected profile", v.Icon)
	}
	// One profile: the menu of one key, exactly as before profiles.
	m.st = def
	m.st.Profiles = []auth.Status{def}
	if v := m.view(time.Now()); v.RefreshNow.Hidden || len(v.Profiles.Lines) != 0 || !v.Profiles.RefreshParent.Hidden || !v.Profiles.More.Hidden || v.Status.Label != "Claude key: OK · …d3f0" {
		t.Errorf("one profile: %+v", v)
	}
}

// fakeProfiles lets the view show profiles; the clicks are the desktop test's (desktop_profiles_linux_test.go).
type fakeProfiles struct{}

func (fakeProfiles) UseProfile(string) error { return nil }
func (fakeProfiles) RefreshProfile(context.Context, string, auth.RefreshRequest) (auth.Status, error) {
	return auth.Status{}, nil
}
func (fakeProfiles) UpdateProfileKey(context.Context, string, string, auth.UpdateOptions) (auth.Status, error) {
	return auth.Status{}, nil
}

// More profiles than lines: the first maxProfileItems get lines, the rest a More profiles
// submenu whose label counts them and names the default when it is among them; the Refresh now
// and Update key… submenus list every profile.
func TestProfileViewMore(t *testing.T) {
	var top auth.Status
	for i := range maxProfileItems + 3 {
		p := auth.Status{Profile: fmt.Sprintf("p%02d", i), State: auth.StateOK, Key: auth.KeyStatus{Fingerprint: "…0000"}}
		top.Profiles = append(top.Profiles, p)
	}
	top.Profiles[0].Default = true
	top.Profile = "p00"
	m := &Menu{opt: Options{StatusLine: line, Prompter: &scriptedPrompter{dialog: true}, Profiles: fakeProfiles{}}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), st: top}
	v := m.view(time.Now()).Profiles
	if len(v.Lines) != maxProfileItems || len(v.MoreLines) != 3 || len(v.Refresh) != maxProfileItems+3 || len(v.Update) != maxProfileItems+3 {
		t.Fatalf("%d lines, %d more, %d refresh, %d update entries", len(v.Lines), len(v.MoreLines), len(v.Refresh), len(v.Update))
	}
	if v.More.Hidden || !v.More.Enabled || v.More.Label != LabelMoreProfiles+" (3)" {
		t.Fatalf("More profiles entry: %+v", v.More)
	}
	if v.MoreLines[2].Label != "p14 — OK · …0000" || v.Update[14].Label != "p14" {
		t.Fatalf("last profile: line %+v, update entry %+v", v.MoreLines[2], v.Update[14])
	}
	// The default among the extra profiles: ticked there, and named on the submenu's line.
	m.st.Profiles[0].Default, m.st.Profiles[14].Default = false, true
	m.st.Profile = "p14"
	v = m.view(time.Now()).Profiles
	if !v.MoreLines[2].Checked || v.Lines[0].Checked || v.More.Label != LabelMoreProfiles+" (3) · default: p14" {
		t.Fatalf("default p14: line %+v, first line %+v, More %+v", v.MoreLines[2], v.Lines[0], v.More)
	}
	// Twelve or fewer: no More profiles entry.
	m.st.Profiles = m.st.Profiles[:maxProfileItems]
	if v := m.view(time.Now()).Profiles; !v.More.Hidden || len(v.MoreLines) != 0 {
		t.Fatalf("%d profiles: More %+v, %d more lines", maxProfileItems, v.More, len(v.MoreLines))
	}
}

// A status computed before the one shown (an event that was on its way when a click drew the
// engine's status) is not shown over it; an unnumbered status always is.
func TestMenuKeepsNewerStatus(t *testing.T) {
	m := &Menu{opt: Options{StatusLine: line}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.setStatus(auth.Status{Seq: 5, Profile: "work"})
	m.setStatus(auth.Status{Seq: 3, Profile: "default"})
	if m.st.Profile != "work" {
		t.Fatalf("status %d (%s) replaced the newer 5", m.st.Seq, m.st.Profile)
	}
	m.setStatus(auth.Status{Seq: 6, Profile: "spare"})
	if m.st.Seq != 6 {
		t.Fatalf("status 6 not shown; shows %d", m.st.Seq)
	}
	m.setStatus(auth.Status{Profile: "plain"})
	if m.st.Profile != "plain" {
		t.Fatalf("an unnumbered status (one Engine) was not shown")
	}
	// After an unnumbered one, a numbered status older than the newest shown still waits out.
	m.setStatus(auth.Status{Seq: 4, Profile: "stale"})
	if m.st.Profile != "plain" {
		t.Fatalf("status 4 was shown after 6")
	}
}
