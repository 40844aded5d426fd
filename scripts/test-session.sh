#!/usr/bin/env bash
# Runs a command (normally the test suite) inside a private D-Bus session with an unlocked
# gnome-keyring and a throwaway HOME and XDG dirs, so nothing touches the real user's
# keychain, settings or files.
#
#   scripts/test-session.sh go test ./...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ "${1:-}" = "--inside-bus" ]; then
	shift
	# Unlock a fresh login keyring with a password nobody keeps; the daemon exits with the bus.
	# Its output is lines of NAME=VALUE (GNOME_KEYRING_CONTROL and, for some versions, SSH_AUTH_SOCK).
	if command -v gnome-keyring-daemon >/dev/null 2>&1; then
		keyring_vars="$(printf '%s' "test-session-$$-$RANDOM" |
			gnome-keyring-daemon --unlock --components=secrets)" || {
			echo "test-session: gnome-keyring-daemon --unlock failed; keychain tests will fail" >&2
			keyring_vars=""
		}
		while IFS= read -r line; do
			case "$line" in
			*=*) export "${line?}" ;;
			esac
		done <<<"$keyring_vars"
	else
		echo "test-session: gnome-keyring-daemon not found (Debian package gnome-keyring); no keychain in this session" >&2
	fi
	exec "$@"
fi

if [ "$#" -eq 0 ]; then
	echo "usage: $0 COMMAND [ARG...]   (runs COMMAND in a private D-Bus session with a throwaway keyring and HOME)" >&2
	exit 2
fi

if [ "$(id -u)" -eq 0 ]; then
	"$here/install-test-deps.sh"
fi

command -v dbus-run-session >/dev/null 2>&1 || {
	echo "test-session: dbus-run-session not found; install the Debian package dbus (scripts/install-test-deps.sh does)" >&2
	exit 1
}

# Go keeps its caches under HOME; pin them first so the throwaway HOME does not mean a cold
# build cache and a fresh module download.
if command -v go >/dev/null 2>&1; then
	GOCACHE="$(go env GOCACHE)"
	GOMODCACHE="$(go env GOMODCACHE)"
	GOPATH="$(go env GOPATH)"
	GOENV="$(go env GOENV)"
	export GOCACHE GOMODCACHE GOPATH GOENV
fi

session="$(mktemp -d "${TMPDIR:-/tmp}/claude-keytray-session.XXXXXX")"
cleanup() { rm -rf "$session"; }
trap cleanup EXIT

export HOME="$session/home"
export XDG_CONFIG_HOME="$session/config"
export XDG_STATE_HOME="$session/state"
export XDG_DATA_HOME="$session/data"
export XDG_CACHE_HOME="$session/cache"
export XDG_RUNTIME_DIR="$session/run"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
mkdir -m 0700 "$XDG_RUNTIME_DIR"

# Nothing from the real session or the developer's credentials may leak into the tests.
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL SSH_AUTH_SOCK \
	GNUPGHOME PASSWORD_STORE_DIR \
	ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL CLAUDE_API_KEY CLAUDE_CONFIG_DIR \
	CLAUDE_KEYTRAY_SOURCE CLAUDE_AUTH_REFRESH_INTERVAL

# Not exec: the trap above must remove the session directory afterwards.
dbus-run-session -- "$here/test-session.sh" --inside-bus "$@"
