//go:build linux

package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
)

// With a source command configured the source gives the key: a key offered by hand would be
// put back by the next refresh with a "rotated" notice, so update-key (with and without a
// daemon), the control API and import refuse it, say where to change the key, and keep the
// keychain as it was. The refresh after that changes nothing either.
func TestE2EUpdateKeyRefusedWhileSourceConfigured(t *testing.T) {
	t.Parallel()
	w, _, old := new401World(t)
	pasted := w.newKey()
	w.api.SetAccepted(old, pasted)

	check := func(when string) {
		t.Helper()
		w.wantStored(old, when)
		w.wantKey(old, when)
	}
	// No daemon: refused before a key is read.
	r := w.run(pasted+"\n", "update-key")
	wantExit(t, r, 1, "update-key with a source and no daemon")
	if !strings.Contains(r.Stderr, "A source command gives the key (CLAUDE_KEYTRAY_SOURCE)") || !strings.Contains(r.Stderr, "remove CLAUDE_KEYTRAY_SOURCE to manage the key here") {
		t.Fatalf("stderr %q", r.Stderr)
	}
	check("after update-key without a daemon")

	w.startSettledDaemon()
	r = w.run(pasted+"\n", "update-key")
	wantExit(t, r, 1, "update-key with a source and a daemon")
	check("after update-key with a daemon")

	// The control API (what the tray's dialog and other clients use) answers 409.
	c := control.NewClient(w.socket())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.UpdateKey(ctx, pasted, true)
	var ae *control.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 409 || ae.Code != control.CodeSourceConfigured || !errors.Is(err, auth.ErrSourceIsAuthority) || strings.Contains(err.Error(), pasted) {
		t.Fatalf("control API update-key: %v", err)
	}
	if !strings.Contains(ae.Message, "so key "+auth.Fingerprint(pasted)+" was not stored") {
		t.Fatalf("control API message %q", ae.Message)
	}
	check("after the control API's update-key")

	// import is a key offered by hand too.
	w.env.Set("CLAUDE_API_KEY", pasted)
	r = w.run("", "import", "--from", "CLAUDE_API_KEY")
	w.env.Set("CLAUDE_API_KEY", "")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "a source command gives the key") {
		t.Fatalf("import: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	check("after import")

	// The key offered is the one in use: nothing to refuse.
	r = w.run(old+"\n", "update-key")
	wantExit(t, r, 1, "update-key of the source's own key (refused up front, before reading)")

	if st := w.refresh(); st.Key.Fingerprint != auth.Fingerprint(old) || st.Refresh.LastError != "" {
		t.Fatalf("refresh: key %s, last_error %q", st.Key.Fingerprint, st.Refresh.LastError)
	}
	check("after the refresh")
	if got := w.notificationsWith("Claude key rotated"); len(got) != 0 {
		t.Fatalf("a rotation was announced: %v", got)
	}
}
