package control_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/control"
)

// The test keys; authtest's in-memory store and fake checker stand in for the keychain and the
// Anthropic API, the end-to-end tests run both for real. The engine between them is the real one.
var (
	keyA     = authtest.Key(1)
	keyB     = authtest.Key(2)
	adminKey = authtest.AdminKey()
)

// testEnv gives the test its own HOME and XDG folders under a short temp folder (unix socket
// paths are limited to about 100 bytes).
func testEnv(t testing.TB) string {
	t.Helper()
	root, err := os.MkdirTemp("", "ckt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	for env, sub := range map[string]string{
		"HOME": "home", "XDG_CONFIG_HOME": "config", "XDG_STATE_HOME": "state",
		"XDG_RUNTIME_DIR": "run", "XDG_DATA_HOME": "data", "XDG_CACHE_HOME": "cache",
	} {
		d := filepath.Join(root, sub)
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(env, d)
	}
	t.Setenv("CLAUDE_CONFIG_DIR", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(root, "no-bus"))
	return root
}

func newEngine(t testing.TB, st *authtest.MemStore, ck *authtest.FakeChecker) *auth.Engine {
	t.Helper()
	p, err := auth.DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	// Claude Code's side as install leaves it, so that a valid key is "ok".
	if err := claude.WriteHelper(p.Claude.Helper, "/bin/true"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.Claude.Settings, []byte(`{"apiKeyHelper": "`+claude.HelperSettingValue(p.Claude.Helper)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	eng := auth.New(auth.Options{Paths: p, Store: st, Checker: ck, Environ: []string{}, Cwd: p.Home})
	eng.Load(context.Background())
	return eng
}

func socketPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "claude-keytray", "control.sock")
}

// startServer listens on the test's socket and serves eng until the test ends.
func startServer(t testing.TB, eng control.Engine, log io.Writer) (string, *control.Client) {
	t.Helper()
	sock := socketPath(t)
	l, lk, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	opts := control.ServerOptions{}
	if log != nil {
		opts.Logger = newJSONLogger(log)
	}
	srv := control.NewServer(eng, opts)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after Shutdown", err)
		}
		if err := lk.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
	return sock, control.NewClient(sock)
}

// httpOver is a plain net/http client over the socket, for requests the Client never sends.
func httpOver(sock string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

type rawResponse struct {
	status int
	header http.Header
	body   string
}

func doRaw(t *testing.T, sock, method, path string, body io.Reader, contentLength int64) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, "http://claude-keytray"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentLength != 0 {
		req.ContentLength = contentLength
	}
	resp, err := httpOver(sock).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{resp.StatusCode, resp.Header, string(b)}
}

func doString(t *testing.T, sock, method, path, body string) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return doRaw(t, sock, method, path, rd, 0)
}

// fakeEngine is a tiny Engine for what the real one makes awkward: errors of any text, and
// seeing the request context.
type fakeEngine struct {
	mu        sync.Mutex
	key       string
	keyErr    error
	updateErr func(raw string) error
	peers     []control.Peer
	peerOK    []bool
	refreshes atomic.Int64
}

func (f *fakeEngine) Status() auth.Status { return auth.Status{State: auth.StateOK} }

func (f *fakeEngine) Refresh(ctx context.Context, req auth.RefreshRequest) auth.Status {
	f.refreshes.Add(1)
	return f.Status()
}

func (f *fakeEngine) UpdateKey(ctx context.Context, raw string, opt auth.UpdateOptions) (auth.Status, error) {
	if f.updateErr != nil {
		return f.Status(), f.updateErr(raw)
	}
	f.mu.Lock()
	f.key = raw
	f.mu.Unlock()
	return f.Status(), nil
}

func (f *fakeEngine) CurrentKey(ctx context.Context) (auth.Key, error) {
	p, ok := control.PeerFromContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peers = append(f.peers, p)
	f.peerOK = append(f.peerOK, ok)
	if f.keyErr != nil {
		return auth.Key{}, f.keyErr
	}
	return auth.ParseKey(f.key)
}

func (f *fakeEngine) ReportAuthFailure(ctx context.Context, origin string) auth.Status {
	return f.Status()
}

// TestMain doubles as a second daemon: with CONTROL_TEST_HOLD set to a socket path it takes the
// lock, serves a fake engine, says "ready" and waits to be killed.
func TestMain(m *testing.M) {
	if sock := os.Getenv("CONTROL_TEST_HOLD"); sock != "" {
		l, _, err := control.Listen(sock)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		go control.NewServer(&fakeEngine{key: keyA}, control.ServerOptions{}).Serve(l)
		fmt.Println("ready")
		io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func isAPIError(err error, status int, code string) bool {
	var ae *control.APIError
	return errors.As(err, &ae) && ae.StatusCode == status && ae.Code == code
}

// masked shows test output without the test keys, as everything else in the project does.
func masked(s string) string {
	for _, k := range []string{keyA, keyB, adminKey} {
		s = auth.Redact(s, k)
	}
	return s
}
