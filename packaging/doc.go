// Package packaging makes claude-keytray start with the user's session and ships it.
//
// At run time it registers the app for login (an XDG autostart entry and a systemd user unit on
// Linux, a LaunchAgent on macOS, the HKCU Run key on Windows), starts it in the background and
// stops it again; `install`, `uninstall`, `setup` and the tray's "Start at login" checkbox use
// it. At build time it renders the files the .deb, .rpm, macOS bundle and Windows resources
// carry (desktop entry, hicolor icons, systemd user units, nfpm config, Info.plist), so the
// packages and a per-user install are made from the same templates.
//
// Nothing here runs as root or writes outside the user's own folders: a per-user install
// needs no administrator, and a Windows service could not show a tray icon anyway.
package packaging
