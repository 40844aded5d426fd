package tray_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
	"github.com/claude-keytray/claude-keytray/tray"
)

// A rejected key: dunst shows the notification with "Update key…" and "Details", and choosing
// "Update key…" in dunst (its context menu, through dunstctl) opens the tray's key dialog.
func TestTrayNotificationActionOpensKeyDialog(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "dbus-daemon", "Xvfb", "xfce4-panel", "dunst", "dunstctl", "zenity", "xdotool", "gnome-keyring-daemon", "secret-tool")
	env := testenv.New(t)
	// dunst's context menu asks a dmenu-like program which action to run: this one picks
	// "Update key…" and records what it was offered.
	offered := filepath.Join(env.Dir, "offered.txt")
	pick := env.WriteFile(t, filepath.Join(env.Dir, "pick.sh"), "#!/bin/sh\ntee '"+offered+"' | grep -m1 'Update key'\n", 0o700)
	env.WriteFile(t, filepath.Join(env.Get("XDG_CONFIG_HOME"), "dunst", "dunstrc"), "[global]\n    dmenu = "+pick+"\n", 0o600)
	env.StartBus(t)
	env.StartX(t)
	env.StartKeyring(t)
	notes := env.StartNotifications(t)
	api := testenv.NewFakeAPI(t)
	env.UseFakeAPI(api)
	env.StartPanel(t)
	d := &desktop{env: env, api: api, notes: notes}

	dead, good := newKey(t), newKey(t)
	api.SetAccepted(good)
	env.SecretToolStore(t, dead)
	if r := env.Run(t, "install", "--no-autostart"); r.ExitCode != 0 {
		t.Fatalf("install: %s", r.Stderr)
	}
	_, it := d.startTray(t)
	n := notes.WaitFor(t, func(n testenv.Notification) bool { return n.Summary == "Claude key rejected" }, 15*time.Second)
	if n.Urgency != 2 || !slices.Contains(n.Actions, tray.ActionUpdateKey) || !slices.Contains(n.Actions, tray.LabelUpdateKey) || !slices.Contains(n.Actions, "Details") {
		t.Fatalf("notification %v: urgency %d, actions %q; want critical with Update key… and Details", n, n.Urgency, n.Actions)
	}
	if strings.Contains(n.Body, "401") || strings.Contains(n.Body, "`") || strings.Contains(n.Body, dead) {
		t.Fatalf("body %q is not for people", n.Body)
	}
	waitMenu(t, it, "Claude key: Rejected · "+last4(dead), 10*time.Second)

	if r := env.Exec(t, "", "dunstctl", "context"); r.ExitCode != 0 {
		t.Fatalf("dunstctl context: exit %d: %s", r.ExitCode, r.Stderr)
	}
	w := env.WaitForWindow(t, "^Claude Keytray — Update key$", 10*time.Second)
	if b, _ := os.ReadFile(offered); !strings.Contains(string(b), "Details") {
		t.Errorf("dunst offered %q, without Details", b)
	}
	env.TypeInto(t, w, good, "Return")
	env.WaitNoWindow(t, "^Claude Keytray — Update key$", 5*time.Second)
	waitMenu(t, it, "Claude key: OK · "+last4(good), 10*time.Second)
	if st := d.status(t); st.State != auth.StateOK || st.Key.Fingerprint != auth.Fingerprint(good) {
		t.Fatalf("after the dialog: %s %s", st.State, st.Key.Fingerprint)
	}
}
