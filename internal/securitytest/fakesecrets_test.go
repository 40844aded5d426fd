//go:build linux

package securitytest

import (
	"errors"
	"sync"
	"testing"

	"github.com/claude-keytray/claude-keytray/internal/testenv"
	"github.com/godbus/dbus/v5"
)

// hungSecrets owns org.freedesktop.secrets on an Env's private bus and never answers: every
// method call on every object waits until the test ends. It stands for a Secret Service that is
// stuck (a keyring daemon waiting on a prompt nobody sees, a frozen KeePassXC). gnome-keyring
// cannot be made to hang on demand, so this one piece is a fake; it records what it was asked so
// the test can show the client really reached it.
type hungSecrets struct {
	conn    *dbus.Conn
	release chan struct{}

	mu    sync.Mutex
	calls []string
}

// startHungSecrets takes the Secret Service's name on the Env's bus (which must not have a
// keyring running) and holds every call until cleanup.
func startHungSecrets(t testing.TB, env *testenv.Env) *hungSecrets {
	t.Helper()
	addr := env.StartBus(t)
	s := &hungSecrets{release: make(chan struct{})}
	conn, err := dbus.Connect(addr, dbus.WithHandler(hungHandler{s}))
	if err != nil {
		t.Fatalf("connecting the hung Secret Service to %s: %v", addr, err)
	}
	s.conn = conn
	t.Cleanup(func() {
		close(s.release)
		conn.Close()
	})
	reply, err := conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("the hung Secret Service could not own org.freedesktop.secrets (reply %v): %v", reply, err)
	}
	return s
}

// Calls returns "interface.member path" of every call received so far.
func (s *hungSecrets) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *hungSecrets) record(call string) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

// hungHandler serves every object path, interface and method with a hungMethod; godbus runs
// each incoming call in a goroutine of its own, so holding one holds nothing else.
type hungHandler struct{ s *hungSecrets }

func (h hungHandler) LookupObject(path dbus.ObjectPath) (dbus.ServerObject, bool) {
	return hungObject{h.s, string(path)}, true
}

type hungObject struct {
	s    *hungSecrets
	path string
}

func (o hungObject) LookupInterface(name string) (dbus.Interface, bool) {
	return hungInterface{o.s, o.path, name}, true
}

type hungInterface struct {
	s           *hungSecrets
	path, iface string
}

func (i hungInterface) LookupMethod(name string) (dbus.Method, bool) {
	return hungMethod{i.s, i.iface + "." + name + " " + i.path}, true
}

type hungMethod struct {
	s    *hungSecrets
	call string
}

func (m hungMethod) Call(args ...any) ([]any, error) {
	m.s.record(m.call)
	<-m.s.release
	return nil, errors.New("the test ended")
}

// DecodeArguments takes the arguments as they come, whatever their signature.
func (m hungMethod) DecodeArguments(_ *dbus.Conn, _ string, _ *dbus.Message, args []any) ([]any, error) {
	return args, nil
}

func (m hungMethod) NumArguments() int     { return 0 }
func (m hungMethod) NumReturns() int       { return 0 }
func (m hungMethod) ArgumentValue(int) any { return nil }
func (m hungMethod) ReturnValue(int) any   { return nil }
