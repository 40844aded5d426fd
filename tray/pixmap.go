package tray

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/claude-keytray/claude-keytray/assets"
)

// On Linux and the BSDs fyne.io/systray turns the icon it is given into the StatusNotifierItem's
// ARGB32 IconPixmap by taking the low byte of each 16-bit value that color.Color's RGBA()
// returns. For an 8-bit PNG those low bytes are noise wherever alpha is below 255 (RGBA() is
// premultiplied, and its low byte is not the 8-bit value), which gave the anti-aliased edge
// random colours. So the tray hands systray a 16-bit PNG whose values are picked so that the
// low bytes are exactly the straight-alpha 8-bit pixels of the asset, while the image still
// looks like the asset to any ordinary PNG reader.

// pixmapIcons holds each state's converted icon; the conversion runs once per state.
var pixmapIcons sync.Map // assets.State → []byte

// systrayIcon returns the bytes to give systray.SetIcon for s.
func systrayIcon(s assets.State) []byte {
	if !pixmapQuirk {
		return assets.TrayIcon(s)
	}
	if b, ok := pixmapIcons.Load(s); ok {
		return b.([]byte)
	}
	b, err := lowByteExact(assets.TrayIcon(s))
	if err != nil {
		// The embedded assets are tested to decode; fall back to them rather than to no icon.
		return assets.TrayIcon(s)
	}
	pixmapIcons.Store(s, b)
	return b
}

// lowByteExact re-encodes a PNG as 16-bit straight-alpha (NRGBA64) pixels whose premultiplied
// RGBA() values have the original straight-alpha 8-bit channels as their low bytes.
func lowByteExact(pngData []byte) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return nil, err
	}
	r := src.Bounds()
	out := image.NewNRGBA64(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			c := color.NRGBAModel.Convert(src.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
			out.SetNRGBA64(x, y, lowByteColor(c))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// lowByteColor is the NRGBA64 colour whose RGBA() has c's channels as low bytes. Alpha is the
// usual 8-to-16-bit widening (a*257, whose low byte is a); each colour channel is the value
// whose premultiplied result lands on the 16-bit number nearest the true one with the wanted
// low byte.
func lowByteColor(c color.NRGBA) color.NRGBA64 {
	if c.A == 0 {
		return color.NRGBA64{}
	}
	a := uint32(c.A) * 0x101
	return color.NRGBA64{R: lowByteChannel(c.R, a), G: lowByteChannel(c.G, a), B: lowByteChannel(c.B, a), A: uint16(a)}
}

// lowByteChannel finds a straight 16-bit value v with (v*a/0xffff)&0xff == want, v*a/0xffff
// as close as possible to the exact premultiplied value. As v steps by one the premultiplied
// value steps by at most one (a <= 0xffff), so every target in [0, a] is reachable.
func lowByteChannel(want uint8, a uint32) uint16 {
	exact := uint32(want) * 0x101 * a / 0xffff
	best, bestDist := uint32(0), int64(1<<40)
	for hi := uint32(0); hi <= 0xff; hi++ {
		p := hi<<8 | uint32(want)
		if p > a {
			break
		}
		if d := abs64(int64(p) - int64(exact)); d < bestDist {
			best, bestDist = p, d
		}
	}
	// The smallest v whose premultiplied value reaches best: ceil(best*0xffff/a).
	v := (best*0xffff + a - 1) / a
	return uint16(min(v, 0xffff))
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
