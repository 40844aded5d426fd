package packaging

import (
	"strings"
)

// UnitName is the systemd user unit that starts the app in mode m. The two modes have their
// own names so the package can ship both and a user can switch between them.
func UnitName(m Mode) string {
	if m == ModeDaemon {
		return "claude-keytray-daemon.service"
	}
	return "claude-keytray.service"
}

// installMarker starts every file `install` writes, so that uninstall removes only its own
// files and never one a user or a package put at the same place.
const installMarker = "Written by `claude-keytray install`; `claude-keytray uninstall` removes it."

// UnitOrigin says who puts a unit where, which decides its header comment.
type UnitOrigin int

const (
	// PerUser is a unit `install` writes to $XDG_CONFIG_HOME/systemd/user.
	PerUser UnitOrigin = iota
	// Vendor is a unit the .deb and .rpm ship in /usr/lib/systemd/user, enabled by the user.
	Vendor
)

// SystemdUnit renders the user unit that runs exe in mode m.
//
// kardianos/service's own user unit says WantedBy=multi-user.target, a system target the user
// manager never reaches, so it would never start; these units hang off the user's own targets
// instead. Restart=on-failure brings the app back after a crash but leaves it stopped after
// Quit, which exits 0.
func SystemdUnit(m Mode, exe string, origin UnitOrigin) []byte {
	var b strings.Builder
	w := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	// Only the packages install the man page.
	doc := func() {
		if origin == Vendor {
			w("Documentation=man:claude-keytray(1)")
		}
	}
	if origin == Vendor {
		w("# Shipped with the claude-keytray package. Turn it on for your user with",
			"#   systemctl --user enable --now "+UnitName(m),
			"# or run `claude-keytray install`, which picks the right unit for the session.")
	} else {
		w("# " + installMarker)
	}
	w("[Unit]")
	if m == ModeTray {
		w("Description=claude-keytray tray icon: serves the Claude API key from the keychain")
		doc()
		w("# Started with the desktop and stopped with it, like any other session applet.",
			"PartOf=graphical-session.target",
			"After=graphical-session.target")
	} else {
		w("Description=claude-keytray daemon: serves the Claude API key from the keychain")
		doc()
	}
	w("# A second copy exits 1 (\"already running\"); a few tries, then give up.",
		"StartLimitIntervalSec=60",
		"StartLimitBurst=3",
		"",
		"[Service]",
		"Type=simple",
		"ExecStart="+systemdExec(exe, m.args()),
		"Restart=on-failure",
		"RestartSec=5",
		"",
		"[Install]")
	if m == ModeTray {
		w("WantedBy=graphical-session.target")
	} else {
		w("WantedBy=default.target")
	}
	return []byte(b.String())
}

// systemdExec quotes a command line for ExecStart: specifiers (%) and variables ($) are
// escaped, and a word with spaces, quotes or backslashes is double-quoted.
func systemdExec(exe string, args []string) string {
	words := append([]string{exe}, args...)
	for i, w := range words {
		w = strings.NewReplacer("%", "%%", "$", "$$").Replace(w)
		if strings.ContainsAny(w, " \t\"'\\;") {
			w = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
		}
		words[i] = w
	}
	return strings.Join(words, " ")
}
