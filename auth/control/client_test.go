package control_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/control"
)

// TestKeyGivesUpOnASilentDaemon: a daemon that accepts but never answers must not hang the
// apiKeyHelper; Key returns by its deadline and the error is not ErrNotRunning (something is
// there, but broken).
func TestKeyGivesUpOnASilentDaemon(t *testing.T) {
	testEnv(t)
	sock := socketPath(t)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c := control.NewClient(sock)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Key(ctx)
	took := time.Since(start)
	if err == nil || errors.Is(err, control.ErrNotRunning) || took > time.Second {
		t.Fatalf("Key against a silent daemon: %v after %s", err, took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error should say the deadline passed: %v", err)
	}

	// Without a deadline of its own the call still ends at KeyTimeout.
	start = time.Now()
	_, err = c.Key(context.Background())
	took = time.Since(start)
	if err == nil || took < control.KeyTimeout-100*time.Millisecond || took > control.KeyTimeout+time.Second {
		t.Fatalf("Key without a deadline: %v after %s, want about %s", err, took, control.KeyTimeout)
	}
	t.Logf("silent daemon: Key gave up after %s: %v", took.Round(time.Millisecond), err)

	// Cancelling the context ends the call at once.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	_, err = c.Key(ctx2)
	if took := time.Since(start); !errors.Is(err, context.Canceled) || took > time.Second {
		t.Fatalf("Key after cancel: %v after %s", err, took)
	}
}
