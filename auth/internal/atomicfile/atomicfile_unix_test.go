//go:build !windows

package atomicfile

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
				if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, os.FileMode(tc.existing)); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, []byte("new"), os.FileMode(tc.perm)); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != os.FileMode(tc.perm) {
				t.Errorf("mode %04o, want %04o", got, tc.perm)
			}
			if got, _ := os.ReadFile(path); string(got) != "new" {
				t.Errorf("content = %q", got)
			}
		})
	}
}
