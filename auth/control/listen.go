package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// maxSocketPath is the longest unix socket path every platform accepts (macOS: 104 bytes with
// the terminating NUL; Linux allows 108).
const maxSocketPath = 103

// AlreadyRunningError means another process holds the lock: an engine already runs for this user.
type AlreadyRunningError struct {
	// PID is the owner's pid, or 0 when it could not be read.
	PID int
}

func (e *AlreadyRunningError) Error() string {
	if e.PID <= 0 {
		return "already running (pid unknown)"
	}
	return "already running (pid " + strconv.Itoa(e.PID) + ")"
}

// ErrUnavailable means this system cannot serve the control API at all: it has no AF_UNIX
// sockets (Windows before 10 1803, and wine). Clients then work as with no daemon running, and
// an engine runs without the API. errors.Is(err, ErrNotRunning) holds for it too.
var ErrUnavailable error = unavailableError{}

// NoUnixSockets says why the control API is unavailable, for status.
const NoUnixSockets = "this system has no AF_UNIX sockets"

type unavailableError struct{}

func (unavailableError) Error() string        { return "the control API is unavailable: " + NoUnixSockets }
func (unavailableError) Is(target error) bool { return target == ErrNotRunning }

// Lock is the per-user daemon lock taken by Listen. Release gives it up.
type Lock struct {
	dir    string
	socket string
	f      *os.File
	once   sync.Once
	err    error
	// Moved says why the daemon did not listen on the usual socket (see ListenFor), or nil.
	Moved error
}

// Listen prepares the socket's private folder, takes the per-user lock and listens on
// socketPath. A socket file left behind by a killed daemon is replaced; a live daemon makes
// Listen fail with *AlreadyRunningError. Call Lock.Release when done: closing the listener
// alone leaves the socket file and the lock in place.
//
// On a system without AF_UNIX sockets Listen returns a nil listener, the lock (still held, so
// that one engine runs per user all the same) and an error wrapping ErrUnavailable.
func Listen(socketPath string) (net.Listener, *Lock, error) {
	if socketPath == "" {
		return nil, nil, errors.New("the control socket path is empty; set XDG_RUNTIME_DIR or HOME")
	}
	if len(socketPath) > maxSocketPath {
		return nil, nil, fmt.Errorf("the control socket path %s is %d bytes long; unix sockets allow at most %d: set XDG_RUNTIME_DIR to a shorter folder", socketPath, len(socketPath), maxSocketPath)
	}
	dir := filepath.Dir(socketPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the control socket's folder %s: %w", dir, err)
	}
	if err := checkPrivateDir(dir); err != nil {
		return nil, nil, err
	}
	lk, err := acquire(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := removeStaleSocket(socketPath); err != nil {
		lk.Release()
		return nil, nil, err
	}
	l, err := net.Listen("unix", socketPath)
	if err != nil && socketsUnsupported(err) {
		return nil, lk, fmt.Errorf("%w (listening on %s: %v)", ErrUnavailable, socketPath, err)
	}
	if err != nil {
		lk.Release()
		return nil, nil, fmt.Errorf("listening on the control socket %s: %w", socketPath, err)
	}
	lk.socket = socketPath
	// Only Release, which still holds the lock, removes the socket: a listener closed after
	// Release could otherwise delete the socket of the daemon that started next.
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	// The folder is already private; 0600 keeps the socket closed even if someone opens it up.
	if runtime.GOOS != "windows" {
		if err := os.Chmod(socketPath, 0o600); err != nil {
			l.Close()
			lk.Release()
			return nil, nil, fmt.Errorf("making the control socket %s private: %w", socketPath, err)
		}
	}
	return l, lk, nil
}

// acquire takes the lock on dir/daemon.lock without waiting and writes our pid into it.
func acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, auth.LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the daemon lock %s: %w", path, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if !ok {
		f.Close()
		return nil, &AlreadyRunningError{PID: waitForPID(path)}
	}
	if err := writePID(f, os.Getpid()); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("writing our pid into %s: %w", path, err)
	}
	return &Lock{dir: dir, f: f}, nil
}

// waitForPID reads the owner's pid; an owner that has just taken the lock may not have written
// it yet, so it is given a moment.
func waitForPID(path string) int {
	for i := 0; i < 20; i++ {
		// A dead daemon's pid can still be in the file for a moment after a rival took the lock.
		if pid := readPIDFile(path); pid > 0 && ProcessAlive(pid) {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

func writePID(f *os.File, pid int) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

func readPIDFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// ReadPID returns the pid of the daemon that owns socketPath, if one is alive.
func ReadPID(socketPath string) (int, bool) {
	pid := readPIDFile(filepath.Join(filepath.Dir(socketPath), auth.LockFileName))
	if pid <= 0 || !ProcessAlive(pid) {
		return 0, false
	}
	return pid, true
}

// LockOwner returns the pid of the engine that holds the per-user lock next to socketPath. Where
// nothing can dial the socket (ErrUnavailable) the lock is how to tell that an engine runs; a
// pid left in a lock file nobody holds is not reported.
func LockOwner(socketPath string) (int, bool) {
	path := filepath.Join(filepath.Dir(socketPath), auth.LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if free, err := tryLock(f); err != nil || free {
		if free {
			unlock(f)
		}
		return 0, false
	}
	return waitForPID(path), true
}

// removeStaleSocket deletes a socket file nobody serves any more: we hold the lock, so no live
// daemon owns it. Anything that is not a socket is left alone and reported.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the old control socket %s: %w", path, err)
	}
	isSocket := fi.Mode()&fs.ModeSocket != 0
	// Windows may report an AF_UNIX socket as a plain reparse point rather than ModeSocket.
	if !isSocket && !(runtime.GOOS == "windows" && !fi.IsDir()) {
		return fmt.Errorf("%s exists and is not a socket; move it away and start again", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stale control socket %s: %w", path, err)
	}
	return nil
}

// Release removes the socket, clears the pid and gives up the lock. It is safe to call twice.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		var errs []error
		if l.socket != "" {
			if err := os.Remove(l.socket); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("removing the control socket %s: %w", l.socket, err))
			}
		}
		// An empty pid file says "nobody" even to a reader that does not check the lock.
		_ = l.f.Truncate(0)
		if err := unlock(l.f); err != nil {
			errs = append(errs, fmt.Errorf("unlocking %s: %w", l.f.Name(), err))
		}
		if err := l.f.Close(); err != nil {
			errs = append(errs, err)
		}
		l.err = errors.Join(errs...)
	})
	return l.err
}

// Dir is the socket's folder.
func (l *Lock) Dir() string { return l.dir }

// Socket is the path the daemon listens on.
func (l *Lock) Socket() string { return l.socket }
