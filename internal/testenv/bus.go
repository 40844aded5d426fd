//go:build linux

package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Bus names the private bus never starts on demand: the tests start these services
// themselves, so that a stopped keyring stays stopped and notifications reach the daemon
// the test watches.
var notActivatable = []string{
	"org.freedesktop.secrets",
	"org.freedesktop.impl.portal.Secret",
	"org.gnome.keyring",
	"org.freedesktop.Notifications",
	"org.freedesktop.systemd1",
}

var systemServiceDirs = []string{"/usr/local/share/dbus-1/services", "/usr/share/dbus-1/services"}

// StartBus starts a private D-Bus session bus on a socket in the Env's runtime dir and sets
// DBUS_SESSION_BUS_ADDRESS. The keyring and notification daemons are not activatable on it
// (see StartKeyring, StartNotifications); other session services (dconf, xfconf) are. It is
// stopped in cleanup. Calling it twice returns the running bus's address.
func (e *Env) StartBus(t testing.TB) string {
	t.Helper()
	if addr := e.Get("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr
	}
	Require(t, "dbus-daemon")
	dir := filepath.Join(e.RuntimeDir, "dbus")
	svcDir := filepath.Join(dir, "services")
	if err := os.MkdirAll(svcDir, 0o700); err != nil {
		t.Fatalf("testenv: create %s: %v", svcDir, err)
	}
	copyActivatableServices(t, svcDir)
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "session.conf")
	if err := os.WriteFile(conf, []byte(busConfig(sock, svcDir)), 0o600); err != nil {
		t.Fatalf("testenv: write %s: %v", conf, err)
	}

	_, addr := e.startReporting(t, 10*time.Second, "dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=3")
	e.Set("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

func busConfig(sock, svcDir string) string {
	return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=` + xmlEscape(sock) + `</listen>
  <auth>EXTERNAL</auth>
  <servicedir>` + xmlEscape(svcDir) + `</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">30000</limit>
</busconfig>
`
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// copyActivatableServices copies the system's session service files, less notActivatable.
func copyActivatableServices(t testing.TB, dst string) {
	t.Helper()
	for _, src := range systemServiceDirs {
		entries, err := os.ReadDir(src)
		if err != nil {
			continue
		}
		for _, ent := range entries {
			if !strings.HasSuffix(ent.Name(), ".service") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(src, ent.Name()))
			if err != nil || blockedService(data) {
				continue
			}
			out := filepath.Join(dst, ent.Name())
			if _, err := os.Stat(out); err == nil {
				continue // an earlier directory wins, as in dbus-daemon
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				t.Fatalf("testenv: write %s: %v", out, err)
			}
		}
	}
}

func blockedService(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.TrimSpace(k) != "Name" {
			continue
		}
		name := strings.TrimSpace(v)
		for _, b := range notActivatable {
			if name == b || strings.HasPrefix(name, b+".") {
				return true
			}
		}
	}
	return false
}

func readLineTimeout(f *os.File, d time.Duration) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := bufio.NewReader(f).ReadString('\n')
		ch <- res{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && r.s == "" {
			return "", r.err
		}
		return r.s, nil
	case <-time.After(d):
		f.Close()
		return "", fmt.Errorf("nothing read within %v", d)
	}
}

// BusConn returns a connection from the test process to the Env's bus (starting it if
// needed), closed in cleanup. It is a private connection, not godbus's cached session bus.
func (e *Env) BusConn(t testing.TB) *dbus.Conn {
	t.Helper()
	addr := e.StartBus(t)
	e.mu.Lock()
	conn := e.busConn
	e.mu.Unlock()
	if conn != nil {
		return conn
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("testenv: connect to the private bus %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	e.mu.Lock()
	e.busConn = conn
	e.mu.Unlock()
	return conn
}

// NameHasOwner reports whether a well-known name is owned on the Env's bus.
func (e *Env) NameHasOwner(t testing.TB, name string) bool {
	t.Helper()
	var has bool
	err := e.BusConn(t).BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	if err != nil {
		t.Fatalf("testenv: NameHasOwner(%s): %v", name, err)
	}
	return has
}

// WaitForName waits until name is owned on the Env's bus (want=true) or no longer owned
// (want=false), failing the test after timeout. While waiting it checks that proc (if not
// nil) is still alive, so a crashed daemon fails fast with its output.
func (e *Env) WaitForName(t testing.TB, name string, want bool, timeout time.Duration, proc *Proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if e.NameHasOwner(t, name) == want {
			return
		}
		if want && proc != nil && proc.Exited() {
			t.Fatalf("testenv: %s exited before owning %s:\n%s", proc.name, name, proc)
		}
		if time.Now().After(deadline) {
			extra := ""
			if proc != nil {
				extra = "\n" + proc.String()
			}
			t.Fatalf("testenv: %s owned=%v not reached within %v%s", name, want, timeout, extra)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
