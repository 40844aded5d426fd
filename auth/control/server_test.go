package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/control"
)

// checkErrorBody asserts a JSON error body with the code, and that no key leaked into it.
func checkErrorBody(t *testing.T, r rawResponse, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, masked(r.body))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var eb control.ErrorBody
	if err := json.Unmarshal([]byte(r.body), &eb); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, masked(r.body))
	}
	if eb.Code != code || eb.Error == "" {
		t.Errorf("error body %+v, want code %q and a message", eb, code)
	}
	for _, k := range []string{keyA, keyB, adminKey} {
		if strings.Contains(r.body, k) {
			t.Errorf("error body contains a key: %s", masked(r.body))
		}
	}
}

func TestStatusEndpoint(t *testing.T) {
	testEnv(t)
	eng := newEngine(t, authtest.NewMemStore(keyA), &authtest.FakeChecker{})
	sock, c := startServer(t, eng, nil)

	r := doString(t, sock, http.MethodGet, control.PathStatus, "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET status: %d %q %s", r.status, r.header.Get("Content-Type"), masked(r.body))
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"state", "key", "validation", "helper", "claude_settings", "refresh", "auth_failures", "daemon"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("status JSON lacks %q: %s", f, masked(r.body))
		}
	}
	if strings.Contains(r.body, keyA) {
		t.Fatal("status JSON contains the key")
	}

	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Key.Present || st.Key.Fingerprint != auth.Fingerprint(keyA) || st.State != auth.StateUnverified {
		t.Fatalf("status %+v", st)
	}
}

func TestRefreshEndpoint(t *testing.T) {
	testEnv(t)
	ck := &authtest.FakeChecker{}
	eng := newEngine(t, authtest.NewMemStore(keyA), ck)
	_, c := startServer(t, eng, nil)

	st, err := c.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A user refresh always checks the key.
	if ck.Calls() != 1 || st.State != auth.StateOK || st.Validation.Result != auth.ResultValid || st.Refresh.Count != 1 {
		t.Fatalf("after refresh: checks %d, status %+v", ck.Calls(), st)
	}
}

func TestConcurrentRefreshesShareOneRun(t *testing.T) {
	testEnv(t)
	ck := &authtest.FakeChecker{Delay: 300 * time.Millisecond}
	eng := newEngine(t, authtest.NewMemStore(keyA), ck)
	_, c := startServer(t, eng, nil)

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	counts := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := c.Refresh(context.Background())
			if err != nil {
				errs <- err
				return
			}
			if st.State != auth.StateOK {
				errs <- fmt.Errorf("state %s", st.State)
			}
			counts <- st.Refresh.Count
		}()
	}
	wg.Wait()
	close(errs)
	close(counts)
	for err := range errs {
		t.Error(err)
	}
	got := 0
	for range counts {
		got++
	}
	calls := ck.Calls()
	final := eng.Status().Refresh.Count
	t.Logf("%d concurrent refreshes over the socket: %d key checks, %d refresh runs", n, calls, final)
	if got != n || calls < 1 || calls >= n || int64(final) != calls {
		t.Fatalf("%d answers, %d checks, %d runs; want %d answers sharing fewer than %d runs", got, calls, final, n, n)
	}
}

func TestUpdateKeySuccess(t *testing.T) {
	testEnv(t)
	st := authtest.NewMemStore(keyA)
	ck := &authtest.FakeChecker{}
	eng := newEngine(t, st, ck)
	sock, c := startServer(t, eng, nil)

	r := doString(t, sock, http.MethodPost, control.PathUpdateKey, `{"key":"`+keyB+`"}`)
	if r.status != 200 || strings.Contains(r.body, keyB) {
		t.Fatalf("update-key: %d %s", r.status, masked(r.body))
	}
	var got auth.Status
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Key.Fingerprint != auth.Fingerprint(keyB) || got.Validation.Result != auth.ResultValid || ck.Calls() != 1 {
		t.Fatalf("status %+v, checks %d", got, ck.Calls())
	}
	if k, _ := eng.CurrentKey(context.Background()); k.Secret() != keyB {
		t.Fatalf("current key %s, want %s", k, auth.Fingerprint(keyB))
	}
	if st.Secret() != keyB {
		t.Fatal("the store does not hold the new key")
	}

	// Through the client, back to keyA.
	s2, err := c.UpdateKey(context.Background(), keyA, true)
	if err != nil || s2.Key.Fingerprint != auth.Fingerprint(keyA) {
		t.Fatalf("client UpdateKey: %v %+v", err, s2)
	}
}

