//go:build darwin

package control

import "golang.org/x/sys/unix"

const peerCredsSupported = true

// peerCreds reads LOCAL_PEERCRED (the uid, as getpeereid does) and LOCAL_PEERPID.
func peerCreds(fd uintptr) (Peer, error) {
	x, err := unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return Peer{}, err
	}
	p := Peer{UID: int(x.Uid)}
	if pid, err := unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID); err == nil {
		p.PID = pid
	}
	return p, nil
}
