package packaging

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/kardianos/service"
)

// systemdUser talks to the user's service manager (systemctl --user). ok is false where none
// runs: containers, WSL without systemd, sessions started without a user manager.
type systemdUser struct {
	ok bool
}

func probeSystemdUser() systemdUser {
	if _, err := exec.LookPath("systemctl"); err != nil {
		return systemdUser{}
	}
	out, err := systemctl("show", "--property=Version")
	return systemdUser{ok: err == nil && strings.HasPrefix(out, "Version=")}
}

// SystemdUserAvailable reports whether `systemctl --user` reaches a user service manager.
func SystemdUserAvailable() bool { return probeSystemdUser().ok }

// systemctl runs `systemctl --user args...` with a timeout and returns its trimmed output.
func systemctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", append([]string{"--user"}, args...)...).CombinedOutput()
	s := strings.TrimSpace(string(out))
	if err != nil {
		return s, fmt.Errorf("systemctl --user %s: %v: %s", strings.Join(args, " "), err, s)
	}
	return s, nil
}

func (s systemdUser) enabled(unit string) bool {
	out, err := systemctl("is-enabled", unit)
	return err == nil && (out == "enabled" || out == "enabled-runtime")
}

func (s systemdUser) enable(unit string) error {
	_, err := systemctl("enable", unit)
	return err
}

func (s systemdUser) disable(unit string) error {
	_, err := systemctl("disable", unit)
	return err
}

func (s systemdUser) reload() error {
	_, err := systemctl("daemon-reload")
	return err
}

// graphicalSession reports whether the session runs under systemd (GNOME, Plasma): only then is
// graphical-session.target active and the tray unit started with it.
func (s systemdUser) graphicalSession() bool {
	out, err := systemctl("is-active", "graphical-session.target")
	return err == nil && out == "active"
}

// nopProgram satisfies service.Interface; the app runs its own main loop and never calls Run.
type nopProgram struct{}

func (nopProgram) Start(service.Service) error { return nil }
func (nopProgram) Stop(service.Service) error  { return nil }

// unitService is the unit as a kardianos/service user service, for starting, stopping and
// asking about it. Its systemd system is picked by name rather than detected, because
// detection looks at PID 1, which says nothing about the user's own manager. The unit file is
// written by Enable, not by the service's Install: that one writes under ~/.config whatever
// XDG_CONFIG_HOME says and refuses to replace an existing file.
func unitService(m Mode, exe string) (service.Service, error) {
	var sys service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			sys = s
		}
	}
	if sys == nil {
		return nil, fmt.Errorf("this build of kardianos/service has no systemd support")
	}
	return sys.New(nopProgram{}, &service.Config{
		Name:        strings.TrimSuffix(UnitName(m), ".service"),
		DisplayName: "claude-keytray",
		Description: "Serves the Claude API key from the keychain",
		Executable:  exe,
		Arguments:   m.args(),
		Option: service.KeyValue{
			"UserService": true,
			// The rendered unit holds no template actions, so the service's template engine
			// would write it as it is.
			"SystemdScript": string(SystemdUnit(m, exe, PerUser)),
		},
	})
}

func (s systemdUser) active(m Mode, exe string) bool {
	svc, err := unitService(m, exe)
	if err != nil {
		return false
	}
	st, err := svc.Status()
	return err == nil && st == service.StatusRunning
}

func (s systemdUser) start(m Mode, exe string) error {
	svc, err := unitService(m, exe)
	if err != nil {
		return err
	}
	if err := svc.Start(); err != nil {
		return fmt.Errorf("starting %s: %w; see systemctl --user status %s and journalctl --user -u %s", UnitName(m), err, UnitName(m), UnitName(m))
	}
	return nil
}

func (s systemdUser) stop(m Mode, exe string) error {
	svc, err := unitService(m, exe)
	if err != nil {
		return err
	}
	if err := svc.Stop(); err != nil {
		return fmt.Errorf("stopping %s: %w", UnitName(m), err)
	}
	return nil
}
