package tray

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"

	"github.com/claude-keytray/claude-keytray/assets"
)

var appIcon struct {
	once sync.Once
	path string
}

// appIconFile is the app icon as a PNG file, for dialog programs that take an icon path
// (zenity --window-icon). It is written once into the user's cache folder; "" when it cannot
// be, and the dialog shows its own icon.
func appIconFile() string {
	appIcon.once.Do(func() {
		b, ok := assets.AppIconPNG(48)
		dir, err := os.UserCacheDir()
		if !ok || err != nil {
			return
		}
		p := filepath.Join(dir, "claude-keytray", "claude-keytray-48.png")
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
			appIcon.path = p
			return
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return
		}
		appIcon.path = p
	})
	return appIcon.path
}
