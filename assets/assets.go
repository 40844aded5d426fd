// Package assets holds claude-keytray's icons, embedded in the binary: the tray icon for each
// state (PNG for Linux, template PNG for the macOS menu bar, ICO for Windows) and the application
// icon used by packaging. The images are rendered from the SVG sources in src/ by render.sh and
// committed, so building needs no image tools.
package assets

import (
	"embed"
	"fmt"
	"slices"
)

//go:embed png/*.png macos/*.png ico/*.ico src/app.svg
var files embed.FS

// State is what the tray icon shows; each of the engine's states has its own look.
type State int

const (
	// Ok: a key is stored and the API accepted it (green check badge).
	Ok State = iota
	// Unverified: a key is stored but not checked yet, or the check could not reach the API
	// (amber "?" badge).
	Unverified
	// Rejected: the API refused the key (red "no entry" badge).
	Rejected
	// NoKey: no key is stored (the key as an empty outline, no badge).
	NoKey
	// Error: the keychain or the engine failed; the key itself may be fine (violet "!"
	// badge).
	Error
)

// States lists every state, in the order above.
func States() []State { return []State{Ok, Unverified, Rejected, NoKey, Error} }

// String names the state as the icon files do: "ok", "unverified", "rejected", "nokey", "error".
func (s State) String() string {
	switch s {
	case Ok:
		return "ok"
	case Unverified:
		return "unverified"
	case Rejected:
		return "rejected"
	case NoKey:
		return "nokey"
	case Error:
		return "error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// name is the file name stem for s. A value outside the states shows the unverified icon: an
// unknown state is one the user should look at, and an empty icon would crash some trays.
func (s State) name() string {
	if slices.Contains(States(), s) {
		return s.String()
	}
	return Unverified.String()
}

// pngSizes are the pixel sizes every state icon and the app icon come in (the hicolor theme's
// usual sizes).
var pngSizes = []int{16, 22, 24, 32, 48, 64, 128, 256}

// icoSizes are the images inside each ICO file.
var icoSizes = []int{16, 24, 32, 48, 256}

// trayIconSize is the PNG TrayIcon hands to a StatusNotifierItem host (Linux and the BSDs).
// Panels scale the pixmap to their icon size (16 to 24 px on most, twice that on HiDPI); 32 px
// scales down cleanly to the former and is already sharp for a 16 px slot at scale 2.
const trayIconSize = 32

// templateSizes are the macOS template images: 18 px and its Retina twin.
var templateSizes = []int{18, 36}

// PNGSizes lists the sizes IconPNG and AppIconPNG have, smallest first.
func PNGSizes() []int { return slices.Clone(pngSizes) }

// ICOSizes lists the image sizes inside every ICO file, smallest first.
func ICOSizes() []int { return slices.Clone(icoSizes) }

// IconPNG returns the state's icon as a size×size PNG; false when size is not in PNGSizes.
func IconPNG(s State, size int) ([]byte, bool) {
	if !slices.Contains(pngSizes, size) {
		return nil, false
	}
	return mustRead(fmt.Sprintf("png/%s-%d.png", s.name(), size)), true
}

// TrayTemplateIcon returns the macOS menu bar template image for the state: black with alpha
// only, so macOS tints it for light and dark menu bars. It is the 36 px image: the tray draws
// it in a 16 pt slot, which it fills sharply on Retina screens.
func TrayTemplateIcon(s State) []byte {
	return mustRead(fmt.Sprintf("macos/%sTemplate@2x.png", s.name()))
}

// TemplatePNG returns the macOS template image for the state at 18 or 36 px; false for any
// other size.
func TemplatePNG(s State, size int) ([]byte, bool) {
	switch size {
	case 18:
		return mustRead(fmt.Sprintf("macos/%sTemplate.png", s.name())), true
	case 36:
		return mustRead(fmt.Sprintf("macos/%sTemplate@2x.png", s.name())), true
	}
	return nil, false
}

// ICO returns the state's Windows icon, holding the images in ICOSizes.
func ICO(s State) []byte {
	return mustRead(fmt.Sprintf("ico/%s.ico", s.name()))
}

// AppIconPNG returns the application icon (the key without a state badge) as a size×size PNG,
// for the .desktop entry and the hicolor icon theme; false when size is not in PNGSizes.
func AppIconPNG(size int) ([]byte, bool) {
	if !slices.Contains(pngSizes, size) {
		return nil, false
	}
	return mustRead(fmt.Sprintf("png/app-%d.png", size)), true
}

// AppIconSVG returns the application icon's SVG source (hicolor's scalable/apps size).
func AppIconSVG() []byte {
	return mustRead("src/app.svg")
}

// AppICO returns the application icon as a Windows ICO (for the executable's resources).
func AppICO() []byte {
	return mustRead("ico/app.ico")
}

// mustRead returns a copy of an embedded file. Every name passed here is fixed at compile time
// and covered by the tests, so a miss is a broken build, not a runtime condition.
func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("assets: embedded file %s is missing; run assets/render.sh and rebuild: %v", name, err))
	}
	return b
}
