//go:build !windows

package auth

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileAtomicModes: the mode asked for is the mode written, whatever the umask and
// whatever mode a file at the path had before.
func TestWriteFileAtomicModes(t *testing.T) {
	old := syscall.Umask(0o177) // would take the helper's execute bit away
	defer syscall.Umask(old)
	tests := []struct {
		name     string
		existing int // mode of a file already there; -1 for none
		perm     int
	}{
		{"new helper", -1, 0o700},
		{"new settings", -1, 0o600},
		{"loose helper tightened", 0o777, 0o700},
		{"settings kept at 0644", 0o644, 0o644},
		{"read-only file replaced", 0o400, 0o600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			if tc.existing >= 0 {
				writeFileT(t, path, "old", os.FileMode(tc.existing))
			}
			if err := writeFileAtomic(path, []byte("new"), os.FileMode(tc.perm)); err != nil {
				t.Fatal(err)
			}
			assertMode(t, path, os.FileMode(tc.perm))
			if got := readFileT(t, path); got != "new" {
				t.Errorf("content = %q", got)
			}
		})
	}
}
