package main

import "golang.org/x/sys/unix"

// peerIsMe asks the kernel who listens at the other end (LOCAL_PEERCRED): only a daemon of this
// user may hand out the key.
func peerIsMe(fd int) bool {
	c, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	return err == nil && int(c.Uid) == unix.Getuid()
}
