//go:build linux

package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// StartX starts Xvfb on a free display (1280x800, 24 bit) and sets DISPLAY; it is stopped in
// cleanup. Calling it twice returns the running display.
func (e *Env) StartX(t testing.TB) string {
	t.Helper()
	e.mu.Lock()
	d := e.display
	e.mu.Unlock()
	if d != "" {
		return d
	}
	Require(t, "Xvfb")
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-noreset", "-screen", "0", "1280x800x24")
	cmd.Env = e.Environ()
	cmd.Dir = e.Home()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("testenv: pipe: %v", err)
	}
	// Xvfb writes the display number it picked once it accepts connections.
	cmd.ExtraFiles = []*os.File{w}
	p := &Proc{Cmd: cmd, name: "Xvfb", done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	p.start(t)
	w.Close()
	line, err := readLineTimeout(r, 20*time.Second)
	r.Close()
	num := strings.TrimSpace(line)
	if err != nil || num == "" {
		t.Fatalf("testenv: Xvfb reported no display: %v\n%s", err, p)
	}
	d = ":" + num
	e.mu.Lock()
	e.display = d
	e.mu.Unlock()
	e.Set("DISPLAY", d)
	return d
}
