package packaging

import (
	"strings"
)

// DisplayName is the app's name where a person reads it (menus, launcher, session settings).
const DisplayName = "Claude Keytray"

// AppID names the desktop entry, the icon and the autostart file.
const AppID = "claude-keytray"

// desktopName and friends are what menus and session settings show.
const (
	desktopName    = DisplayName
	desktopGeneric = "API Key Manager"
	desktopComment = "Keep your Claude API key in the keychain and serve it to Claude Code"
)

// AutostartEntry renders $XDG_CONFIG_HOME/autostart/claude-keytray.desktop, which desktop
// sessions run at login. systemdSkip marks it X-systemd-skip=true: where systemd runs the
// session (GNOME, Plasma), the enabled tray unit starts the app and systemd's autostart
// generator leaves this entry alone; other sessions (Xfce, MATE, ...) run the entry. Either
// way one copy starts, and the engine's lock would stop a second one.
func AutostartEntry(exe string, systemdSkip bool) []byte {
	lines := []string{
		"# " + installMarker,
		"[Desktop Entry]",
		"Type=Application",
		"Version=1.4",
		"Name=" + desktopName,
		"GenericName=" + desktopGeneric,
		"Comment=" + desktopComment,
		"Exec=" + desktopExec(exe, ModeTray.args()),
		"Icon=" + AppID,
		"Terminal=false",
		"X-GNOME-Autostart-enabled=true",
	}
	if systemdSkip {
		lines = append(lines, "X-systemd-skip=true")
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// ApplicationEntry renders the menu entry the packages ship in /usr/share/applications; exe
// is the installed program (a bare name is looked up on PATH).
func ApplicationEntry(exe string) []byte {
	lines := []string{
		"[Desktop Entry]",
		"Type=Application",
		"Version=1.4",
		"Name=" + desktopName,
		"GenericName=" + desktopGeneric,
		"Comment=" + desktopComment,
		"Exec=" + desktopExec(exe, ModeTray.args()),
		"TryExec=" + desktopExec(exe, nil),
		"Icon=" + AppID,
		"Terminal=false",
		"Categories=Utility;",
		"Keywords=Claude;Anthropic;API;key;keychain;apiKeyHelper;",
		"StartupNotify=false",
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// desktopExec quotes a command line for a desktop entry's Exec key (Desktop Entry
// Specification, "The Exec key"): a word with a reserved character is double-quoted with ",
// `, $ and \ escaped inside; % is doubled because it starts a field code; then the value's own
// string escaping doubles every backslash.
func desktopExec(exe string, args []string) string {
	words := append([]string{exe}, args...)
	for i, w := range words {
		if strings.ContainsAny(w, " \t\n\"'\\><~|&;$*?#()`") {
			w = `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", `$`, `\$`, `\`, `\\`).Replace(w) + `"`
		}
		w = strings.ReplaceAll(w, "%", "%%")
		words[i] = strings.ReplaceAll(w, `\`, `\\`)
	}
	return strings.Join(words, " ")
}
