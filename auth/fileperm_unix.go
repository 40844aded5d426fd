//go:build !windows

package auth

import (
	"fmt"
	"io/fs"
	"os"
)

// othersMay reports path when its mode grants others any of the forbidden bits, with the chmod
// that takes them away. Whether the file holds a secret makes no difference to the bits.
func othersMay(path string, forbidden fs.FileMode, what string, _ bool) (problem, fix string) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", ""
	}
	if m := fi.Mode().Perm(); m&forbidden != 0 {
		want := m &^ forbidden
		return fmt.Sprintf("%s %s has mode %04o", what, path, m), fmt.Sprintf("run chmod %04o %q", want, path)
	}
	return "", ""
}
