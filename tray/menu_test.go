//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

func TestRefreshLabel(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	for _, c := range []struct {
		r    auth.RefreshStatus
		want string
	}{
		{auth.RefreshStatus{}, "Not refreshed yet"},
		{auth.RefreshStatus{Last: at(-2 * time.Second), Next: at(238 * time.Second)}, "Refreshed just now · next in 4 min"},
		{auth.RefreshStatus{Last: at(-2*time.Minute - 5*time.Second), Next: at(115 * time.Second)}, "Refreshed 2 min ago · next in 2 min"},
		{auth.RefreshStatus{Last: at(-3*time.Minute - 50*time.Second), Next: at(10 * time.Second)}, "Refreshed 3 min ago · next in under a minute"},
		{auth.RefreshStatus{Last: at(-5 * time.Minute), Next: at(-time.Second)}, "Refreshed 5 min ago · next now"},
		{auth.RefreshStatus{Last: at(-3 * time.Hour), Next: at(21 * time.Hour)}, "Refreshed 3 h ago · next in 21 h"},
		{auth.RefreshStatus{Last: at(-72 * time.Hour)}, "Refreshed 3 days ago"},
		{auth.RefreshStatus{Last: at(-10 * time.Second), Next: at(20 * time.Second), LastError: "keychain locked"}, "Refresh failed just now · next in under a minute"},
	} {
		if got := RefreshLabel(c.r, now); got != c.want {
			t.Errorf("RefreshLabel(%+v) = %q, want %q", c.r, got, c.want)
		}
	}
}

func TestIconState(t *testing.T) {
	for s, want := range map[auth.State]assets.State{
		auth.StateOK:         assets.Ok,
		auth.StateUnverified: assets.Unverified,
		auth.StateNoKey:      assets.NoKey,
		auth.StateInvalid:    assets.Rejected,
		auth.StateError:      assets.Error,
	} {
		if got := IconState(s); got != want {
			t.Errorf("IconState(%s) = %v, want %v", s, got, want)
		}
	}
}

// gatedAPI answers GET /v1/models on loopback like the Anthropic API: 200 for accepted keys,
// 401 otherwise. While closed it holds requests, so a test can look at the menu mid-refresh.
type gatedAPI struct {
	mu       sync.Mutex
	accepted map[string]bool
	gate     chan struct{}
	waiting  chan struct{}
}

