//go:build linux

package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// packageFor names what provides each program the tests use, for the skip message.
var packageFor = map[string]string{
	"dbus-daemon":            "Debian package dbus",
	"dbus-run-session":       "Debian package dbus",
	"dbus-send":              "Debian package dbus",
	"dbus-monitor":           "Debian package dbus",
	"dbus-launch":            "Debian package dbus-x11",
	"gnome-keyring-daemon":   "Debian package gnome-keyring",
	"secret-tool":            "Debian package libsecret-tools",
	"dunst":                  "Debian package dunst",
	"Xvfb":                   "Debian package xvfb",
	"xfce4-panel":            "Debian package xfce4-panel",
	"xdotool":                "Debian package xdotool",
	"zenity":                 "Debian package zenity",
	"pass":                   "Debian package pass",
	"gpg":                    "Debian package gnupg",
	"gpgconf":                "Debian package gnupg",
	"gpg-agent":              "Debian package gnupg",
	"convert":                "Debian package imagemagick",
	"import":                 "Debian package imagemagick",
	"compare":                "Debian package imagemagick",
	"notify-send":            "Debian package libnotify-bin",
	"setsid":                 "Debian package util-linux",
	"pgrep":                  "Debian package procps",
	"ps":                     "Debian package procps",
	"desktop-file-validate":  "Debian package desktop-file-utils",
	"xdpyinfo":               "Debian package x11-utils",
	"xprop":                  "Debian package x11-utils",
	"xclip":                  "Debian package xclip",
	"curl":                   "Debian package curl",
	"dunstctl":               "Debian package dunst",
	"script":                 "Debian package bsdutils",
	"setpriv":                "Debian package util-linux",
	"useradd":                "Debian package passwd",
	"xwininfo":               "Debian package x11-utils",
	"wine":                   "Debian packages wine and wine64",
	"wineserver":             "Debian packages wine and wine64",
	"wineboot":               "Debian packages wine and wine64",
	"x86_64-w64-mingw32-gcc": "Debian package gcc-mingw-w64-x86-64",
	"keepassxc":              "Debian package keepassxc",
	"keepassxc-cli":          "Debian package keepassxc",
	"claude":                 "npm package @anthropic-ai/claude-code (npm install -g @anthropic-ai/claude-code)",
}

// InCI reports whether the tests run in CI, where a missing component is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require checks that each program is on PATH. A missing one fails the test when CI=true and
// skips it otherwise, naming the package to install.
func Require(t testing.TB, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err == nil {
			continue
		}
		pkg, ok := packageFor[b]
		if !ok {
			pkg = "the package that provides it"
		}
		msg := "%s is not on PATH; install %s (scripts/install-test-deps.sh installs every test dependency)"
		if InCI() {
			t.Fatalf(msg, b, pkg)
		} else {
			t.Skipf(msg, b, pkg)
		}
	}
}
