#!/bin/sh
# Takes screenshots of the tray icon and its open menu, in the ok and rejected states, in a
# private desktop (Xvfb, xfce4-panel, dunst, gnome-keyring on its own D-Bus) that the tray's
# desktop test sets up, and saves them as PNGs:
#   tray-ok.png, menu-ok.png, tray-rejected.png, menu-rejected.png
# Usage: scripts/screenshots.sh [folder]      (default: screenshots/ at the top of the repository)
# Needs: xvfb xfce4-panel dunst zenity xdotool gnome-keyring libsecret-tools imagemagick dbus.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/screenshots"}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
# CI=true: a missing desktop component is an error here, not a silent skip.
CI=true CLAUDE_KEYTRAY_SCREENSHOTS="$out" go test ./tray/ -run '^TestTrayScreenshots$' -count=1 -v
echo "Screenshots in $out:"
ls -l "$out"