func newGatedAPI(t *testing.T, accepted ...string) (*gatedAPI, *httptest.Server) {
	a := &gatedAPI{accepted: map[string]bool{}, waiting: make(chan struct{}, 16)}
	for _, k := range accepted {
		a.accepted[k] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		gate, ok := a.gate, a.accepted[r.Header.Get("x-api-key")]
		a.mu.Unlock()
		if gate != nil {
			a.waiting <- struct{}{}
			<-gate
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`))
			return
		}
		w.Write([]byte(`{"data":[],"has_more":false}`))
	}))
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *gatedAPI) hold() {
	a.mu.Lock()
	a.gate = make(chan struct{})
	a.mu.Unlock()
}

func (a *gatedAPI) release() {
	a.mu.Lock()
	close(a.gate)
	a.gate = nil
	a.mu.Unlock()
}

// scriptedPrompter stands in for the dialog program (the desktop tests drive the real zenity):
// it answers with the next scripted reply and records the errors it was asked to show.
type scriptedPrompter struct {
	mu      sync.Mutex
	replies []reply
	shown   []string
	texts   []string
	dialog  bool
}

type reply struct {
	key string
	err error
}

func (p *scriptedPrompter) Label() string {
	if p.dialog {
		return LabelUpdateKey
	}
	return LabelPasteKey
}

func (p *scriptedPrompter) PromptKey(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.replies[0]
	p.replies = p.replies[1:]
	return r.key, r.err
}

func (p *scriptedPrompter) ShowError(_ context.Context, title, text string) error {
	if !p.dialog {
		return ErrNoDialog
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shown = append(p.shown, title+": "+text)
	return nil
}

func (p *scriptedPrompter) ShowText(_ context.Context, title, text, action string) (bool, error) {
	if !p.dialog {
		return false, ErrNoDialog
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts = append(p.texts, title+": "+text)
	return false, nil
}

type recordingNotifier struct {
	mu    sync.Mutex
	notes []string
}

func (n *recordingNotifier) Notify(title, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notes = append(n.notes, title+": "+body)
	return nil
}

func (n *recordingNotifier) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.notes...)
}

func testKey(tail string) string {
	return "sk-ant-api03-" + strings.Repeat("x", 80) + tail
}

// newTestMenu wires a Menu to a real engine (file store, API check against api) without an icon.
func newTestMenu(t *testing.T, srv *httptest.Server, p KeyPrompter, n auth.Notifier) (*Menu, *auth.Engine) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("CLAUDE_CONFIG_DIR", "")
	paths, err := auth.DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	if err := claude.WriteHelper(paths.Claude.Helper, "/bin/true"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths.Claude.Settings, []byte(`{"apiKeyHelper": "`+claude.HelperSettingValue(paths.Claude.Helper)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	eng := auth.New(auth.Options{
		Paths:   paths,
		Store:   &auth.FileStore{Path: paths.PlainKeyFile},
		Checker: &auth.Checker{BaseURL: srv.URL, Client: srv.Client()},
		Environ: []string{},
	})
	eng.Load(context.Background())
	line := func(st auth.Status) string { return string(st.State) + " " + st.Key.Fingerprint }
	m := newMenu(Options{Engine: eng, StatusLine: line, Prompter: p, Notifier: n, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func() {})
	return m, eng
}

func (m *Menu) currentView() View {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.view(time.Now())
}

func TestMenuUpdateKey(t *testing.T) {
	good, bad := testKey("good"), testKey("bad0")
	_, srv := newGatedAPI(t, good)
	p := &scriptedPrompter{dialog: true, replies: []reply{
		{err: ErrCancelled},
		{key: good + "\n"},
		{key: bad + "\n"}, // as a dialog prints it: the fingerprint is of the key, not of "…ad0⏎"
		{key: "sk-ant-admin01-" + strings.Repeat("y", 80)},
		{err: errors.New("zenity failed (exit 255): cannot open display")},
	}}
	n := &recordingNotifier{}
	m, eng := newTestMenu(t, srv, p, n)
	ctx := context.Background()

	if v := m.currentView(); v.Status.Label != "Claude key: no_key " || v.Icon != assets.NoKey || v.AddKey.Label != LabelAddKey || v.AddKey.Hidden || !v.UpdateKey.Hidden {
		t.Fatalf("before any key: %+v", v)
	}

	m.updateKey(ctx) // cancelled
	if st := eng.Status(); st.Key.Present || len(p.shown) != 0 || len(n.all()) != 0 {
		t.Fatalf("cancel changed something: key %v, shown %q, notes %q", st.Key.Present, p.shown, n.all())
	}

	m.updateKey(ctx) // good
	st := eng.Status()
	if st.State != auth.StateOK || st.Key.Fingerprint != auth.Fingerprint(good) {
		t.Fatalf("after a good key: %s %s", st.State, st.Key.Fingerprint)
	}
	if v := m.currentView(); v.Status.Label != "Claude key: ok "+auth.Fingerprint(good) || v.Icon != assets.Ok || v.Tooltip != v.Status.Label || !v.UpdateKey.Enabled || v.UpdateKey.Hidden || !v.AddKey.Hidden {
		t.Fatalf("view after a good key: %+v", v)
	}
	if notes := n.all(); len(notes) != 1 || !strings.Contains(notes[0], "Claude key updated") || !strings.Contains(notes[0], "The API accepts it") {
		t.Fatalf("notifications after a good key: %q", notes)
	}

	m.updateKey(ctx) // rejected by the API
	m.updateKey(ctx) // malformed
	m.updateKey(ctx) // the dialog itself failed
	if st := eng.Status(); st.Key.Fingerprint != auth.Fingerprint(good) || st.State != auth.StateOK {
		t.Fatalf("a refused key replaced the old one: %s %s", st.State, st.Key.Fingerprint)
	}
	if len(p.shown) != 3 {
		t.Fatalf("want 3 error dialogs, got %q", p.shown)
	}
	want := titleNotChanged + ": The API did not accept key " + auth.Fingerprint(bad) + ", so your old key stays in use.\n" +
		"Check that you copied the whole key, or create a new one at " + KeysPage + "."
	if p.shown[0] != want {
		t.Errorf("rejected key dialog:\n  got  %q\n  want %q", p.shown[0], want)
	}
	if strings.Count(p.shown[0], "reject") > 0 || strings.Contains(p.shown[0], "HTTP") {
		t.Errorf("the rejected key dialog repeats the engine's log words: %q", p.shown[0])
	}
	if !strings.Contains(p.shown[1], "That key was not stored") || !strings.Contains(p.shown[1], "Admin API key") {
		t.Errorf("malformed key dialog: %q", p.shown[1])
	}
	if !strings.Contains(p.shown[2], "cannot open display") {
		t.Errorf("dialog failure: %q", p.shown[2])
	}
	for _, s := range append(p.shown, n.all()...) {
		if strings.Contains(s, strings.Repeat("x", 20)) || strings.Contains(s, strings.Repeat("y", 20)) {
			t.Errorf("a message shows a key: %q", s)
		}
	}
}

func TestMenuErrorsWithoutDialogBecomeNotifications(t *testing.T) {
	_, srv := newGatedAPI(t)
	p := &scriptedPrompter{replies: []reply{{key: testKey("nope")}}}
	n := &recordingNotifier{}
	m, eng := newTestMenu(t, srv, p, n)
	if v := m.currentView(); v.UpdateKey.Label != LabelPasteKey {
		t.Fatalf("without a dialog the item reads %q, want %q", v.UpdateKey.Label, LabelPasteKey)
	}
	m.updateKey(context.Background())
	notes := n.all()
	if len(notes) != 1 || !strings.HasPrefix(notes[0], titleNotChanged+": The API did not accept key "+auth.Fingerprint(testKey("nope"))+",") {
		t.Fatalf("notifications: %q", notes)
	}
	if eng.Status().Key.Present {
		t.Fatal("a rejected key was stored")
	}
}

func TestMenuRefreshNowShowsProgress(t *testing.T) {
	key := testKey("ok42")
	api, srv := newGatedAPI(t, key)
	p := &scriptedPrompter{dialog: true, replies: []reply{{key: key}}}
	m, eng := newTestMenu(t, srv, p, nil)
	ctx := context.Background()
	m.updateKey(ctx)
	before := eng.Status().Refresh.Count

	api.hold()
	done := make(chan struct{})
	go func() {
		m.refreshNow(ctx)
		close(done)
	}()
	select {
	case <-api.waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("the refresh never asked the API")
	}
	if v := m.currentView(); v.RefreshNow.Label != LabelRefreshing || v.RefreshNow.Enabled {
		t.Fatalf("during the refresh the item is %+v, want %q disabled", v.RefreshNow, LabelRefreshing)
	}
	api.release()
	<-done
	v := m.currentView()
	if v.RefreshNow.Label != LabelRefreshNow || !v.RefreshNow.Enabled {
		t.Fatalf("after the refresh the item is %+v", v.RefreshNow)
	}
	if got := eng.Status().Refresh.Count; got != before+1 {
		t.Fatalf("refresh.count %d, want %d", got, before+1)
	}
	if !strings.HasPrefix(v.RefreshLine.Label, "Refreshed just now · next in 4 min") {
		t.Fatalf("refresh line %q", v.RefreshLine.Label)
	}
}

// fileAutostart is an Autostart over a marker file, standing in for the login item that
// packaging manages (its own tests cover the real one).
type fileAutostart struct {
	path string
	fail error
}

func (a *fileAutostart) Enabled() (bool, error) {
	_, err := os.Stat(a.path)
	return err == nil, nil
}

func (a *fileAutostart) Enable() error {
	if a.fail != nil {
		return a.fail
	}
	return os.WriteFile(a.path, nil, 0o600)
}

func (a *fileAutostart) Disable() error { return os.Remove(a.path) }

func TestMenuStartAtLogin(t *testing.T) {
	_, srv := newGatedAPI(t)
	m, _ := newTestMenu(t, srv, &scriptedPrompter{dialog: true}, nil)
	if v := m.currentView(); v.HasStartAtLogin {
		t.Fatal("without an Autostart the menu has a Start at login item")
	}
	n := &recordingNotifier{}
	a := &fileAutostart{path: filepath.Join(t.TempDir(), "autostart")}
	m.opt.Autostart, m.opt.Notifier = a, n
	ctx := context.Background()
	m.toggleAutostart(ctx)
	if v := m.currentView(); !v.HasStartAtLogin || !v.StartAtLogin.Checked {
		t.Fatalf("after turning it on: %+v", v.StartAtLogin)
	}
	m.toggleAutostart(ctx)
	if v := m.currentView(); v.StartAtLogin.Checked {
		t.Fatal("still checked after turning it off")
	}
	a.fail = errors.New("cannot write ~/.config/autostart")
	m.toggleAutostart(ctx)
	if v := m.currentView(); v.StartAtLogin.Checked {
		t.Fatal("checked although enabling failed")
	}
	if notes := n.all(); len(notes) != 1 || !strings.Contains(notes[0], "cannot write") {
		t.Fatalf("notifications: %q", notes)
	}
}

func TestRunDialog(t *testing.T) {
	ctx := context.Background()
	res, err := runDialog(ctx, "", nil, "sh", "-c", `printf 'sk-ant-api03-abc\n'; echo warning >&2; exit 0`)
	if err != nil || res.stdout != "sk-ant-api03-abc\n" || res.stderr != "warning" || res.code != 0 {
		t.Fatalf("runDialog = %+v, %v", res, err)
	}
	res, err = runDialog(ctx, "", nil, "sh", "-c", "exit 1")
	if err != nil || res.code != 1 {
		t.Fatalf("exit 1: %+v, %v", res, err)
	}
	res, err = runDialog(ctx, "input", []string{"X_TEST=1"}, "sh", "-c", `cat; printf " $X_TEST"`)
	if err != nil || res.stdout != "input 1" {
		t.Fatalf("stdin and env: %+v, %v", res, err)
	}
	_, err = runDialog(ctx, "", nil, "sh", "-c", "head -c 20000 /dev/zero | tr '\\0' a")
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("an endless answer was not cut off: %v", err)
	}
	if _, err := runDialog(ctx, "", nil, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing program gave no error")
	}
}

func TestListed(t *testing.T) {
	names := []string{"org.kde.StatusNotifierItem-42-1", ":1.7"}
	for items, want := range map[string]bool{
		":1.7/StatusNotifierItem":                            true,
		"org.kde.StatusNotifierItem-42-1":                    true,
		"org.kde.StatusNotifierItem-42-1/StatusNotifierItem": true,
		":1.77/StatusNotifierItem":                           false,
		"org.kde.StatusNotifierItem-421-1":                   false,
	} {
		if got := listed([]string{items}, names); got != want {
			t.Errorf("listed(%q) = %v, want %v", items, got, want)
		}
	}
}

func TestOpenPathMissingLog(t *testing.T) {
	err := openPath(filepath.Join(t.TempDir(), "none.log"))
	if err == nil || !strings.Contains(err.Error(), "no log yet") {
		t.Fatalf("openPath on a missing log: %v", err)
	}
}

// TestMenuOpenLog runs "Open log" with an xdg-open stand-in on PATH that records what it was
// asked to open (a real one would start a viewer the test cannot look at).
func TestMenuOpenLog(t *testing.T) {
	_, srv := newGatedAPI(t)
	n := &recordingNotifier{}
	m, _ := newTestMenu(t, srv, &scriptedPrompter{dialog: true}, n)
	dir := t.TempDir()
	m.opt.LogFile = filepath.Join(dir, "claude-keytray.log")
	if err := os.WriteFile(m.opt.LogFile, []byte("log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s' \"$1\" > " + record + "\nexit ${XDG_OPEN_EXIT:-0}\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)

	m.openLog(context.Background())
	got, err := os.ReadFile(record)
	if err != nil || string(got) != m.opt.LogFile {
		t.Fatalf("xdg-open was asked to open %q (%v), want %q", got, err, m.opt.LogFile)
	}
	if len(n.all()) != 0 {
		t.Fatalf("notifications after a successful open: %q", n.all())
	}

	t.Setenv("XDG_OPEN_EXIT", "3")
	m.openLog(context.Background())
	if notes := n.all(); len(notes) != 1 || !strings.HasPrefix(notes[0], "Could not open the log: xdg-open could not open "+m.opt.LogFile) {
		t.Fatalf("notifications after xdg-open failed: %q", notes)
	}
}
