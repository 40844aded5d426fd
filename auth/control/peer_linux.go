//go:build linux

package control

import "golang.org/x/sys/unix"

const peerCredsSupported = true

// peerCreds reads the kernel's record of who connected (SO_PEERCRED): it cannot be forged by
// the client.
func peerCreds(fd uintptr) (Peer, error) {
	u, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return Peer{}, err
	}
	return Peer{PID: int(u.Pid), UID: int(u.Uid)}, nil
}
