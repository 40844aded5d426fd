//go:build unix

package control

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivateDir refuses a socket folder that another user owns or could enter: whoever can
// reach the socket can ask for the key, and whoever owns the folder can put their own server
// there. A missing folder gives an error that is fs.ErrNotExist.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking the control socket's folder %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &UnsafeSocketError{Path: dir, Problem: "is a symbolic link, which anyone who made it can point elsewhere",
			Fix: "remove it (rm " + dir + ") and start claude-keytray again"}
	}
	if !fi.IsDir() {
		return &UnsafeSocketError{Path: dir, Problem: fmt.Sprintf("is not a folder (mode %s)", fi.Mode()),
			Fix: "remove it and start claude-keytray again"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Getuid(); int(st.Uid) != uid {
			return &UnsafeSocketError{Path: dir, Problem: fmt.Sprintf("belongs to uid %d, not to you (uid %d)", st.Uid, uid),
				Fix: "ask that user or root to remove it, or point XDG_RUNTIME_DIR at a folder of your own"}
		}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &UnsafeSocketError{Path: dir, Problem: fmt.Sprintf("has mode %04o, so other users could reach the socket", perm),
			Fix: fmt.Sprintf("run chmod 700 %s and start claude-keytray again", dir)}
	}
	return nil
}

// checkSocketFile refuses a socket that is a link, not a socket, or not ours. A missing socket
// gives an error that is fs.ErrNotExist.
func checkSocketFile(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("checking the control socket %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &UnsafeSocketError{Path: path, Problem: "is a symbolic link", Fix: "remove it and start claude-keytray again"}
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return &UnsafeSocketError{Path: path, Problem: fmt.Sprintf("is not a socket (mode %s)", fi.Mode()), Fix: "move it away and start claude-keytray again"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Getuid(); int(st.Uid) != uid {
			return &UnsafeSocketError{Path: path, Problem: fmt.Sprintf("belongs to uid %d, not to you (uid %d)", st.Uid, uid),
				Fix: "ask that user or root to remove it, or point XDG_RUNTIME_DIR at a folder of your own"}
		}
	}
	return nil
}