func TestUpdateKeyNoVerify(t *testing.T) {
	testEnv(t)
	ck := &authtest.FakeChecker{}
	ck.Reject(keyB)
	eng := newEngine(t, authtest.NewMemStore(keyA), ck)
	sock, c := startServer(t, eng, nil)

	r := doString(t, sock, http.MethodPost, control.PathUpdateKey, `{"key":"`+keyB+`","verify":false}`)
	if r.status != 200 {
		t.Fatalf("update-key verify=false: %d %s", r.status, masked(r.body))
	}
	if ck.Calls() != 0 {
		t.Fatal("verify=false still checked the key")
	}
	if k, _ := eng.CurrentKey(context.Background()); k.Secret() != keyB {
		t.Fatalf("current key %s", k)
	}
	st, err := c.UpdateKey(context.Background(), keyA, false)
	if err != nil || st.Validation.Result != auth.ResultSkipped || ck.Calls() != 0 {
		t.Fatalf("client UpdateKey(verify=false): %v %+v checks %d", err, st, ck.Calls())
	}
}

func TestUpdateKeyRejectedKeepsOldKey(t *testing.T) {
	testEnv(t)
	ck := &authtest.FakeChecker{}
	ck.Reject(keyB)
	st := authtest.NewMemStore(keyA)
	eng := newEngine(t, st, ck)
	sock, c := startServer(t, eng, nil)

	r := doString(t, sock, http.MethodPost, control.PathUpdateKey, `{"key":"`+keyB+`"}`)
	checkErrorBody(t, r, http.StatusUnprocessableEntity, control.CodeKeyRejected)

	_, err := c.UpdateKey(context.Background(), keyB, true)
	if !errors.Is(err, auth.ErrKeyRejected) || !isAPIError(err, 422, control.CodeKeyRejected) {
		t.Fatalf("client UpdateKey of a rejected key: %v", err)
	}
	if strings.Contains(err.Error(), keyB) {
		t.Fatal("client error contains the key")
	}
	k, err := eng.CurrentKey(context.Background())
	if err != nil || k.Secret() != keyA || st.Secret() != keyA {
		t.Fatalf("after a rejected key the current key is %s (%v), store %s", k, err, auth.Fingerprint(st.Secret()))
	}
	if got, err := c.Key(context.Background()); err != nil || got != keyA {
		t.Fatalf("Key after rejection: %s %v", auth.Fingerprint(got), err)
	}
}

func TestUpdateKeyBadRequests(t *testing.T) {
	testEnv(t)
	ck := &authtest.FakeChecker{}
	st := authtest.NewMemStore(keyA)
	eng := newEngine(t, st, ck)
	sock, c := startServer(t, eng, nil)

	big := `{"key":"` + keyB + `"}` + strings.Repeat(" ", control.MaxBodyBytes)
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"malformed", `{"key":"` + keyB, 400, control.CodeBadJSON},
		{"syntax", `{"key" "` + keyB + `"}`, 400, control.CodeBadJSON},
		{"not an object", `["` + keyB + `"]`, 400, control.CodeBadJSON},
		{"key not a string", `{"key":42}`, 400, control.CodeBadJSON},
		{"unknown field", `{"key":"` + keyB + `","store":"file"}`, 400, control.CodeUnknownField},
		{"key as unknown field name", `{"` + keyB + `":1}`, 400, control.CodeUnknownField},
		{"trailing object", `{"key":"` + keyB + `"}{"key":"x"}`, 400, control.CodeTrailingData},
		{"trailing garbage", `{"key":"` + keyB + `"} x`, 400, control.CodeTrailingData},
		{"empty body", ``, 400, control.CodeBadJSON},
		{"missing key", `{}`, 400, control.CodeMissingKey},
		{"null key", `{"key":null}`, 400, control.CodeMissingKey},
		{"blank key", `{"key":"  "}`, 400, control.CodeMissingKey},
		{"admin key", `{"key":"` + adminKey + `"}`, 400, control.CodeInvalidKey},
		{"key with space", `{"key":"` + keyB[:40] + ` ` + keyB[40:] + `"}`, 400, control.CodeInvalidKey},
		{"over 64 KiB", big, 413, control.CodeTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := doString(t, sock, http.MethodPost, control.PathUpdateKey, tc.body)
			checkErrorBody(t, r, tc.status, tc.code)
		})
	}
	t.Run("over 64 KiB without a length", func(t *testing.T) {
		// Chunked: no Content-Length to refuse early, so the reader's limit must catch it.
		r := doRaw(t, sock, http.MethodPost, control.PathUpdateKey, io.MultiReader(strings.NewReader(big)), -1)
		checkErrorBody(t, r, 413, control.CodeTooLarge)
	})
	if ck.Calls() != 0 || st.Secret() != keyA {
		t.Fatalf("a bad request reached the checker (%d) or changed the key (%s)", ck.Calls(), auth.Fingerprint(st.Secret()))
	}

	_, err := c.UpdateKey(context.Background(), adminKey, true)
	var kerr *auth.KeyError
	if !errors.As(err, &kerr) || !strings.Contains(kerr.Reason, "Admin API key") || !isAPIError(err, 400, control.CodeInvalidKey) {
		t.Fatalf("client UpdateKey(admin key): %v", err)
	}
}

