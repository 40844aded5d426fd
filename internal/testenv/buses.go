//go:build linux

package testenv

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// StrayBuses lists the dbus-daemon and dbus-launch processes running with HOME=home that are
// not an Env's own bus (started with --config-file in its runtime dir): session buses that
// something autolaunched for a program the test ran. They outlive the test unless killed.
func StrayBuses(home string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "comm"))
		if err != nil {
			continue
		}
		if name := strings.TrimSpace(string(comm)); name != "dbus-daemon" && name != "dbus-launch" {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if bytes.Contains(cmdline, []byte("--config-file=")) && bytes.Contains(cmdline, []byte("/dbus/session.conf")) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if string(kv) == "HOME="+home {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// checkStrayBuses fails the test when a program it ran left a session bus behind, and ends
// those processes: they were started on the test's behalf.
func (e *Env) checkStrayBuses(t testing.TB) {
	pids := StrayBuses(e.Home())
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	if len(pids) > 0 {
		t.Errorf("testenv: a program this test ran autolaunched a D-Bus session bus that outlived it (pids %v); nothing may start a bus on its own", pids)
	}
}
