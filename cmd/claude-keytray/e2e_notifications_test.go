//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// With "notifications": false in the config, a rotation and a failing source still happen and
// are logged, but nothing reaches the real notification daemon.
func TestDaemonE2ENotificationsOff(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	w.notes = w.env.StartNotifications(t)
	k1, k2 := w.newKey(), w.newKey()
	w.api.SetAccepted(k1, k2)
	w.env.SecretToolStore(t, k1)
	src := w.env.WriteFile(t, "source.key", k1+"\n", 0o600)
	w.env.WriteFile(t, filepath.Join(w.env.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json"), `{"notifications": false}`, 0o600)
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", "cat "+src)
	w.startDaemon()

	w.env.WriteFile(t, src, k2+"\n", 0o600)
	if st := w.refresh(); st.Key.Fingerprint != auth.Fingerprint(k2) {
		t.Fatalf("the rotation did not happen: %+v", st.Key)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if st := w.refresh(); st.Refresh.LastError == "" {
		t.Fatal("a missing source file set no last_error")
	}
	log := w.readLog()
	for _, title := range []string{`title="Claude key rotated"`, `title="Claude key refresh failed"`} {
		line := ""
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, title) {
				line = l
			}
		}
		if !strings.Contains(line, "sent=false") {
			t.Fatalf("the log should record %s as not sent; got %q", title, line)
		}
	}
	w.notes.NoneWithin(t, func(n testenv.Notification) bool { return n.AppName == "Claude Keytray" }, time.Second)
}
