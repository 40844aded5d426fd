//go:build !windows

package atomicfile

import (
	"os"

	"github.com/google/renameio/v2"
)

// WriteFile replaces path with data in one rename, so Claude Code never reads a half-written
// helper or settings file. The file gets exactly perm, whatever the umask and whatever mode an
// earlier file had (renameio.WriteFile would keep a loose old mode).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := renameio.NewPendingFile(path, renameio.WithPermissions(perm), renameio.IgnoreUmask())
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}
