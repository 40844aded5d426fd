//go:build windows

package control

import (
	"fmt"
	"os"
)

// checkPrivateDir only checks that dir is a real folder: Windows has no owner and mode bits in
// this form. The folder sits in the user's profile (or temp) folder, whose access list admits
// only that user and administrators.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking the control socket's folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the control socket's folder %s is not a folder (mode %s); remove it and start again", dir, fi.Mode())
	}
	return nil
}
