package run

import (
	"bytes"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const ptySupported = true

// openPTY opens a new pseudo-terminal pair (posix_openpt, grantpt, unlockpt, ptsname).
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
	var name [128]byte
	var ierr error
	cerr := raw.Control(func(fd uintptr) {
		for _, req := range []uintptr{unix.TIOCPTYGRANT, unix.TIOCPTYUNLK} {
			if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, 0); e != 0 {
				ierr = e
				return
			}
		}
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, unix.TIOCPTYGNAME, uintptr(unsafe.Pointer(&name[0]))); e != 0 {
			ierr = e
		}
	})
	if cerr != nil || ierr != nil {
		m.Close()
		if cerr != nil {
			return nil, nil, cerr
		}
		return nil, nil, ierr
	}
	end := bytes.IndexByte(name[:], 0)
	if end <= 0 {
		m.Close()
		return nil, nil, syscall.EINVAL
	}
	path := string(name[:end])
	s, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}
