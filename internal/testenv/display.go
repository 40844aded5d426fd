//go:build linux

package testenv

import (
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
	// Xvfb writes the display number it picked once it accepts connections.
	_, num := e.startReporting(t, 20*time.Second, "Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-noreset", "-screen", "0", "1280x800x24")
	d = ":" + num
	e.mu.Lock()
	e.display = d
	e.mu.Unlock()
	e.Set("DISPLAY", d)
	return d
}
