package auth_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
)

// While the API cannot be asked (529), only key-shaped output replaces the stored key; a
// gateway token needs key_pattern then. When the API answers, it decides.
func TestSourceGarbageDuringOutageKeepsKey(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1))
	var cur atomic.Value
	cur.Store(authtest.Key(1))
	e, _ := newTestEngine(t, store, chk, authtest.FuncSource(func() (string, error) { return cur.Load().(string), nil }))
	e.Refresh(ctx, auth.RefreshRequest{Reason: "first", User: true})
	chk.SetStatus(529)
	for _, out := range []string{"null", "None", "<html><body>Bad</body></html>", "gw-token-0123456789abcdef"} {
		cur.Store(out + "\n")
		st := e.Refresh(ctx, auth.RefreshRequest{Reason: "timer"})
		if store.Secret() != authtest.Key(1) || st.Key.Fingerprint != auth.Fingerprint(authtest.Key(1)) || st.Refresh.LastError == "" {
			t.Fatalf("%q: stored %s, serving %s, last_error %q", out, auth.Fingerprint(store.Secret()), st.Key.Fingerprint, st.Refresh.LastError)
		}
	}
	if st := e.Status(); !strings.Contains(st.Refresh.LastError, "key_pattern") {
		t.Fatalf("the gateway token's refusal does not name key_pattern: %q", st.Refresh.LastError)
	}
	// A whole Console key, bare or in a JSON document, is stored as unverified.
	cur.Store(`{"api_key":"` + authtest.Key(2) + `"}`)
	if st := e.Refresh(ctx, auth.RefreshRequest{Reason: "timer"}); store.Secret() != authtest.Key(2) || st.State != auth.StateUnverified {
		t.Fatalf("JSON key: stored %s, state %s, last_error %q", auth.Fingerprint(store.Secret()), st.State, st.Refresh.LastError)
	}
	// key_pattern lets a gateway token through during the outage.
	e.SetKeyPattern(`gw-token-[0-9a-f]{16}`)
	cur.Store("gw-token-0123456789abcdef")
	if e.Refresh(ctx, auth.RefreshRequest{Reason: "timer"}); store.Secret() != "gw-token-0123456789abcdef" {
		t.Fatalf("a token matching key_pattern was not stored: %s", auth.Fingerprint(store.Secret()))
	}
	// With the API up, an accepted gateway token needs no pattern.
	e.SetKeyPattern("")
	chk.SetStatus(0)
	chk.Accept("gw-other-token-42")
	cur.Store("gw-other-token-42")
	if st := e.Refresh(ctx, auth.RefreshRequest{Reason: "timer"}); store.Secret() != "gw-other-token-42" || st.State != auth.StateOK {
		t.Fatalf("an accepted gateway token: stored %s, state %s", auth.Fingerprint(store.Secret()), st.State)
	}
}
