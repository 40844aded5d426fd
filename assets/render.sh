#!/bin/sh
# Renders the hand-written SVG sources in assets/src into the PNG, template PNG and ICO files
# that assets.go embeds. For maintainers: the build never runs this; the rendered files are
# committed. Run it after editing anything in src/, then `go test ./assets/` and commit both.
#
#   ./assets/render.sh          (from anywhere; it works relative to its own directory)
#
# Needs rsvg-convert (Debian: librsvg2-bin) and ImageMagick (Debian: imagemagick; `convert`,
# or `magick` from ImageMagick 7). Re-running it over unchanged sources gives the same bytes.
#
# Output:
#   png/<name>-<size>.png       name: ok, unverified, rejected, nokey, error (tray states) and
#                               app (the app icon);
#                               size: 16 22 24 32 48 64 128 256 (Linux tray, hicolor theme)
#   macos/<state>Template.png   18 px macOS menu bar template (black + alpha), and
#   macos/<state>Template@2x.png  its 36 px Retina twin
#   ico/<name>.ico              Windows icons holding 16, 24, 32, 48 and 256 px images
set -eu

cd "$(dirname "$0")"

if ! command -v rsvg-convert >/dev/null 2>&1; then
	echo "render.sh: rsvg-convert not found; install it (Debian: apt-get install librsvg2-bin)" >&2
	exit 1
fi
if command -v magick >/dev/null 2>&1; then
	im=magick
elif command -v convert >/dev/null 2>&1; then
	im=convert
else
	echo "render.sh: ImageMagick not found; install it (Debian: apt-get install imagemagick)" >&2
	exit 1
fi

png_sizes="16 22 24 32 48 64 128 256"
ico_sizes="16 24 32 48 256"
names="ok unverified rejected nokey error app"
states="ok unverified rejected nokey error"


mkdir -p png macos ico

for name in $names; do
	for size in $png_sizes; do
		rsvg-convert --width "$size" --height "$size" --format png \
			--output "png/$name-$size.png" "src/$name.svg"
	done
done

for state in $states; do
	rsvg-convert --width 18 --height 18 --format png \
		--output "macos/${state}Template.png" "src/template-$state.svg"
	rsvg-convert --width 36 --height 36 --format png \
		--output "macos/${state}Template@2x.png" "src/template-$state.svg"
done

# ImageMagick stores the small images as 32-bit BMPs (what every Windows version reads) and the
# 256 px one as PNG. The inputs are the PNGs rendered above, forced to 8-bit RGBA so that no
# entry ends up as a palette image with 1-bit transparency.
for name in $names; do
	set --
	for size in $ico_sizes; do
		set -- "$@" "PNG32:png/$name-$size.png"
	done
	"$im" "$@" -strip "ico/$name.ico"
done

echo "render.sh: wrote png/, macos/ and ico/ from src/"
