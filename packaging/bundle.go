package packaging

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"

	"github.com/claude-keytray/claude-keytray/assets"
)

// AppBundleName is the macOS bundle's folder name.
const AppBundleName = "Claude Keytray.app"

// bundleVersion turns a build version ("v1.2.3-4-gabc", "dev") into the dotted numbers
// CFBundleVersion wants.
func bundleVersion(v string) string {
	m := regexp.MustCompile(`^v?(\d+(?:\.\d+){0,2})`).FindStringSubmatch(v)
	if m == nil {
		return "0.0.0"
	}
	return m[1]
}

// InfoPlist renders the bundle's Contents/Info.plist. LSUIElement keeps the app out of the Dock
// and the app switcher: it lives in the menu bar only.
func InfoPlist(version string) []byte {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	v := bundleVersion(version)
	entries := [][2]string{
		{"CFBundleDevelopmentRegion", "<string>en</string>"},
		{"CFBundleDisplayName", "<string>" + desktopName + "</string>"},
		{"CFBundleExecutable", "<string>" + AppID + "</string>"},
		{"CFBundleGetInfoString", "<string>" + esc(desktopComment) + "</string>"},
		{"CFBundleIconFile", "<string>" + AppID + "</string>"},
		{"CFBundleIdentifier", "<string>" + BundleID + "</string>"},
		{"CFBundleInfoDictionaryVersion", "<string>6.0</string>"},
		{"CFBundleName", "<string>" + desktopName + "</string>"},
		{"CFBundlePackageType", "<string>APPL</string>"},
		{"CFBundleShortVersionString", "<string>" + esc(v) + "</string>"},
		{"CFBundleVersion", "<string>" + esc(v) + "</string>"},
		{"LSApplicationCategoryType", "<string>public.app-category.developer-tools</string>"},
		{"LSMinimumSystemVersion", "<string>11.0</string>"},
		{"LSUIElement", "<true/>"},
		{"NSHighResolutionCapable", "<true/>"},
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	for _, e := range entries {
		b.WriteString("\t<key>" + e[0] + "</key>\n\t" + e[1] + "\n")
	}
	b.WriteString("</dict>\n</plist>\n")
	return []byte(b.String())
}

// icnsTypes are the ICNS entry types that hold PNG data, by pixel size; the @2x types reuse
// the next size up.
var icnsTypes = []struct {
	size int
	kind string
}{
	{16, "icp4"}, {32, "icp5"}, {64, "icp6"}, {128, "ic07"}, {256, "ic08"},
	{32, "ic11"}, {64, "ic12"}, {256, "ic13"},
}

// AppICNS builds the bundle icon (Contents/Resources/claude-keytray.icns) from the app icon's
// PNGs. ICNS is a list of typed chunks; macOS reads PNG data in all the types used here, so no
// macOS tool is needed to make it.
func AppICNS() ([]byte, error) {
	var body bytes.Buffer
	for _, t := range icnsTypes {
		png, ok := assets.AppIconPNG(t.size)
		if !ok {
			return nil, fmt.Errorf("the app icon has no %d px PNG", t.size)
		}
		body.WriteString(t.kind)
		_ = binary.Write(&body, binary.BigEndian, uint32(8+len(png)))
		body.Write(png)
	}
	var out bytes.Buffer
	out.WriteString("icns")
	_ = binary.Write(&out, binary.BigEndian, uint32(8+body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
