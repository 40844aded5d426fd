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

	"github.com/claude-keytray/claude-keytray/auth"
)

// With a source command configured, a key typed into Update key… is not stored (the next
// refresh would put the source's key back): the dialog says where the key comes from and what
// to do, and the keychain and the engine keep the source's key.
func TestMenuUpdateKeyWithSource(t *testing.T) {
	fromSource, typed := testKey("srce"), testKey("typd")
	_, srv := newGatedAPI(t, fromSource, typed)
	home := t.TempDir()
	src := filepath.Join(home, "source-key")
	if err := os.WriteFile(src, []byte(fromSource+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	paths := auth.Paths{ConfigFile: filepath.Join(home, "config.json"), PlainKeyFile: filepath.Join(home, "api_key"), StateDir: filepath.Join(home, "state")}
	store := &auth.FileStore{Path: paths.PlainKeyFile}
	eng := auth.New(auth.Options{
		Paths:   paths,
		Store:   store,
		Checker: &auth.Checker{BaseURL: srv.URL, Client: srv.Client()},
		Source:  &auth.CommandSource{Command: "cat '" + src + "'"},
		Environ: []string{},
		Cwd:     home,
	})
	ctx := context.Background()
	eng.Load(ctx)
	if st := eng.Refresh(ctx, auth.RefreshRequest{Reason: "test", User: true}); st.Key.Fingerprint != auth.Fingerprint(fromSource) {
		t.Fatalf("the source's key was not read: %+v", st.Key)
	}
	p := &scriptedPrompter{dialog: true, replies: []reply{{key: typed + "\n"}}}
	n := &recordingNotifier{}
	line := func(st auth.Status) string { return string(st.State) + " " + st.Key.Fingerprint }
	m := newMenu(Options{Engine: eng, StatusLine: line, Prompter: p, Notifier: n, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func() {})

	m.updateKey(ctx)
	if got, _ := store.Get(ctx); got != fromSource || eng.Status().Key.Fingerprint != auth.Fingerprint(fromSource) {
		t.Fatalf("the typed key replaced the source's: stored %s", auth.Fingerprint(got))
	}
	if len(p.shown) != 1 || !strings.HasPrefix(p.shown[0], titleNotChanged+": Your key comes from a source command, so a key typed here would not last.") {
		t.Fatalf("dialogs shown: %q", p.shown)
	}
	if strings.Contains(p.shown[0], typed) || len(n.all()) != 0 {
		t.Fatalf("dialog %q, notifications %q", p.shown[0], n.all())
	}
}
