#!/bin/sh
# Takes screenshots of the tray in a private desktop (Xvfb, xfce4-panel, dunst, gnome-keyring on
# its own D-Bus) that the tray's desktop test sets up, and saves them as PNGs:
#   icon-<state>-<dark|light>-<1x|2x>.png  the IconPixmap read over D-Bus, on a dark and a light
#                                          panel colour, for ok, unverified, rejected, nokey, error
#   icons.png                              all of those in one sheet (ImageMagick)
#   tray-<state>.png, menu-<state>.png     the panel and the open menu: ok, rejected, nokey
#   details.png, key-dialog.png            the Details window and the Update key dialog
#   notification.png                       the "key rejected" notification
#   menu-profiles.png                      the open menu with two profiles (default and work)
#   menu-more-profiles.png                 fifteen profiles: the More profiles submenu open
# Usage: scripts/screenshots.sh [folder]      (default: screenshots/ at the top of the repository)
# The README shows the copies in docs/tray/; after a change, look at the new ones and copy them:
#   cp screenshots/{icons,menu-ok,menu-rejected,menu-nokey,menu-profiles,menu-more-profiles,details,key-dialog,notification}.png docs/tray/
# Needs: xvfb xfce4-panel dunst zenity xdotool gnome-keyring libsecret-tools imagemagick dbus.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/screenshots"}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
# CI=true: a missing desktop component is an error here, not a silent skip.
CI=true CLAUDE_KEYTRAY_SCREENSHOTS="$out" go test ./tray/ -run '^(TestTrayScreenshots|TestTrayProfiles|TestTrayManyProfiles)$' -count=1 -v
# One row per state: dark 1x, light 1x, dark 2x, light 2x.
rows=""
for s in ok unverified rejected nokey error; do
	convert "$out/icon-$s-dark-1x.png" "$out/icon-$s-light-1x.png" "$out/icon-$s-dark-2x.png" \
		"$out/icon-$s-light-2x.png" -background '#808080' -gravity center +append "$out/row-$s.png"
	rows="$rows $out/row-$s.png"
done
# shellcheck disable=SC2086 # the list of rows is meant to split
convert $rows -append "$out/icons.png"
# shellcheck disable=SC2086
rm -f $rows
echo "Screenshots in $out:"
ls -l "$out"
