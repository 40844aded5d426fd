//go:build bench

// Command floor is the least any Go program can do for the apiKeyHelper: a static binary that
// asks the daemon's control socket for the key with one hand-written request and prints it.
// The benchmark runs it through a helper-shaped script, so the gap between it and the real
// helper is what claude-keytray's own weight costs.
package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	sock := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "claude-keytray", "control.sock")
	c, err := net.Dial("unix", sock)
	if err != nil {
		os.Stderr.WriteString("floor: " + err.Error() + "\n")
		os.Exit(1)
	}
	io.WriteString(c, "GET /api/auth/key HTTP/1.1\r\nHost: claude-keytray\r\nConnection: close\r\n\r\n")
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		os.Stderr.WriteString("floor: bad answer: " + status + "\n")
		os.Exit(1)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			os.Exit(1)
		}
		if line == "\r\n" {
			break
		}
	}
	key, _ := io.ReadAll(r)
	os.Stdout.Write(append(key, '\n'))
}
