//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"context"
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
	if v := m.view(time.Now()); v.RefreshNow.Hidden || len(v.Profiles.Lines) != 0 || !v.Profiles.RefreshParent.Hidden || v.Status.Label != "Claude key: OK · …d3f0" {
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
