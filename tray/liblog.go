package tray

import (
	"log"
	"log/slog"
	"strings"
)

// routeLibraryLog sends what libraries print with the standard log package (fyne.io/systray's
// "systray error: …" lines) to our log, where a user looks for them.
func routeLibraryLog(l *slog.Logger) {
	log.SetFlags(0)
	log.SetOutput(libWriter{l})
}

type libWriter struct{ l *slog.Logger }

func (w libWriter) Write(p []byte) (int, error) {
	w.l.Warn(strings.TrimSpace(string(p)), "from", "library")
	return len(p), nil
}
