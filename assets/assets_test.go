package assets

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

var allStates = States()

// declaredSize reads the pixel size an embedded PNG's name promises.
func declaredSize(t *testing.T, name string) int {
	t.Helper()
	base := strings.TrimSuffix(path.Base(name), ".png")
	switch {
	case strings.HasSuffix(base, "Template@2x"):
		return 36
	case strings.HasSuffix(base, "Template"):
		return 18
	}
	i := strings.LastIndexByte(base, '-')
	n, err := strconv.Atoi(base[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("%s: name does not end in -<size>.png", name)
	}
	return n
}

func decodePNG(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	return img
}

// alphaRange reports whether img has a fully transparent and a fully opaque pixel: the icon
// has a see-through background and is not blank.
func alphaRange(img image.Image) (clear, solid bool) {
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			switch color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA).A {
			case 0:
				clear = true
			case 255:
				solid = true
			}
		}
	}
	return clear, solid
}

func TestEmbeddedPNGsDecodeWithDeclaredSizeAndTransparency(t *testing.T) {
	names, err := fs.Glob(files, "*/*.png")
	if err != nil {
		t.Fatal(err)
	}
	// Every state and the app icon at every PNG size, plus every state × 2 templates.
	if want := (len(allStates)+1)*len(pngSizes) + len(allStates)*len(templateSizes); len(names) != want {
		t.Fatalf("embedded %d PNGs, want %d: %v", len(names), want, names)
	}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, name, b)
		size := declaredSize(t, name)
		if got := img.Bounds(); got.Dx() != size || got.Dy() != size {
			t.Errorf("%s: %dx%d, want %dx%d", name, got.Dx(), got.Dy(), size, size)
		}
		clear, solid := alphaRange(img)
		if !clear {
			t.Errorf("%s: no transparent pixel; tray icons need a transparent background", name)
		}
		if !solid {
			t.Errorf("%s: no opaque pixel; the icon is blank or washed out", name)
		}
	}
}

type icoEntry struct {
	width, height int
	data          []byte
}

// parseICO reads an ICO directory (ICONDIR and its ICONDIRENTRYs) and checks every image lies
// inside the file.
func parseICO(b []byte) ([]icoEntry, error) {
	if len(b) < 6 {
		return nil, fmt.Errorf("%d bytes, too short for an ICO header", len(b))
	}
	reserved := binary.LittleEndian.Uint16(b[0:])
	typ := binary.LittleEndian.Uint16(b[2:])
	count := int(binary.LittleEndian.Uint16(b[4:]))
	if reserved != 0 || typ != 1 {
		return nil, fmt.Errorf("header reserved=%d type=%d, want 0 and 1 (icon)", reserved, typ)
	}
	if len(b) < 6+16*count {
		return nil, fmt.Errorf("header says %d images but the directory is cut short", count)
	}
	var out []icoEntry
	for i := range count {
		e := b[6+16*i : 6+16*(i+1)]
		w, h := int(e[0]), int(e[1])
		if w == 0 {
			w = 256
		}
		if h == 0 {
			h = 256
		}
		size := int(binary.LittleEndian.Uint32(e[8:]))
		off := int(binary.LittleEndian.Uint32(e[12:]))
		if off < 6+16*count || off+size > len(b) || size <= 0 {
			return nil, fmt.Errorf("image %d (%dx%d): bytes %d..%d outside the %d-byte file", i, w, h, off, off+size, len(b))
		}
		out = append(out, icoEntry{w, h, b[off : off+size]})
	}
	return out, nil
}

// checkICOImage decodes one ICO image: a PNG, or a 32-bit BMP without file header whose height
// counts the colour and the mask rows.
func checkICOImage(t *testing.T, label string, e icoEntry) {
	t.Helper()
	if bytes.HasPrefix(e.data, []byte("\x89PNG\r\n\x1a\n")) {
		img := decodePNG(t, label, e.data)
		if got := img.Bounds(); got.Dx() != e.width || got.Dy() != e.height {
			t.Errorf("%s: PNG is %dx%d, directory says %dx%d", label, got.Dx(), got.Dy(), e.width, e.height)
		}
		if clear, solid := alphaRange(img); !clear || !solid {
			t.Errorf("%s: transparent pixel %v, opaque pixel %v; want both", label, clear, solid)
		}
		return
	}
	if len(e.data) < 40 {
		t.Fatalf("%s: %d bytes, too short for a BMP header", label, len(e.data))
	}
	hdr := binary.LittleEndian.Uint32(e.data[0:])
	w := int(int32(binary.LittleEndian.Uint32(e.data[4:])))
	h := int(int32(binary.LittleEndian.Uint32(e.data[8:])))
	bpp := int(binary.LittleEndian.Uint16(e.data[14:]))
	if hdr != 40 || w != e.width || h != 2*e.height || bpp != 32 {
		t.Fatalf("%s: BMP header size=%d %dx%d %d bpp, want 40 %dx%d 32 bpp", label, hdr, w, h, bpp, e.width, 2*e.height)
	}
	pixels := e.data[40:]
	if len(pixels) < 4*e.width*e.height {
		t.Fatalf("%s: %d bytes of pixels, want at least %d", label, len(pixels), 4*e.width*e.height)
	}
	var clear, solid bool
	for i := 3; i < 4*e.width*e.height; i += 4 {
		clear = clear || pixels[i] == 0
		solid = solid || pixels[i] == 255
	}
	if !clear || !solid {
		t.Errorf("%s: transparent pixel %v, opaque pixel %v; want both", label, clear, solid)
	}
}

