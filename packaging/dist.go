package packaging

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth/helperexe"
)

// InstalledExe is where the .deb and .rpm put the program.
const InstalledExe = "/usr/bin/claude-keytray"

// Where the Linux packages put shell completions and man pages; the command writes those, the
// rest comes from WriteDistTree.
const (
	BashCompletionDir = "usr/share/bash-completion/completions"
	ZshCompletionDir  = "usr/share/zsh/vendor-completions"
	FishCompletionDir = "usr/share/fish/vendor_completions.d"
	ManDir            = "usr/share/man/man1"
)

// DistOptions describe the build the files are for.
type DistOptions struct {
	// Version is the build's version ("v1.2.3", "0.0.0~git20250101.abc1234").
	Version string
}

// WriteDistTree writes the files the packages carry besides the program, under root:
//
//	linux/usr/share/applications/claude-keytray.desktop   menu entry
//	linux/usr/share/icons/hicolor/NxN/apps/claude-keytray.png and scalable/apps/claude-keytray.svg
//	linux/usr/lib/systemd/user/claude-keytray.service and claude-keytray-daemon.service
//	macos/Claude Keytray.app/Contents/Info.plist and Resources/claude-keytray.icns
//	windows/winres.json and windows/app.ico                go-winres input (icon, manifest, version)
//
// The linux folder mirrors the installed paths, so the nfpm config is a listing of it.
func WriteDistTree(root string, o DistOptions) error {
	files := map[string][]byte{
		"linux/usr/share/applications/" + AppID + ".desktop":            ApplicationEntry(path.Base(InstalledExe)),
		"linux/usr/share/icons/hicolor/scalable/apps/" + AppID + ".svg": assets.AppIconSVG(),
		"linux/usr/lib/systemd/user/" + UnitName(ModeTray):              SystemdUnit(ModeTray, InstalledExe, Vendor),
		"linux/usr/lib/systemd/user/" + UnitName(ModeDaemon):            SystemdUnit(ModeDaemon, InstalledExe, Vendor),
		"macos/" + AppBundleName + "/Contents/Info.plist":               InfoPlist(o.Version),
		"windows/app.ico": assets.AppICO(),
	}
	for _, s := range assets.PNGSizes() {
		png, _ := assets.AppIconPNG(s)
		files[fmt.Sprintf("linux/usr/share/icons/hicolor/%dx%d/apps/%s.png", s, s, AppID)] = png
	}
	icns, err := AppICNS()
	if err != nil {
		return err
	}
	files["macos/"+AppBundleName+"/Contents/Resources/"+AppID+".icns"] = icns
	files["windows/winres.json"] = WinresJSON(o.Version)

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(p), err)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	// The program goes here on a Mac (scripts/dist.sh macos).
	return os.MkdirAll(filepath.Join(root, "macos", AppBundleName, "Contents", "MacOS"), 0o755)
}

// winVersion is a version as Windows' four numbers.
func winVersion(v string) string {
	parts := strings.Split(bundleVersion(v), ".")
	for len(parts) < 4 {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".")
}

// WinresJSON is go-winres's input: the app icon, a manifest (no elevation, per-monitor DPI,
// common controls v6 for the key-entry dialog) and the version resource.
func WinresJSON(version string) []byte {
	wv := winVersion(version)
	doc := map[string]any{
		"RT_GROUP_ICON": map[string]any{"APP": map[string]any{"0000": "app.ico"}},
		"RT_MANIFEST": map[string]any{"#1": map[string]any{"0409": map[string]any{
			"identity":               map[string]any{"name": AppID, "version": wv},
			"description":            desktopComment,
			"minimum-os":             "win10",
			"execution-level":        "as invoker",
			"dpi-awareness":          "per monitor v2",
			"use-common-controls-v6": true,
			"long-path-aware":        true,
		}}},
		"RT_VERSION": map[string]any{"#1": map[string]any{"0000": map[string]any{
			"fixed": map[string]any{"file_version": wv, "product_version": wv},
			"info": map[string]any{"0409": map[string]any{
				"FileDescription":  desktopName,
				"FileVersion":      version,
				"InternalName":     AppID,
				"OriginalFilename": AppID + ".exe",
				"ProductName":      desktopName,
				"ProductVersion":   version,
				"Comments":         desktopComment,
			}},
		}}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}

// NFPMOptions describe one .deb/.rpm build.
type NFPMOptions struct {
	Version    string
	Arch       string // Go's GOARCH: amd64, arm64
	Binary     string // the linux program to package
	Maintainer string
}

// NFPMConfig renders nfpm's config for the tree WriteDistTree (and the command's man pages and
// completions) left under root/linux. Every file is listed on its own, so the package owns its
// files but not shared folders such as /usr/share/icons/hicolor.
func NFPMConfig(root string, o NFPMOptions) ([]byte, error) {
	if o.Maintainer == "" {
		o.Maintainer = "claude-keytray developers <claude-keytray@users.noreply.github.com>"
	}
	q := strconv.Quote
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# Generated by `claude-keytray gen-dist-files`; scripts/dist.sh runs nfpm on it.")
	w("name: %s", q(AppID))
	w("arch: %s", q(o.Arch))
	w("platform: linux")
	w("version: %s", q(o.Version))
	w("version_schema: none")
	w("release: \"1\"")
	w("section: utils")
	w("priority: optional")
	w("maintainer: %s", q(o.Maintainer))
	w("vendor: %s", q(AppID))
	w("homepage: %s", q("https://github.com/claude-keytray/claude-keytray"))
	w("description: %s", q("Keeps your Claude API key in the OS keychain and serves it to Claude Code\n"+
		"through its apiKeyHelper setting, refreshing it from the keychain or a secret manager\n"+
		"and retrying after a 401. A tray icon shows the key's state; a headless daemon does\n"+
		"the same on machines without a desktop."))
	w("overrides:")
	w("  deb:")
	w("    recommends: [\"gnome-keyring | kwalletmanager | keepassxc\"]")
	w("  rpm:")
	w("    recommends: [\"gnome-keyring\"]")
	w("contents:")
	// The helper's fast path, built next to the program; the helper script runs it from there.
	for _, f := range [][2]string{{o.Binary, InstalledExe}, {helperexe.Lean(o.Binary), helperexe.Lean(InstalledExe)}} {
		w("  - src: %s", q(f[0]))
		w("    dst: %s", q(f[1]))
		w("    file_info: {mode: 0755}")
	}

	linux := filepath.Join(root, "linux")
	var rels []string
	err := filepath.WalkDir(linux, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(linux, p)
			rels = append(rels, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", linux, err)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		src := filepath.Join(linux, filepath.FromSlash(rel))
		if strings.HasPrefix(rel, ZshCompletionDir+"/") {
			// Debian's zsh reads vendor-completions, Fedora's site-functions.
			w("  - src: %s", q(src))
			w("    dst: %s", q("/"+rel))
			w("    packager: deb")
			w("    file_info: {mode: 0644}")
			w("  - src: %s", q(src))
			w("    dst: %s", q("/usr/share/zsh/site-functions/"+path.Base(rel)))
			w("    packager: rpm")
			w("    file_info: {mode: 0644}")
			continue
		}
		w("  - src: %s", q(src))
		w("    dst: %s", q("/"+rel))
		w("    file_info: {mode: 0644}")
	}
	return []byte(b.String()), nil
}