func TestWrongMethodAndUnknownPath(t *testing.T) {
	testEnv(t)
	eng := newEngine(t, authtest.NewMemStore(keyA), &authtest.FakeChecker{})
	sock, _ := startServer(t, eng, nil)

	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPost, control.PathStatus, "GET"},
		{http.MethodDelete, control.PathStatus, "GET"},
		{http.MethodHead, control.PathKey, "GET"},
		{http.MethodPost, control.PathKey, "GET"},
		{http.MethodGet, control.PathRefresh, "POST"},
		{http.MethodGet, control.PathUpdateKey, "POST"},
		{http.MethodPut, control.PathUpdateKey, "POST"},
		{http.MethodGet, control.PathAuthFailure, "POST"},
	} {
		r := doString(t, sock, tc.method, tc.path, "")
		if tc.method == http.MethodHead {
			if r.status != 405 || r.header.Get("Allow") != tc.allow {
				t.Errorf("HEAD %s: %d Allow %q", tc.path, r.status, r.header.Get("Allow"))
			}
			continue
		}
		checkErrorBody(t, r, http.StatusMethodNotAllowed, control.CodeMethodNotAllowed)
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	for _, p := range []string{"/", "/api/auth", "/api/auth/status/", "/api/auth/" + keyA} {
		r := doString(t, sock, http.MethodGet, p, "")
		checkErrorBody(t, r, http.StatusNotFound, control.CodeNotFound)
	}
}

func TestKeyEndpoint(t *testing.T) {
	testEnv(t)
	eng := newEngine(t, authtest.NewMemStore(keyA), &authtest.FakeChecker{})
	sock, c := startServer(t, eng, nil)

	r := doString(t, sock, http.MethodGet, control.PathKey, "")
	if r.status != 200 || r.body != keyA || r.header.Get("Content-Type") != "text/plain; charset=utf-8" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET key: %d %q %q body is the key: %v", r.status, r.header.Get("Content-Type"), r.header.Get("Cache-Control"), r.body == keyA)
	}
	got, err := c.Key(context.Background())
	if err != nil || got != keyA {
		t.Fatalf("Client.Key: %s %v", auth.Fingerprint(got), err)
	}
}

func TestKeyEndpointNoKey(t *testing.T) {
	testEnv(t)
	eng := newEngine(t, &authtest.MemStore{}, &authtest.FakeChecker{})
	sock, c := startServer(t, eng, nil)

	checkErrorBody(t, doString(t, sock, http.MethodGet, control.PathKey, ""), http.StatusNotFound, control.CodeNoKey)
	_, err := c.Key(context.Background())
	if !errors.Is(err, auth.ErrNoKey) || !isAPIError(err, 404, control.CodeNoKey) {
		t.Fatalf("Client.Key with no key: %v", err)
	}
}

