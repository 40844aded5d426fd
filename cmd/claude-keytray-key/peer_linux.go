package main

import "syscall"

// peerIsMe asks the kernel who listens at the other end (SO_PEERCRED): only a daemon of this
// user may hand out the key.
func peerIsMe(fd int) bool {
	u, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	return err == nil && int(u.Uid) == syscall.Getuid()
}
