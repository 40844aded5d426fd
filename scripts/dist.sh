#!/usr/bin/env bash
# Builds claude-keytray's release files into dist/ (or $DIST_DIR).
#
#   scripts/dist.sh            linux and windows (the default; what `make dist` runs)
#   scripts/dist.sh linux      static binaries for linux/amd64 and linux/arm64, and a .deb and
#                              an .rpm for each
#   scripts/dist.sh packages   the .deb and .rpm for this machine's architecture only
#   scripts/dist.sh windows    for windows/amd64, with icon, manifest and version resources:
#                              claude-keytray.exe, the console program (prompt, helper), and
#                              claude-keytrayw.exe, the same program linked as a GUI program, which
#                              the Run key and the Start menu start: no console window for the tray
#   scripts/dist.sh macos      Claude Keytray.app and a zip of it. Needs macOS: the menu bar
#                              code is cgo against the macOS SDK, so it cannot be cross-built
#   scripts/dist.sh ci         the CI checks: cross-compile linux/amd64, linux/arm64 and
#                              windows/amd64 with CGO_ENABLED=0, go vet for darwin, build the
#                              .deb and run its binary, desktop-file-validate every .desktop file
#
# Tools come through the Go module proxy (`go run module@version`), never as downloaded
# binaries. VERSION, COMMIT and MAINTAINER override what goes into the packages.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
DIST=${DIST_DIR:-$ROOT/dist}
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)

# nfpm v2.46.0 and later need go.digitalxero.dev modules that proxy.golang.org does not serve.
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
WINRES=github.com/tc-hib/go-winres@v0.3.3

COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [ -z "${VERSION:-}" ]; then
	if tag=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		VERSION=${tag#v}
	else
		# No release tag yet: a version that sorts before 0.0.0 in dpkg and rpm.
		VERSION="0.0.0~git$(git log -1 --format=%cd --date=format:%Y%m%d 2>/dev/null || date +%Y%m%d).$COMMIT"
	fi
fi
# Package versions cannot hold "-"; git describe's "1.2.3-4-gabc" becomes "1.2.3+4.gabc".
VERSION=$(printf '%s' "$VERSION" | sed -e 's/-\([0-9]*\)-g/+\1.g/' -e 's/-/./g')
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
LDFLAGS="-s -w -X main.version=$VERSION -X main.commit=$COMMIT"

say() { printf '== %s\n' "$*"; }

# Files and folders to remove when the script ends, however it ends.
CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT

# build GOOS GOARCH OUTPUT [extra ldflags]: a static, reproducible binary. On Linux also
# OUTPUT-key next to it, the helper's fast path that the helper script runs from that folder
# (Windows has no exec to hand over with, so its helper runs the program itself).
build() {
	local os=$1 arch=$2 out=$3 extra=${4:-}
	say "build $os/$arch -> ${out#"$ROOT"/}"
	GOOS=$os GOARCH=$arch CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$LDFLAGS $extra" -o "$out" ./cmd/claude-keytray
	if [ "$os" = linux ]; then
		say "build $os/$arch -> ${out#"$ROOT"/}-key"
		GOOS=$os GOARCH=$arch CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$out-key" ./cmd/claude-keytray-key
	fi
}

# hostbin: a binary for this machine, which writes the man pages, completions and
# packaging files (gen-dist-files is a hidden command, built in only with -tags distfiles).
hostbin() {
	local out=$DIST/.host/claude-keytray
	if [ ! -x "$out" ]; then
		mkdir -p "$DIST/.host"
		CGO_ENABLED=0 "$GO" build -tags distfiles -trimpath -ldflags "$LDFLAGS" -o "$out" ./cmd/claude-keytray
	fi
	printf '%s' "$out"
}

# package ARCH: the .deb and .rpm for linux/ARCH.
package() {
	local arch=$1 bin=$DIST/linux-$1/claude-keytray
	build linux "$arch" "$bin"
	"$(hostbin)" gen-dist-files --out "$DIST/tree" --version "$VERSION" --arch "$arch" --binary "$bin" ${MAINTAINER:+--maintainer "$MAINTAINER"} >/dev/null
	for fmt in deb rpm; do
		say "nfpm $fmt ($arch)"
		"$GO" run "$NFPM" package --config "$DIST/tree/nfpm-$arch.yaml" --packager "$fmt" --target "$DIST/"
	done
}

linux() {
	package amd64
	package arm64
}

packages() {
	package "$("$GO" env GOARCH)"
}

windows() {
	"$(hostbin)" gen-dist-files --out "$DIST/tree" --version "$VERSION" >/dev/null
	# The resources are linked from a .syso next to main; it exists only for this build.
	CLEANUP+=("$ROOT/cmd/claude-keytray/rsrc_windows_amd64.syso")
	say "go-winres: icon, manifest, version"
	"$GO" run "$WINRES" make --in "$DIST/tree/windows/winres.json" --out cmd/claude-keytray/rsrc --arch amd64
	# Two programs: cmd and PowerShell wait only for a console program, so the CLI and the helper
	# are one; -H=windowsgui makes the tray's, which opens no console window at sign-in.
	build windows amd64 "$DIST/windows-amd64/claude-keytray.exe"
	build windows amd64 "$DIST/windows-amd64/claude-keytrayw.exe" "-H=windowsgui"
}

macos() {
	if [ "$(uname -s)" != Darwin ]; then
		echo "dist.sh macos: run this on a Mac; the menu bar code needs cgo and the macOS SDK" >&2
		exit 2
	fi
	"$(hostbin)" gen-dist-files --out "$DIST/tree" --version "$VERSION" >/dev/null
	local app="$DIST/Claude Keytray.app"
	rm -rf "$app"
	cp -R "$DIST/tree/macos/Claude Keytray.app" "$app"
	say "build darwin/arm64 and darwin/amd64 (cgo), one universal binary"
	for arch in arm64 amd64; do
		GOOS=darwin GOARCH=$arch CGO_ENABLED=1 "$GO" build -trimpath -ldflags "$LDFLAGS" -o "$DIST/.host/claude-keytray-$arch" ./cmd/claude-keytray
	done
	lipo -create -output "$app/Contents/MacOS/claude-keytray" "$DIST/.host/claude-keytray-arm64" "$DIST/.host/claude-keytray-amd64"
	# The helper's fast path, next to the program (no cgo).
	for arch in arm64 amd64; do
		GOOS=darwin GOARCH=$arch CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$DIST/.host/claude-keytray-key-$arch" ./cmd/claude-keytray-key
	done
	lipo -create -output "$app/Contents/MacOS/claude-keytray-key" "$DIST/.host/claude-keytray-key-arm64" "$DIST/.host/claude-keytray-key-amd64"
	# An ad-hoc signature, which Apple silicon requires to run the binary at all.
	codesign --force --deep --sign - "$app"
	(cd "$DIST" && ditto -c -k --keepParent "Claude Keytray.app" "claude-keytray-$VERSION-macos.zip")
	say "wrote $app"
}

ci() {
	build linux amd64 "$DIST/linux-amd64/claude-keytray"
	build linux arm64 "$DIST/linux-arm64/claude-keytray"
	build windows amd64 "$DIST/windows-amd64/claude-keytray.exe"
	build windows amd64 "$DIST/windows-amd64/claude-keytrayw.exe" "-H=windowsgui"

	# The tray's macOS code is cgo; everything below it must still compile for darwin.
	say "go vet (GOOS=darwin) ./auth/... ./packaging/... ./assets/... ./cmd/claude-keytray-key"
	GOOS=darwin CGO_ENABLED=0 "$GO" vet ./auth/... ./packaging/... ./assets/... ./cmd/claude-keytray-key

	local arch deb tmp
	arch=$("$GO" env GOARCH)
	rm -f "$DIST"/claude-keytray_*.deb "$DIST"/claude-keytray-*.rpm
	package "$arch"
	deb=$(ls "$DIST"/claude-keytray_*_"$arch".deb)
	say "check ${deb#"$ROOT"/}"
	tmp=$(mktemp -d)
	CLEANUP+=("$tmp")
	dpkg-deb -x "$deb" "$tmp/root"
	for f in usr/bin/claude-keytray usr/bin/claude-keytray-key usr/share/applications/claude-keytray.desktop \
		usr/share/icons/hicolor/scalable/apps/claude-keytray.svg usr/share/icons/hicolor/48x48/apps/claude-keytray.png \
		usr/lib/systemd/user/claude-keytray.service usr/lib/systemd/user/claude-keytray-daemon.service \
		usr/share/man/man1/claude-keytray.1.gz usr/share/bash-completion/completions/claude-keytray \
		usr/share/zsh/vendor-completions/_claude-keytray usr/share/fish/vendor_completions.d/claude-keytray.fish; do
		[ -s "$tmp/root/$f" ] || { echo "ci: $f is missing from the .deb" >&2; exit 1; }
	done
	mkdir -p "$tmp/home" "$tmp/run"
	chmod 700 "$tmp/run"
	local run=(env -i "HOME=$tmp/home" "XDG_RUNTIME_DIR=$tmp/run" "PATH=/usr/bin:/bin" "$tmp/root/usr/bin/claude-keytray")
	"${run[@]}" version
	"${run[@]}" version | grep -qF "$VERSION" || { echo "ci: the packaged binary does not report version $VERSION" >&2; exit 1; }
	# No keychain and no key in the empty HOME: doctor fails, but it must answer in JSON.
	local out
	out=$("${run[@]}" doctor --json --no-verify || true)
	printf '%s\n' "$out" | grep -q '"checks"' || { echo "ci: doctor --json gave no checks: $out" >&2; exit 1; }
	printf '%s\n' "$out" | grep -q '"name": "daemon"' || { echo "ci: doctor --json has no daemon check: $out" >&2; exit 1; }

	say "desktop-file-validate"
	find "$DIST/tree" "$tmp/root" -name '*.desktop' -print0 | xargs -0 -n1 desktop-file-validate
	say "ci: ok"
}

default() {
	linux
	windows
}

target=${1:-default}
case $target in
default | linux | packages | windows | macos | ci) "$target" ;;
*)
	echo "usage: scripts/dist.sh [linux|packages|windows|macos|ci]" >&2
	exit 2
	;;
esac
