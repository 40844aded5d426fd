//go:build linux

package testenv

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notification is one org.freedesktop.Notifications.Notify call seen on the bus.
type Notification struct {
	AppName    string
	ReplacesID uint32
	Icon       string
	Summary    string
	Body       string
	Actions    []string
	// Urgency is the "urgency" hint (0 low, 1 normal, 2 critical), or -1 when not given.
	Urgency int
	// Timeout is the expire_timeout argument in milliseconds (-1: the server decides).
	Timeout int32
	At      time.Time
}

func (n Notification) String() string {
	return fmt.Sprintf("[%s] %q: %q", n.AppName, n.Summary, n.Body)
}

// Notifications records every Notify call on an Env's bus.
type Notifications struct {
	mu      sync.Mutex
	seen    []Notification
	changed chan struct{} // closed and replaced on every new notification
	readErr error
	Daemon  *Proc // dunst
	monitor *Proc // dbus-monitor
}

// StartNotifications starts dunst as the notification daemon on the Env's bus (with Xvfb, as
// dunst needs a display) and dbus-monitor recording every Notify call. Both stop in cleanup.
func (e *Env) StartNotifications(t testing.TB) *Notifications {
	t.Helper()
	Require(t, "dunst", "dbus-monitor")
	e.StartBus(t)
	e.StartX(t)
	if e.NameHasOwner(t, "org.freedesktop.Notifications") {
		t.Fatalf("testenv: StartNotifications called twice on one Env")
	}
	n := &Notifications{changed: make(chan struct{})}

	// The pcap output carries each message in D-Bus wire format, which decodes exactly; the
	// text output prints strings without escaping.
	mon := exec.Command("dbus-monitor", "--pcap", "--address", e.Get("DBUS_SESSION_BUS_ADDRESS"),
		"type='method_call',interface='org.freedesktop.Notifications',member='Notify'")
	mon.Env = e.Environ()
	mon.Dir = e.Home()
	// A pipe of our own rather than StdoutPipe: Wait must not close it under the reader.
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("testenv: pipe: %v", err)
	}
	mon.Stdout = w
	n.monitor = &Proc{Cmd: mon, name: "dbus-monitor", done: make(chan struct{})}
	mon.Stderr = &n.monitor.stderr
	n.monitor.start(t)
	w.Close()
	ready := make(chan struct{})
	go func() {
		defer out.Close()
		n.read(out, ready)
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("testenv: dbus-monitor did not start monitoring within 10s: %v\n%s", n.err(), n.monitor)
	}

	n.Daemon = e.Start(t, "dunst")
	e.WaitForName(t, "org.freedesktop.Notifications", true, 15*time.Second, n.Daemon)
	return n
}

// read decodes dbus-monitor's pcap stream. The first message (the bus telling the monitor its
// name) means monitoring has begun.
func (n *Notifications) read(r io.Reader, ready chan struct{}) {
	br := bufio.NewReader(r)
	var hdr [24]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		n.fail(fmt.Errorf("read the pcap header: %w", err))
		return
	}
	var order binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(hdr[:4]) == 0xa1b2c3d4:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(hdr[:4]) == 0xa1b2c3d4:
		order = binary.BigEndian
	default:
		n.fail(fmt.Errorf("not a pcap stream (magic % x)", hdr[:4]))
		return
	}
	first := true
	for {
		var rec [16]byte
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			if !errors.Is(err, io.EOF) {
				n.fail(fmt.Errorf("read a pcap record: %w", err))
			}
			return
		}
		sec, usec, size := order.Uint32(rec[0:4]), order.Uint32(rec[4:8]), order.Uint32(rec[8:12])
		data := make([]byte, size)
		if _, err := io.ReadFull(br, data); err != nil {
			n.fail(fmt.Errorf("read a pcap record body: %w", err))
			return
		}
		if first {
			first = false
			close(ready)
		}
		msg, err := dbus.DecodeMessage(bytes.NewReader(data))
		if err != nil {
			n.fail(fmt.Errorf("decode a D-Bus message: %w", err))
			continue
		}
		if no, ok := parseNotify(msg); ok {
			no.At = time.Unix(int64(sec), int64(usec)*1000)
			n.add(no)
		}
	}
}

func parseNotify(msg *dbus.Message) (Notification, bool) {
	if msg.Type != dbus.TypeMethodCall {
		return Notification{}, false
	}
	member, _ := msg.Headers[dbus.FieldMember].Value().(string)
	iface, _ := msg.Headers[dbus.FieldInterface].Value().(string)
	if member != "Notify" || iface != "org.freedesktop.Notifications" || len(msg.Body) != 8 {
		return Notification{}, false
	}
	var no Notification
	no.AppName, _ = msg.Body[0].(string)
	no.ReplacesID, _ = msg.Body[1].(uint32)
	no.Icon, _ = msg.Body[2].(string)
	no.Summary, _ = msg.Body[3].(string)
	no.Body, _ = msg.Body[4].(string)
	no.Actions, _ = msg.Body[5].([]string)
	no.Urgency = -1
	if hints, ok := msg.Body[6].(map[string]dbus.Variant); ok {
		if u, ok := hints["urgency"]; ok {
			if b, ok := u.Value().(byte); ok {
				no.Urgency = int(b)
			}
		}
	}
	no.Timeout, _ = msg.Body[7].(int32)
	return no, true
}

func (n *Notifications) add(no Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seen = append(n.seen, no)
	close(n.changed)
	n.changed = make(chan struct{})
}

func (n *Notifications) fail(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.readErr == nil {
		n.readErr = err
	}
}

func (n *Notifications) err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.readErr
}

// All returns every notification seen so far, oldest first.
func (n *Notifications) All() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notification(nil), n.seen...)
}

// WaitFor waits until a notification matching pred has been seen (including before the call)
// and returns the first match; after timeout it fails the test listing what was seen.
func (n *Notifications) WaitFor(t testing.TB, pred func(Notification) bool, timeout time.Duration) Notification {
	t.Helper()
	deadline := time.After(timeout)
	for {
		n.mu.Lock()
		for _, no := range n.seen {
			if pred(no) {
				n.mu.Unlock()
				return no
			}
		}
		changed := n.changed
		n.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("testenv: no matching notification within %v; seen:%s%s", timeout, n.describe(), n.problems())
			return Notification{}
		}
	}
}

// NoneWithin waits for d and fails the test if a notification matching pred arrives (or had
// arrived). It proves that something was not announced.
func (n *Notifications) NoneWithin(t testing.TB, pred func(Notification) bool, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	for _, no := range n.All() {
		if pred(no) {
			t.Fatalf("testenv: unexpected notification %v", no)
		}
	}
}

func (n *Notifications) describe() string {
	all := n.All()
	if len(all) == 0 {
		return " none"
	}
	var b strings.Builder
	for _, no := range all {
		b.WriteString("\n  ")
		b.WriteString(no.String())
	}
	return b.String()
}

func (n *Notifications) problems() string {
	var b strings.Builder
	if err := n.err(); err != nil {
		fmt.Fprintf(&b, "\nmonitor error: %v", err)
	}
	if n.monitor != nil && n.monitor.Exited() {
		fmt.Fprintf(&b, "\n%s", n.monitor)
	}
	if n.Daemon != nil && n.Daemon.Exited() {
		fmt.Fprintf(&b, "\n%s", n.Daemon)
	}
	return b.String()
}
