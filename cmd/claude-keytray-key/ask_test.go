//go:build linux || darwin

package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// privateDir is a socket folder as the daemon makes it, under a short path (socket paths are
// limited to about 100 bytes).
func privateDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ktk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	dir := filepath.Join(d, "claude-keytray")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serve answers every connection on a fresh socket in dir with answer, after reading the request.
func serve(t *testing.T, dir, answer string) string {
	t.Helper()
	sock := filepath.Join(dir, "control.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := os.Chmod(sock, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
			c.Write([]byte(answer))
			c.Close()
		}
	}()
	return sock
}

const testKey = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-abcdefghijklmnopqrstuvwxyzAA"

func ok200(body string) string {
	return "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: " + itoa(len(body)) + "\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\nConnection: close\r\n\r\n" + body
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

func TestAskDaemonAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer string
		key    string
	}{
		{"the key", ok200(testKey), testKey + "\n"},
		{"no key stored", "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"error\":\"no key stored\",\"code\":\"no_key\"}", ""},
		{"keychain unavailable", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}", ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6a\r\n" + testKey + "\r\n0\r\n\r\n", ""},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n" + testKey, ""},
		{"short body", ok200(testKey)[:len(ok200(testKey))-3], ""},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", ""},
		{"a space in the key", ok200("sk-ant bad"), ""},
		{"a newline in the key", ok200("sk-ant\nbad"), ""},
		{"too long", ok200(strings.Repeat("a", maxKeyLen+1)), ""},
		{"the longest key", ok200(strings.Repeat("a", maxKeyLen)), strings.Repeat("a", maxKeyLen) + "\n"},
		{"not HTTP", "garbage\r\n\r\n", ""},
		{"nothing", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := serve(t, privateDir(t), tc.answer)
			key, asked := askDaemon(sock)
			if string(key) != tc.key || !asked {
				t.Fatalf("askDaemon = %q, asked %v; want %q, asked", key, asked, tc.key)
			}
		})
	}
}

func TestAskDaemonChecksTheSocket(t *testing.T) {
	t.Run("no socket", func(t *testing.T) {
		if key, asked := askDaemon(filepath.Join(privateDir(t), "control.sock")); key != nil || asked {
			t.Fatalf("askDaemon = %q, %v", key, asked)
		}
	})
	t.Run("stale socket", func(t *testing.T) {
		dir := privateDir(t)
		sock := filepath.Join(dir, "control.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		os.Chmod(sock, 0o600)
		if key, asked := askDaemon(sock); key != nil || asked {
			t.Fatalf("askDaemon = %q, %v", key, asked)
		}
	})
	refused := func(t *testing.T, sock string) {
		t.Helper()
		if key, asked := askDaemon(sock); key != nil || asked {
			t.Fatalf("askDaemon asked a socket it should not trust: %q, asked %v", key, asked)
		}
	}
	t.Run("folder open to others", func(t *testing.T) {
		dir := privateDir(t)
		sock := serve(t, dir, ok200(testKey))
		os.Chmod(dir, 0o755)
		refused(t, sock)
	})
	t.Run("folder open to the group", func(t *testing.T) {
		dir := privateDir(t)
		sock := serve(t, dir, ok200(testKey))
		os.Chmod(dir, 0o710)
		refused(t, sock)
	})
	t.Run("socket open to others", func(t *testing.T) {
		sock := serve(t, privateDir(t), ok200(testKey))
		os.Chmod(sock, 0o666)
		refused(t, sock)
	})
	t.Run("folder is a link", func(t *testing.T) {
		dir := privateDir(t)
		serve(t, dir, ok200(testKey))
		link := filepath.Join(filepath.Dir(dir), "link")
		if err := os.Symlink(dir, link); err != nil {
			t.Fatal(err)
		}
		refused(t, filepath.Join(link, "control.sock"))
	})
	t.Run("socket is a link", func(t *testing.T) {
		other := privateDir(t)
		real := serve(t, other, ok200(testKey))
		dir := privateDir(t)
		if err := os.Symlink(real, filepath.Join(dir, "control.sock")); err != nil {
			t.Fatal(err)
		}
		refused(t, filepath.Join(dir, "control.sock"))
	})
	t.Run("a file, not a socket", func(t *testing.T) {
		dir := privateDir(t)
		sock := filepath.Join(dir, "control.sock")
		os.WriteFile(sock, nil, 0o600)
		refused(t, sock)
	})
	t.Run("folder of another user", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("needs root to give the folder away")
		}
		dir := privateDir(t)
		sock := serve(t, dir, ok200(testKey))
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		refused(t, sock)
	})
}

// TestAskDaemonGivesUp: a daemon that accepts and never answers costs at most the key timeout.
func TestAskDaemonGivesUp(t *testing.T) {
	dir := privateDir(t)
	sock := filepath.Join(dir, "control.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chmod(sock, 0o600)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	key, asked := askDaemon(sock)
	if took := time.Since(start); key != nil || !asked || took < keyTimeout-100*time.Millisecond || took > keyTimeout+time.Second {
		t.Fatalf("askDaemon = %q, asked %v after %v; want nothing after about %v", key, asked, took, keyTimeout)
	}
}
