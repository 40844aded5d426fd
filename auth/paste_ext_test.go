package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
)

// A source whose output carries the key with an assignment and quotes (a .env file, a shell
// snippet kept in a secret manager) gives that key, and the log says what was left out; output
// with two different keys replaces nothing and the error names the mistake.
func TestSourcePasteMistakes(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1), authtest.Key(2), authtest.Key(3))
	var cur atomic.Value
	cur.Store(authtest.Key(1))
	var logBuf bytes.Buffer
	home := t.TempDir()
	paths := testPaths(home, home+"/state")
	wireClaude(t, paths) // ok means Claude Code would use the key
	e := auth.New(auth.Options{
		Paths: paths, Store: store, Checker: chk,
		Source:   authtest.FuncSource(func() (string, error) { return cur.Load().(string), nil }),
		Notifier: &authtest.RecNotifier{}, Environ: []string{}, Cwd: home,
		Logger: slog.New(slog.NewTextHandler(&logBuf, nil)),
	})
	e.Load(ctx)
	e.Refresh(ctx, auth.RefreshRequest{Reason: "first", User: true})

	cur.Store("export ANTHROPIC_API_KEY='" + authtest.Key(2) + "'\n")
	if st := e.Refresh(ctx, auth.RefreshRequest{Reason: "timer"}); store.Secret() != authtest.Key(2) || st.State != auth.StateOK {
		t.Fatalf("assignment: stored %s, state %s, last_error %q", auth.Fingerprint(store.Secret()), st.State, st.Refresh.LastError)
	}
	if !strings.Contains(logBuf.String(), "took the key out of it") || !strings.Contains(logBuf.String(), "the variable name ANTHROPIC_API_KEY") {
		t.Fatalf("the log does not say what was left out:\n%s", logBuf.String())
	}

	cur.Store(authtest.Key(3) + "\n" + authtest.Key(1) + "\n")
	st := e.Refresh(ctx, auth.RefreshRequest{Reason: "timer"})
	if store.Secret() != authtest.Key(2) || !strings.Contains(st.Refresh.LastError, "two different keys were pasted") {
		t.Fatalf("two keys: stored %s, last_error %q", auth.Fingerprint(store.Secret()), st.Refresh.LastError)
	}
	if strings.Contains(logBuf.String(), authtest.Key(2)) || strings.Contains(st.Refresh.LastError, authtest.Key(3)) {
		t.Fatal("a key reached the log or the error")
	}
}

// UpdateKey, behind the CLI, the control API and the tray, takes the key out of a paste and
// refuses two different keys with the reason.
func TestUpdateKeyPasteMistakes(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1), authtest.Key(2))
	e, _ := newTestEngine(t, store, chk, nil)
	if _, err := e.UpdateKey(ctx, "“"+authtest.Key(2)+authtest.Key(2)+"”", auth.UpdateOptions{Verify: true, Origin: "api"}); err != nil || store.Secret() != authtest.Key(2) {
		t.Fatalf("quoted twice: %v, stored %s", err, auth.Fingerprint(store.Secret()))
	}
	_, err := e.UpdateKey(ctx, authtest.Key(1)+" "+authtest.Key(2), auth.UpdateOptions{Verify: true, Origin: "api"})
	var ke *auth.KeyError
	if !errors.As(err, &ke) || !strings.Contains(ke.Reason, "two different keys") || store.Secret() != authtest.Key(2) {
		t.Fatalf("two keys: %v, stored %s", err, auth.Fingerprint(store.Secret()))
	}
}
