package run

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

const ptySupported = true

// openPTY opens a new pseudo-terminal pair: the master for us, the slave for the command.
func openPTY() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	raw, err := m.SyscallConn()
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	var n int
	var ierr error
	// Through SyscallConn rather than Fd(), which would take the master out of the poller.
	cerr := raw.Control(func(fd uintptr) {
		if ierr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ierr != nil {
			return
		}
		n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
	})
	if cerr != nil || ierr != nil {
		m.Close()
		if cerr != nil {
			return nil, nil, cerr
		}
		return nil, nil, ierr
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}
