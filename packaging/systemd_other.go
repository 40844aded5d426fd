//go:build !linux && !darwin && !windows

package packaging

// systemdUser is never available outside Linux; the XDG autostart entry does the work.
type systemdUser struct{ ok bool }

func probeSystemdUser() systemdUser { return systemdUser{} }

// SystemdUserAvailable reports whether `systemctl --user` reaches a user service manager.
func SystemdUserAvailable() bool { return false }

func (systemdUser) enabled(string) bool      { return false }
func (systemdUser) enable(string) error      { return nil }
func (systemdUser) disable(string) error     { return nil }
func (systemdUser) reload() error            { return nil }
func (systemdUser) graphicalSession() bool   { return false }
func (systemdUser) active(Mode, string) bool { return false }
func (systemdUser) start(Mode, string) error { return nil }
func (systemdUser) stop(Mode, string) error  { return nil }
