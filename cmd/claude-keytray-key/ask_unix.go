//go:build linux || darwin

package main

import (
	"bytes"
	"path/filepath"
	"time"

	"syscall"
)

// The same limits as the full client's key call: give up fast and let the fallback work.
const (
	keyTimeout     = 2 * time.Second
	connectTimeout = 500 * time.Millisecond
	// maxKeyLen is Claude Code's limit on the helper's output (auth.MaxKeyLen).
	maxKeyLen = 16384
	// maxHeader bounds the response's status line and headers; the daemon sends about 150 bytes.
	maxHeader = 4096
)

// keyRequest is the full client's request, byte for byte.
const keyRequest = "GET /api/auth/key HTTP/1.1\r\nHost: claude-keytray\r\nUser-Agent: claude-keytray\r\nConnection: close\r\n\r\n"

// askDaemon returns the key and a newline, or nil. asked reports whether the request was put to
// the daemon, whatever came of it.
func askDaemon(sock string) (key []byte, asked bool) {
	if !privateSocket(sock) {
		return nil, false
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	syscall.CloseOnExec(fd)
	deadline := time.Now().Add(keyTimeout)
	// SO_SNDTIMEO also bounds connect on a unix socket whose listener is backlogged.
	if setTimeout(fd, syscall.SO_SNDTIMEO, connectTimeout) != nil {
		return nil, false
	}
	if syscall.Connect(fd, &syscall.SockaddrUnix{Name: sock}) != nil {
		return nil, false
	}
	if !peerIsMe(fd) {
		return nil, false
	}
	asked = true
	if !writeAll(fd, []byte(keyRequest), deadline) {
		return nil, asked
	}
	buf := make([]byte, maxHeader+maxKeyLen+1)
	n, body := 0, -1
	want := -1
	for {
		if body >= 0 && n-body >= want {
			break
		}
		if n == len(buf) {
			return nil, asked
		}
		left := time.Until(deadline)
		if left <= 0 || setTimeout(fd, syscall.SO_RCVTIMEO, left) != nil {
			return nil, asked
		}
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || m <= 0 {
			return nil, asked
		}
		n += m
		if body < 0 {
			if i := bytes.Index(buf[:n], []byte("\r\n\r\n")); i >= 0 {
				body = i + 4
				if want = keyLength(buf[:i]); want < 0 {
					return nil, asked
				}
			} else if n > maxHeader {
				return nil, asked
			}
		}
	}
	k := buf[body : body+want]
	if n-body != want || !printable(k) {
		return nil, asked
	}
	return append(k, '\n'), asked
}

// keyLength reads a response head and returns its Content-Length when it is a 200 with a
// plain body of 1 to maxKeyLen bytes, else -1: every other answer is the full command's to
// handle.
func keyLength(head []byte) int {
	lines := bytes.Split(head, []byte("\r\n"))
	if !bytes.HasPrefix(lines[0], []byte("HTTP/1.1 200 ")) && !bytes.HasPrefix(lines[0], []byte("HTTP/1.0 200 ")) {
		return -1
	}
	length := -1
	for _, l := range lines[1:] {
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return -1
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length >= 0 {
				return -1
			}
			length = atoi(value)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")), bytes.EqualFold(name, []byte("Content-Encoding")):
			return -1
		}
	}
	if length < 1 || length > maxKeyLen {
		return -1
	}
	return length
}

func atoi(b []byte) int {
	if len(b) == 0 || len(b) > 6 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// printable: a key is printable ASCII without spaces, as the engine stores it.
func printable(k []byte) bool {
	for _, c := range k {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func writeAll(fd int, b []byte, deadline time.Time) bool {
	for len(b) > 0 {
		left := time.Until(deadline)
		if left <= 0 || setTimeout(fd, syscall.SO_SNDTIMEO, left) != nil {
			return false
		}
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		b = b[n:]
	}
	return true
}

func setTimeout(fd, opt int, d time.Duration) error {
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	return syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv)
}

// privateSocket checks what the daemon promises before anything is sent: the socket's folder
// is a real folder (not a link), owned by this user and closed to group and others, and the
// socket is a socket of this user's that only they may open. Whoever controls the socket could
// hand Claude Code a key of their choosing; on any doubt the full command decides.
func privateSocket(sock string) bool {
	uid := uint32(syscall.Getuid())
	var st syscall.Stat_t
	if syscall.Lstat(filepath.Dir(sock), &st) != nil || uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFDIR || st.Uid != uid || st.Mode&0o077 != 0 {
		return false
	}
	if syscall.Lstat(sock, &st) != nil || uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFSOCK || st.Uid != uid || st.Mode&0o077 != 0 {
		return false
	}
	return true
}
