package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/socketpath"
)

// UnsafeSocketError means a socket path, its folder or the process listening on it is not the
// user's own: nothing is sent to it and nothing it says is believed. It counts as "no daemon
// of yours runs" (errors.Is ErrNotRunning) so callers do the work themselves.
type UnsafeSocketError struct {
	Path    string
	Problem string
	Fix     string
}

func (e *UnsafeSocketError) Error() string {
	return fmt.Sprintf("not using the control socket at %s: it %s; %s", e.Path, e.Problem, e.Fix)
}

// Is makes an unsafe socket count as no daemon running.
func (e *UnsafeSocketError) Is(target error) bool { return target == ErrNotRunning }

// candidates are the sockets a client of p may find its daemon on, best first: the usual one
// under XDG_RUNTIME_DIR, then the private folder the daemon recorded when it could not use it.
func candidates(p auth.Paths) []string {
	var out []string
	if p.Socket != "" {
		out = append(out, p.Socket)
	}
	if dir := socketpath.ReadRecord(p.SocketRecord); dir != "" {
		if s := filepath.Join(dir, socketpath.FileName); s != p.Socket {
			out = append(out, s)
		}
	}
	return out
}

// Locate returns the socket a client of p should dial: the first candidate whose folder and
// socket are the user's own. When there is none but one was found unsafe (another user's
// folder, a link, a folder open to others), that is the error.
func Locate(p auth.Paths) (string, error) {
	var unsafe error
	cands := candidates(p)
	for _, sock := range cands {
		err := checkSocketPath(sock)
		if err == nil {
			return sock, nil
		}
		var ue *UnsafeSocketError
		if errors.As(err, &ue) && unsafe == nil {
			unsafe = err
		}
	}
	if unsafe != nil {
		return "", unsafe
	}
	if len(cands) > 0 {
		return cands[0], nil
	}
	return "", nil
}

// checkSocketPath checks the socket's folder, then the socket.
func checkSocketPath(sock string) error {
	if err := checkPrivateDir(filepath.Dir(sock)); err != nil {
		return err
	}
	return checkSocketFile(sock)
}

// ClientFor is the client of p's daemon, on the socket Locate picks. When Locate refused an
// unsafe path every call fails with that *UnsafeSocketError (see Refused).
func ClientFor(p auth.Paths) *Client {
	sock, err := Locate(p)
	c := NewClient(sock)
	c.refused = err
	return c
}

// Refused is the reason the client will not talk to the socket it found, or nil.
func (c *Client) Refused() error { return c.refused }

// dial connects to the socket only after checking its folder and the socket, and keeps the
// connection only when the process listening on it runs as us.
func (c *Client) dial(ctx context.Context, d *net.Dialer) (net.Conn, error) {
	if c.refused != nil {
		return nil, c.refused
	}
	if c.socket == "" {
		return nil, fmt.Errorf("%w: no control socket is known (XDG_RUNTIME_DIR is not set and no daemon has recorded one)", fs.ErrNotExist)
	}
	if err := checkSocketPath(c.socket); err != nil {
		return nil, err
	}
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, err
	}
	if err := checkServer(conn, c.socket); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// checkServer asks the kernel who listens on the other end (SO_PEERCRED, LOCAL_PEERCRED): a
// server of another user gets no byte from us.
func checkServer(conn net.Conn, sock string) error {
	if !peerCredsSupported {
		return nil
	}
	pi := lookupPeer(conn)
	if pi.err != nil {
		return &UnsafeSocketError{Path: sock, Problem: "would not say who listens on it (" + pi.err.Error() + ")", Fix: "stop whatever listens there and start claude-keytray again"}
	}
	if uid := os.Getuid(); pi.peer.UID != uid {
		return &UnsafeSocketError{Path: sock, Problem: fmt.Sprintf("is served by a process of uid %d (pid %d), not by you (uid %d)", pi.peer.UID, pi.peer.PID, uid),
			Fix: "that process may be trying to catch your key: stop it or ask root to, and start claude-keytray again"}
	}
	return nil
}

// writeRecord replaces the record atomically, private to the user.
func writeRecord(path, dir string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".socket-dir-*")
	if err != nil {
		return fmt.Errorf("recording the control socket's folder in %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(dir + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("recording the control socket's folder in %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("recording the control socket's folder in %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("recording the control socket's folder in %s: %w", path, err)
	}
	return nil
}

// ListenFor is Listen on the user's usual socket, or, when that is unset (no XDG_RUNTIME_DIR)
// or unusable because someone else holds its folder, in a private folder of a random name under
// the temp folder, recorded in p.SocketRecord so clients find it. Lock.Moved says why the
// usual socket was not used.
func ListenFor(p auth.Paths) (net.Listener, *Lock, error) {
	var moved error
	if p.Socket != "" {
		l, lk, err := Listen(p.Socket)
		var ue *UnsafeSocketError
		if !errors.As(err, &ue) {
			if err == nil {
				// A daemon that moved to the recorded folder earlier still counts as running.
				if pid, held := heldElsewhere(p.SocketRecord); held {
					l.Close()
					lk.Release()
					return nil, nil, &AlreadyRunningError{PID: pid}
				}
			}
			return l, lk, err
		}
		moved = err
	}
	if p.SocketRecord == "" {
		if moved != nil {
			return nil, nil, moved
		}
		return nil, nil, errors.New("the control socket path is empty; set XDG_RUNTIME_DIR")
	}
	dir := socketpath.ReadRecord(p.SocketRecord)
	if dir == "" || checkPrivateDir(dir) != nil {
		var err error
		// MkdirTemp creates the folder itself (0700, a name nobody could guess and take first).
		dir, err = os.MkdirTemp("", auth.AppName+"-")
		if err != nil {
			return nil, nil, fmt.Errorf("creating a private folder for the control socket in %s: %w", os.TempDir(), err)
		}
		if err := checkPrivateDir(dir); err != nil {
			return nil, nil, err
		}
		if err := writeRecord(p.SocketRecord, dir); err != nil {
			os.Remove(dir)
			return nil, nil, err
		}
	}
	l, lk, err := Listen(filepath.Join(dir, socketpath.FileName))
	if err != nil {
		return nil, nil, err
	}
	lk.Moved = moved
	return l, lk, nil
}

// heldElsewhere reports whether a daemon holds the lock in the recorded folder.
func heldElsewhere(record string) (int, bool) {
	dir := socketpath.ReadRecord(record)
	if dir == "" || checkPrivateDir(dir) != nil {
		return 0, false
	}
	path := filepath.Join(dir, auth.LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	ok, err := tryLock(f)
	if err != nil {
		return 0, false
	}
	if ok {
		unlock(f)
		return 0, false
	}
	return waitForPID(path), true
}