func TestKeyEndpointKeychainUnavailable(t *testing.T) {
	testEnv(t)
	st := &authtest.MemStore{}
	st.SetErr(fmt.Errorf("%w: the test keychain is locked", auth.ErrKeychainUnavailable))
	eng := newEngine(t, st, &authtest.FakeChecker{})
	sock, c := startServer(t, eng, nil)

	checkErrorBody(t, doString(t, sock, http.MethodGet, control.PathKey, ""), http.StatusServiceUnavailable, control.CodeKeychainUnavailable)
	_, err := c.Key(context.Background())
	if !errors.Is(err, auth.ErrKeychainUnavailable) || !isAPIError(err, 503, control.CodeKeychainUnavailable) {
		t.Fatalf("Client.Key with a locked keychain: %v", err)
	}
}

func TestAuthFailureEndpoint(t *testing.T) {
	testEnv(t)
	ck := &authtest.FakeChecker{}
	eng := newEngine(t, authtest.NewMemStore(keyA), ck)
	sock, c := startServer(t, eng, nil)

	st, err := c.ReportAuthFailure(context.Background(), "run")
	if err != nil {
		t.Fatal(err)
	}
	if st.AuthFailures.Count != 1 || st.AuthFailures.Last == nil || ck.Calls() != 1 || st.State != auth.StateOK {
		t.Fatalf("after an auth failure: %+v, checks %d", st, ck.Calls())
	}
	// No body at all is a failure from an unnamed origin.
	r := doString(t, sock, http.MethodPost, control.PathAuthFailure, "")
	if r.status != 200 || eng.Status().AuthFailures.Count != 2 {
		t.Fatalf("auth-failure without body: %d %s", r.status, masked(r.body))
	}
	checkErrorBody(t, doString(t, sock, http.MethodPost, control.PathAuthFailure, `{"origin":"a\nb"}`), 400, control.CodeBadOrigin)
	checkErrorBody(t, doString(t, sock, http.MethodPost, control.PathAuthFailure, `{"origin":"run","x":1}`), 400, control.CodeUnknownField)
	checkErrorBody(t, doString(t, sock, http.MethodPost, control.PathAuthFailure, `{"origin":"run"}[]`), 400, control.CodeTrailingData)
	if n := eng.Status().AuthFailures.Count; n != 2 {
		t.Fatalf("bad requests were counted: %d", n)
	}
}

func TestErrorsNeverShowTheSubmittedKey(t *testing.T) {
	testEnv(t)
	fe := &fakeEngine{updateErr: func(raw string) error {
		return fmt.Errorf("the store choked on %s", strings.TrimSpace(raw))
	}}
	sock, _ := startServer(t, fe, nil)

	r := doString(t, sock, http.MethodPost, control.PathUpdateKey, `{"key":"`+keyB+`\n"}`)
	checkErrorBody(t, r, http.StatusInternalServerError, control.CodeInternal)
	if !strings.Contains(r.body, auth.Fingerprint(keyB)) {
		t.Fatalf("error body should name the key by its fingerprint: %s", masked(r.body))
	}
}

func TestRequestLogAndPeer(t *testing.T) {
	testEnv(t)
	var logs logBuffer
	fe := &fakeEngine{key: keyA}
	sock, c := startServer(t, fe, &logs)

	if _, err := c.Key(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateKey(context.Background(), keyB, true); err != nil {
		t.Fatal(err)
	}
	doString(t, sock, http.MethodGet, "/api/auth/"+keyA, "")

	fe.mu.Lock()
	peer, ok := fe.peers[0], fe.peerOK[0]
	fe.mu.Unlock()
	if !ok || peer.PID != os.Getpid() || peer.UID != os.Getuid() {
		t.Fatalf("PeerFromContext: %+v %v, want pid %d uid %d", peer, ok, os.Getpid(), os.Getuid())
	}

	out := logs.String()
	if strings.Contains(out, keyA) || strings.Contains(out, keyB) {
		t.Fatalf("the request log contains a key:\n%s", masked(out))
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one log line per request, got %d:\n%s", len(lines), out)
	}
	want := []struct {
		method, path string
		status       float64
	}{{"GET", control.PathKey, 200}, {"POST", control.PathUpdateKey, 200}, {"GET", "(unknown)", 404}}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["msg"] != "control request" || rec["method"] != want[i].method || rec["path"] != want[i].path ||
			rec["status"] != want[i].status || rec["peer_pid"] != float64(os.Getpid()) || rec["duration"] == nil {
			t.Errorf("log line %d: %s", i, masked(line))
		}
	}
}
