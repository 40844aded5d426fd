package tray_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
	"github.com/claude-keytray/claude-keytray/tray"
)

// trayLog is the tray's log file.
func (d *desktop) trayLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.env.Get("XDG_STATE_HOME"), "claude-keytray", "claude-keytray.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitUpdated waits for the success notification for key and checks it names what was left out.
func (d *desktop) waitUpdated(t *testing.T, key, leftOut string) {
	t.Helper()
	n := d.notes.WaitFor(t, func(n testenv.Notification) bool {
		return n.Summary == "Claude key updated" && strings.Contains(n.Body, auth.Fingerprint(key))
	}, 10*time.Second)
	if !strings.Contains(n.Body, "left out "+leftOut+".") {
		t.Errorf("the notification for %s says %q, want it to name %q", auth.Fingerprint(key), n.Body, leftOut)
	}
}

// TestTrayUpdateKeyDialogPasteMistakes: keys typed into the real key dialog with quotes, a
// variable assignment or twice are stored as the key itself, and the notification says what was
// left out; two different keys are refused with that reason and the old key stays.
func TestTrayUpdateKeyDialogPasteMistakes(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	keyA, keyB, keyC, keyD, keyE := newKey(t), newKey(t), newKey(t), newKey(t), newKey(t)
	d.api.SetAccepted(keyA, keyB, keyC, keyD, keyE)
	d.env.SecretToolStore(t, keyA)
	_, it := d.startTray(t)
	waitMenu(t, it, "Claude key: OK · "+last4(keyA), 10*time.Second)
	const dialog = "^Claude Keytray — Update key$"
	const errDialog = "^Claude Keytray — Key not changed$"

	for _, tc := range []struct {
		typed, key, leftOut string
	}{
		{`export ANTHROPIC_API_KEY="` + keyB + `"`, keyB, "the variable name ANTHROPIC_API_KEY and the quotes"},
		{"“" + keyC + "”", keyC, "the quotes"},
		{keyD + keyD, keyD, "the second copy of the key"},
		{"`" + keyE + "'", keyE, "the quotes"},
	} {
		it.Click(t, tray.LabelUpdateKey)
		w := d.env.WaitForWindow(t, dialog, 10*time.Second)
		d.env.TypeInto(t, w, tc.typed, "Return")
		d.env.WaitNoWindow(t, dialog, 5*time.Second)
		waitMenu(t, it, "Claude key: OK · "+last4(tc.key), 10*time.Second)
		if got, _ := d.env.SecretToolLookup(t); got != tc.key {
			t.Fatalf("typed %s wrapped: the keychain holds %s", auth.Fingerprint(tc.key), auth.Fingerprint(got))
		}
		d.waitUpdated(t, tc.key, tc.leftOut)
	}

	it.Click(t, tray.LabelUpdateKey)
	w := d.env.WaitForWindow(t, dialog, 10*time.Second)
	d.env.TypeInto(t, w, keyA+keyB, "Return")
	ew := d.env.WaitForWindow(t, errDialog, 10*time.Second)
	d.env.TypeInto(t, ew, "", "Return")
	d.env.WaitNoWindow(t, errDialog, 5*time.Second)
	if got, _ := d.env.SecretToolLookup(t); got != keyE {
		t.Fatalf("after two different keys the keychain holds %s, want the old %s", auth.Fingerprint(got), auth.Fingerprint(keyE))
	}
	log := d.trayLog(t)
	if !strings.Contains(log, "two different keys were pasted ("+auth.Fingerprint(keyA)+" and "+auth.Fingerprint(keyB)+")") {
		t.Errorf("the log does not name the mistake:\n%s", log)
	}
	for _, k := range []string{keyA, keyB, keyC, keyD, keyE} {
		if strings.Contains(log, k) {
			t.Fatalf("the log holds a key (%s)", auth.Fingerprint(k))
		}
	}
}

// TestTrayPasteFromClipboardMistakes: the clipboard path takes the key out of a copied
// assignment, two lines of the same key or a quoted key, and refuses two different keys in a
// notification that names the mistake.
func TestTrayPasteFromClipboardMistakes(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "xclip")
	d := newDesktop(t, true)
	keyA, keyB, keyC, keyD := newKey(t), newKey(t), newKey(t), newKey(t)
	d.api.SetAccepted(keyA, keyB, keyC, keyD)
	d.env.SecretToolStore(t, keyA)

	it := startTrayWithoutDialogs(t, d)
	waitMenu(t, it, "Claude key: OK · "+last4(keyA), 10*time.Second)

	copyText := func(text string) { copyToClipboard(t, d, text) }

	for _, tc := range []struct {
		copied, key, leftOut string
	}{
		{"ANTHROPIC_API_KEY=" + keyB + "\n", keyB, "the variable name ANTHROPIC_API_KEY"},
		{keyC + "\n" + keyC + "\n", keyC, "the second copy of the key"},
		{"'" + keyD + "'", keyD, "the quotes"},
	} {
		copyText(tc.copied)
		it.Click(t, tray.LabelPasteKey)
		waitMenu(t, it, "Claude key: OK · "+last4(tc.key), 10*time.Second)
		if got, _ := d.env.SecretToolLookup(t); got != tc.key {
			t.Fatalf("pasted %s wrapped: the keychain holds %s", auth.Fingerprint(tc.key), auth.Fingerprint(got))
		}
		d.waitUpdated(t, tc.key, tc.leftOut)
	}

	copyText(keyB + "\n" + keyA + "\n")
	it.Click(t, tray.LabelPasteKey)
	n := d.notes.WaitFor(t, func(n testenv.Notification) bool { return n.Summary == "Claude Keytray — Key not changed" }, 10*time.Second)
	want := "two different keys were pasted (" + auth.Fingerprint(keyB) + " and " + auth.Fingerprint(keyA) + ")"
	if !strings.Contains(n.Body, want) || strings.Contains(n.Body, keyA) || strings.Contains(n.Body, keyB) {
		t.Errorf("the refusal says %q, want it to say %q", n.Body, want)
	}
	if got, _ := d.env.SecretToolLookup(t); got != keyD {
		t.Fatalf("after two different keys the keychain holds %s, want the old %s", auth.Fingerprint(got), auth.Fingerprint(keyD))
	}
}
