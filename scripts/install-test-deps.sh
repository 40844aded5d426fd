#!/usr/bin/env bash
# Installs what the integration tests run against: a D-Bus session, the Secret Service
# (gnome-keyring, and KeePassXC as a second one), a notification daemon, a tray host under
# Xvfb, pass, wine with mingw-w64 (the Windows build's tests, internal/wintest), and the real
# Claude Code CLI. As root it installs only what is missing; otherwise it says what to install.
set -euo pipefail

debs=(
	dbus dbus-x11 gnome-keyring libsecret-tools dunst xvfb xfce4-panel xdotool zenity pass gnupg
	imagemagick libnotify-bin util-linux bsdutils procps desktop-file-utils x11-utils xclip curl
	wine wine64 gcc-mingw-w64-x86-64 keepassxc
)

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${debs[@]}"; do
	installed "$p" || missing+=("$p")
done

need_claude=0
if ! command -v claude >/dev/null 2>&1; then
	need_claude=1
	# The CLI comes from npm; npm itself comes from Debian.
	command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ "${#missing[@]}" -eq 0 ] && [ "$need_claude" -eq 0 ]; then
	echo "install-test-deps: all test dependencies are present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-test-deps: not root, installing nothing. Missing:" >&2
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "  Debian packages: ${missing[*]}" >&2
		echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	fi
	if [ "$need_claude" -eq 1 ]; then
		echo "  the claude CLI (Claude Code):" >&2
		echo "    sudo npm install -g @anthropic-ai/claude-code" >&2
	fi
	echo "install-test-deps: tests that need a missing program will be skipped (or fail when CI=true)" >&2
	exit 0
fi

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-test-deps: installing ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ "$need_claude" -eq 1 ]; then
	echo "install-test-deps: installing the claude CLI with npm"
	npm install -g @anthropic-ai/claude-code
	command -v claude >/dev/null 2>&1 || {
		echo "install-test-deps: npm finished but 'claude' is still not on PATH ($PATH); check 'npm prefix -g'" >&2
		exit 1
	}
fi
echo "install-test-deps: done"
