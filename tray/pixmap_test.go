package tray

import (
	"bytes"
	"image/color"
	"image/png"
	"testing"

	"github.com/claude-keytray/claude-keytray/assets"
)

// TestLowByteColorEveryValue: for every alpha and channel value, the low bytes of RGBA() are
// the straight-alpha 8-bit values, which is what the StatusNotifierItem pixmap receives.
func TestLowByteColorEveryValue(t *testing.T) {
	for a := 1; a < 256; a++ {
		for v := 0; v < 256; v++ {
			c := lowByteColor(color.NRGBA{R: uint8(v), G: uint8(255 - v), B: uint8(v / 2), A: uint8(a)})
			r, g, b, al := c.RGBA()
			if uint8(r) != uint8(v) || uint8(g) != uint8(255-v) || uint8(b) != uint8(v/2) || uint8(al) != uint8(a) {
				t.Fatalf("alpha %d value %d: low bytes %d %d %d %d", a, v, uint8(r), uint8(g), uint8(b), uint8(al))
			}
		}
	}
	if r, g, b, a := lowByteColor(color.NRGBA{R: 9, A: 0}).RGBA(); r|g|b|a != 0 {
		t.Errorf("a transparent pixel became %d %d %d %d", r, g, b, a)
	}
}

// TestSystrayIconLooksLikeTheAsset: an ordinary PNG reader sees the converted icon within a
// few levels of the asset where it is more than faintly visible, and exactly its alpha.
func TestSystrayIconLooksLikeTheAsset(t *testing.T) {
	for _, s := range assets.States() {
		want, err := png.Decode(bytes.NewReader(assets.TrayIcon(s)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(bytes.NewReader(systrayIcon(s)))
		if err != nil {
			t.Fatalf("%v: the converted icon is not a PNG: %v", s, err)
		}
		if got.Bounds().Size() != want.Bounds().Size() {
			t.Fatalf("%v: size %v, want %v", s, got.Bounds().Size(), want.Bounds().Size())
		}
		b := want.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
				g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
				if w.A != g.A {
					t.Fatalf("%v (%d,%d): alpha %d, want %d", s, x, y, g.A, w.A)
				}
				if w.A < 32 {
					continue
				}
				for _, p := range [][2]uint8{{w.R, g.R}, {w.G, g.G}, {w.B, g.B}} {
					if d := int(p[0]) - int(p[1]); d > 4 || d < -4 {
						t.Errorf("%v (%d,%d): %v reads as %v", s, x, y, w, g)
					}
				}
			}
		}
	}
}
