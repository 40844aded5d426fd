//go:build linux

package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/helperexe"
)

// BinaryEnvVar names the variable that points tests at a prebuilt claude-keytray binary
// (`make test` builds one with -race and sets it).
const BinaryEnvVar = "CLAUDE_KEYTRAY_BIN"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the absolute path of the claude-keytray binary: $CLAUDE_KEYTRAY_BIN when set,
// else ./cmd/claude-keytray built once per test process into a temporary directory (removed
// by Main). A build failure fails the test with the compiler's output.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinaryEnvVar); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("testenv: %s=%q: %v", BinaryEnvVar, p, err)
		}
		if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			t.Fatalf("testenv: %s=%q is not an executable file (run `make build` or unset it)", BinaryEnvVar, p)
		}
		return abs
	}
	build.once.Do(func() {
		build.path, build.dir, build.err = buildBinary()
	})
	if build.err != nil {
		t.Fatalf("testenv: %v", build.err)
	}
	return build.path
}

func buildBinary() (path, dir string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "claude-keytray-testbin")
	if err != nil {
		return "", "", fmt.Errorf("create a directory for the test binary: %w", err)
	}
	path = filepath.Join(dir, "claude-keytray")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for out, pkg := range map[string]string{path: "./cmd/claude-keytray", helperexe.Lean(path): "./cmd/claude-keytray-key"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return "", "", fmt.Errorf("go build %s in %s failed: %v\n%s", pkg, root, err, b)
		}
	}
	return path, dir, nil
}

// LeanBinary returns the path of claude-keytray-key, the helper's fast path, next to Binary
// (built with it; with $CLAUDE_KEYTRAY_BIN it must sit next to that binary, as `make test`
// builds it). The helper script falls back to the main binary without it, so a test about
// the fast path fails here rather than passing without it.
func LeanBinary(t testing.TB) string {
	t.Helper()
	p := helperexe.Lean(Binary(t))
	if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("testenv: %s is missing next to the claude-keytray binary: build it with `go build -race -o %s ./cmd/claude-keytray-key` (make test does)", p, p)
	}
	return p
}

// Main runs the package's tests and then removes the binary Binary built, if any. Use it from
// TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// ModuleRoot returns the directory holding go.mod, found by walking up from the working
// directory (go test runs each package in its own directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory; run the tests inside the module")
		}
		dir = parent
	}
}
