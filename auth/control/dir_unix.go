//go:build unix

package control

import (
	"fmt"
	"os"
	"syscall"
)

// checkPrivateDir refuses a socket folder that another user owns or could enter: whoever can
// reach the socket can ask for the key.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking the control socket's folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("the control socket's folder %s is not a folder (mode %s); remove it and start again", dir, fi.Mode())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Getuid(); int(st.Uid) != uid {
			return fmt.Errorf("the control socket's folder %s belongs to uid %d, not to you (uid %d); remove it, or point XDG_RUNTIME_DIR at a folder of your own, and start again", dir, st.Uid, uid)
		}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("the control socket's folder %s has mode %04o, so other users could reach the socket; run `chmod 700 %s` and start again", dir, perm, dir)
	}
	return nil
}