func TestICOFilesParse(t *testing.T) {
	icos := map[string][]byte{"app": AppICO()}
	for _, s := range allStates {
		icos[s.String()] = ICO(s)
	}
	for name, b := range icos {
		entries, err := parseICO(b)
		if err != nil {
			t.Fatalf("%s.ico: %v", name, err)
		}
		if len(entries) != len(icoSizes) {
			t.Fatalf("%s.ico: %d images, want %d (%v)", name, len(entries), len(icoSizes), icoSizes)
		}
		for i, e := range entries {
			if e.width != icoSizes[i] || e.height != icoSizes[i] {
				t.Errorf("%s.ico image %d: %dx%d, want %dx%d", name, i, e.width, e.height, icoSizes[i], icoSizes[i])
			}
			checkICOImage(t, fmt.Sprintf("%s.ico image %d", name, i), e)
		}
	}
}

func TestTemplatesAreBlackWithAlpha(t *testing.T) {
	for _, s := range allStates {
		for _, size := range templateSizes {
			b, ok := TemplatePNG(s, size)
			if !ok {
				t.Fatalf("TemplatePNG(%v, %d) missing", s, size)
			}
			img := decodePNG(t, fmt.Sprintf("%v template %d", s, size), b)
			r := img.Bounds()
			shown := 0
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
					if c.A == 0 {
						continue
					}
					shown++
					if c.R != 0 || c.G != 0 || c.B != 0 {
						t.Fatalf("%v template %d px: pixel (%d,%d) is %v; a template is black with alpha only", s, size, x, y, c)
					}
				}
			}
			if shown < size*size/8 {
				t.Errorf("%v template %d px: only %d visible pixels", s, size, shown)
			}
		}
	}
}

// TestTemplateSourcesAreMonochrome keeps the SVG sources honest, so a re-render cannot bring
// colour into a template.
func TestTemplateSourcesAreMonochrome(t *testing.T) {
	paint := regexp.MustCompile(`(?:fill|stroke)="([^"]*)"`)
	for _, s := range allStates {
		name := "src/template-" + s.String() + ".svg"
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range paint.FindAllStringSubmatch(string(b), -1) {
			found++
			switch m[1] {
			case "#000", "none", "#fff": // #fff only paints masks
			default:
				t.Errorf("%s: paint %q; templates use black (and white in masks) only", name, m[1])
			}
		}
		if found == 0 {
			t.Errorf("%s: no fill or stroke found", name)
		}
	}
}

