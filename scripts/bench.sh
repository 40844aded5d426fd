#!/usr/bin/env bash
# Benchmarks claude-keytray where users feel it: the apiKeyHelper next to a plaintext file and
# secret-tool, with a slow key source, bursts of helpers, start-up and the idle footprint. It
# runs in a private world (temporary HOME and XDG dirs, its own D-Bus session, an unlocked
# gnome-keyring and a loopback API) and prints markdown tables of ratios measured side by side.
#
#   scripts/bench.sh                          # the full run, about 5-10 minutes
#   scripts/bench.sh -rounds 50 -idle 10s     # quicker and rougher
#   scripts/bench.sh -out bench-results.md    # also keep the report (path from the repo root)
#
# Flags: -rounds N, -warmup N, -bursts 50,200, -burst-rounds N, -starts N, -tray-starts N,
# -idle DURATION, -source-delay DURATION, -out FILE. It measures its own release build
# (CGO_ENABLED=0 -trimpath -ldflags "-s -w") of the working tree, claude-keytray and
# claude-keytray-key side by side as install wires them, and a default `go build`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

for bin in go dbus-daemon gnome-keyring-daemon secret-tool; do
	command -v "$bin" >/dev/null 2>&1 || {
		echo "bench: $bin not found; run scripts/install-test-deps.sh (Debian packages dbus, gnome-keyring, libsecret-tools)" >&2
		exit 1
	}
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/claude-keytray-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

go test -c -tags bench -o "$tmp/bench.test" ./bench

# The benchmark builds its own world; nothing of the real session may reach it.
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL \
	ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL CLAUDE_API_KEY CLAUDE_CONFIG_DIR \
	CLAUDE_KEYTRAY_SOURCE CLAUDE_AUTH_REFRESH_INTERVAL

"$tmp/bench.test" -test.run '^TestBench$' -test.timeout 90m "$@"
