package packaging

import (
	"encoding/xml"
	"strings"
)

// BundleID identifies the macOS app bundle; the LaunchAgent uses it as its label.
const BundleID = "io.github.claude-keytray"

// LaunchAgentFile is the LaunchAgent's file name in ~/Library/LaunchAgents.
const LaunchAgentFile = BundleID + ".plist"

// LaunchAgentPlist renders the LaunchAgent that starts exe in mode m at login. KeepAlive only
// after a crash (SuccessfulExit=false), so Quit, which exits 0, stays quit. launchd writes the
// app's stdout and stderr to logFile (in the state folder).
func LaunchAgentPlist(m Mode, exe, logFile string) []byte {
	var b strings.Builder
	w := func(s string) { b.WriteString(s + "\n") }
	str := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return "<string>" + e.String() + "</string>"
	}
	w(`<?xml version="1.0" encoding="UTF-8"?>`)
	w(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`)
	w(`<!-- ` + strings.ReplaceAll(installMarker, "--", "-") + ` -->`)
	w(`<plist version="1.0">`)
	w(`<dict>`)
	w(`	<key>Label</key>`)
	w(`	` + str(BundleID))
	w(`	<key>ProgramArguments</key>`)
	w(`	<array>`)
	w(`		` + str(exe))
	for _, a := range m.args() {
		w(`		` + str(a))
	}
	w(`	</array>`)
	w(`	<key>RunAtLoad</key>`)
	w(`	<true/>`)
	w(`	<key>KeepAlive</key>`)
	w(`	<dict>`)
	w(`		<key>SuccessfulExit</key>`)
	w(`		<false/>`)
	w(`	</dict>`)
	w(`	<key>ThrottleInterval</key>`)
	w(`	<integer>10</integer>`)
	if m == ModeTray {
		// The menu bar exists only in the graphical (Aqua) session.
		w(`	<key>LimitLoadToSessionType</key>`)
		w(`	` + str("Aqua"))
		w(`	<key>ProcessType</key>`)
		w(`	` + str("Interactive"))
	} else {
		w(`	<key>ProcessType</key>`)
		w(`	` + str("Background"))
	}
	w(`	<key>StandardOutPath</key>`)
	w(`	` + str(logFile))
	w(`	<key>StandardErrorPath</key>`)
	w(`	` + str(logFile))
	w(`</dict>`)
	w(`</plist>`)
	return []byte(b.String())
}
