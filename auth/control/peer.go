package control

import (
	"context"
	"errors"
	"net"
)

// Peer is the process at the other end of a control connection.
type Peer struct {
	PID int
	UID int
}

type peerKey struct{}

// peerInfo is what ConnContext learnt about a connection, for every request on it.
type peerInfo struct {
	peer Peer
	// known is false where the platform cannot tell (see peerCredsSupported).
	known bool
	err   error
}

// PeerFromContext returns the peer of the request whose context ctx is; false when the
// platform cannot tell who connected.
func PeerFromContext(ctx context.Context) (Peer, bool) {
	pi, ok := ctx.Value(peerKey{}).(*peerInfo)
	if !ok || !pi.known {
		return Peer{}, false
	}
	return pi.peer, true
}

func lookupPeer(c net.Conn) *peerInfo {
	if !peerCredsSupported {
		return &peerInfo{}
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return &peerInfo{err: errors.New("the connection is not a unix socket")}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return &peerInfo{err: err}
	}
	var p Peer
	var perr error
	if err := raw.Control(func(fd uintptr) { p, perr = peerCreds(fd) }); err != nil {
		return &peerInfo{err: err}
	}
	if perr != nil {
		return &peerInfo{err: perr}
	}
	return &peerInfo{peer: p, known: true}
}