// pixelDiff counts pixels that differ between two images of the same size.
func pixelDiff(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func TestStateIconsDiffer(t *testing.T) {
	for i, a := range allStates {
		for _, b := range allStates[i+1:] {
			for _, size := range []int{16, 22, 32} {
				pa, _ := IconPNG(a, size)
				pb, _ := IconPNG(b, size)
				ia := decodePNG(t, a.String(), pa)
				ib := decodePNG(t, b.String(), pb)
				// The badge is about a sixth of the icon; demand that much change, not a stray pixel.
				if d := pixelDiff(ia, ib); d < size*size/10 {
					t.Errorf("%v and %v at %d px differ in %d pixels only", a, b, size, d)
				}
			}
			ta := decodePNG(t, a.String(), TrayTemplateIcon(a))
			tb := decodePNG(t, b.String(), TrayTemplateIcon(b))
			if d := pixelDiff(ta, tb); d < 36*36/20 {
				t.Errorf("%v and %v templates differ in %d pixels only", a, b, d)
			}
			if bytes.Equal(ICO(a), ICO(b)) {
				t.Errorf("%v and %v have the same ICO", a, b)
			}
			if bytes.Equal(TrayIcon(a), TrayIcon(b)) {
				t.Errorf("%v and %v have the same tray icon", a, b)
			}
		}
	}
}

// TestBadgeColours samples the badge beside its glyph: green for ok, amber for unverified, red
// for rejected, violet for error, so the colours keep their meaning through any redesign. The no-key
// icon has no badge: the spot is empty.
func TestBadgeColours(t *testing.T) {
	for _, s := range allStates {
		b, _ := IconPNG(s, 256)
		img := decodePNG(t, s.String(), b)
		// (21, 22) on the 32-unit grid: inside the badge, clear of the check, "?", "!" and bar.
		c := color.NRGBAModel.Convert(img.At(21*8, 22*8)).(color.NRGBA)
		r, g, bl := int(c.R), int(c.G), int(c.B)
		var ok bool
		switch s {
		case Ok:
			ok = g > r+40 && g > bl+40
		case Unverified:
			ok = r > g && g > bl+60 && g > 100
		case Rejected:
			ok = r > g+80 && r > bl+80
		case Error:
			ok = bl > g+80 && r > g+20
		case NoKey:
			ok, c.A = c.A == 0, 255
		}
		if !ok || c.A != 255 {
			t.Errorf("%v badge colour %v does not read as the state's colour", s, c)
		}
	}
}

// TestNoKeyIsAnOutline: the no-key key is drawn as an outline, so the middle of its shaft,
// solid gold in every other icon, is see-through.
func TestNoKeyIsAnOutline(t *testing.T) {
	for _, s := range allStates {
		b, _ := IconPNG(s, 256)
		img := decodePNG(t, s.String(), b)
		// (12, 20) on the 32-unit grid: the middle of the shaft.
		a := color.NRGBAModel.Convert(img.At(12*8, 20*8)).(color.NRGBA).A
		if empty := a == 0; empty != (s == NoKey) {
			t.Errorf("%v: the shaft's middle has alpha %d; only the no-key icon is empty there", s, a)
		}
	}
}

func TestTrayIconForThisOS(t *testing.T) {
	for _, s := range allStates {
		got := TrayIcon(s)
		switch runtime.GOOS {
		case "windows":
			if !bytes.Equal(got, ICO(s)) {
				t.Errorf("TrayIcon(%v) is not the ICO", s)
			}
		case "darwin":
			if !bytes.Equal(got, TrayTemplateIcon(s)) {
				t.Errorf("TrayIcon(%v) is not the template image", s)
			}
		default:
			img := decodePNG(t, "TrayIcon("+s.String()+")", got)
			if r := img.Bounds(); r.Dx() != trayIconSize || r.Dy() != trayIconSize {
				t.Errorf("TrayIcon(%v) is %dx%d, want %d px", s, r.Dx(), r.Dy(), trayIconSize)
			}
		}
	}
}

func TestAppIcon(t *testing.T) {
	for _, size := range PNGSizes() {
		b, ok := AppIconPNG(size)
		if !ok {
			t.Fatalf("AppIconPNG(%d) missing", size)
		}
		if r := decodePNG(t, "app", b).Bounds(); r.Dx() != size {
			t.Errorf("AppIconPNG(%d) is %d px wide", size, r.Dx())
		}
	}
	for _, size := range []int{0, 17, 512} {
		if _, ok := AppIconPNG(size); ok {
			t.Errorf("AppIconPNG(%d) reported a size that is not rendered", size)
		}
	}
	var svg struct {
		XMLName xml.Name
		ViewBox string `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(AppIconSVG(), &svg); err != nil {
		t.Fatalf("AppIconSVG is not XML: %v", err)
	}
	if svg.XMLName.Local != "svg" || svg.ViewBox != "0 0 32 32" {
		t.Errorf("AppIconSVG root is <%s viewBox=%q>, want <svg viewBox=\"0 0 32 32\">", svg.XMLName.Local, svg.ViewBox)
	}
}

func TestStateNamesAndFallback(t *testing.T) {
	want := map[State]string{Ok: "ok", Unverified: "unverified", Rejected: "rejected", NoKey: "nokey", Error: "error", State(9): "State(9)"}
	for s, name := range want {
		if s.String() != name {
			t.Errorf("State(%d).String() = %q, want %q", int(s), s.String(), name)
		}
	}
	odd, _ := IconPNG(State(9), 32)
	warn, _ := IconPNG(Unverified, 32)
	if !bytes.Equal(odd, warn) {
		t.Error("an unknown state should show the unverified icon")
	}
	if len(TrayIcon(State(-1))) == 0 || len(ICO(State(-1))) == 0 || len(TrayTemplateIcon(State(-1))) == 0 {
		t.Error("an unknown state gave an empty icon")
	}
	if _, ok := IconPNG(Ok, 20); ok {
		t.Error("IconPNG(Ok, 20) reported a size that is not rendered")
	}
	if _, ok := TemplatePNG(Ok, 16); ok {
		t.Error("TemplatePNG(Ok, 16) reported a size that is not rendered")
	}
}

// TestEveryEmbeddedFileIsReachable finds each embedded file among the API's answers, so no
// rendered file is dead weight and no API call points at a file that is not there.
func TestEveryEmbeddedFileIsReachable(t *testing.T) {
	var served [][]byte
	served = append(served, AppIconSVG(), AppICO())
	for _, size := range pngSizes {
		b, _ := AppIconPNG(size)
		served = append(served, b)
	}
	for _, s := range allStates {
		served = append(served, ICO(s))
		for _, size := range pngSizes {
			b, _ := IconPNG(s, size)
			served = append(served, b)
		}
		for _, size := range templateSizes {
			b, _ := TemplatePNG(s, size)
			served = append(served, b)
		}
	}
	count := 0
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		count++
		b, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		for _, s := range served {
			if bytes.Equal(b, s) {
				return nil
			}
		}
		t.Errorf("embedded %s is not returned by any function", name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != len(served) {
		t.Errorf("%d embedded files, %d served", count, len(served))
	}
}
