//go:build !linux && !darwin

package control

import "errors"

// On other systems (Windows above all) the peer is not checked: the socket's private folder is
// the protection, and PeerFromContext reports false.
const peerCredsSupported = false

func peerCreds(fd uintptr) (Peer, error) {
	return Peer{}, errors.New("peer credentials are not supported on this system")
}
