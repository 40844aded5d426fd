package claude

import (
	"fmt"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

// HelperFileName is the apiKeyHelper script's name in the Claude folder.
const HelperFileName = "auth_helper.cmd"

// cmdHelperBytes is the helper as cmd reads it: cmd decodes a batch file in the console's (OEM)
// code page, not UTF-8, so a program path such as C:\Users\José\… is written in that code page.
// A path the code page cannot spell is written as its short (8.3) name, which is ASCII where the
// volume keeps short names.
func cmdHelperBytes(exe string) ([]byte, error) {
	if b, ok := toOEM(string(helperScriptCmd(exe))); ok {
		return b, nil
	}
	if short, err := shortPath(exe); err == nil {
		if b, ok := toOEM(string(helperScriptCmd(short))); ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("the program path %s cannot be written in this system's console code page (%d) and has no short name; move claude-keytray to a folder whose name that code page can spell", exe, oemCodePage())
}

var (
	kernel32                = windows.NewLazySystemDLL("kernel32.dll")
	procWideCharToMultiByte = kernel32.NewProc("WideCharToMultiByte")
	procGetOEMCP            = kernel32.NewProc("GetOEMCP")
)

func oemCodePage() uint32 {
	cp, _, _ := procGetOEMCP.Call()
	return uint32(cp)
}

// toOEM encodes s in the OEM code page; ok is false when a character has no exact encoding.
func toOEM(s string) ([]byte, bool) {
	if s == "" {
		return nil, true
	}
	const cpOEM = 1         // CP_OEMCP
	const noBestFit = 0x400 // WC_NO_BEST_FIT_CHARS: no "é" written as "e"
	u := utf16.Encode([]rune(s))
	n, _, _ := procWideCharToMultiByte.Call(cpOEM, noBestFit, uintptr(unsafe.Pointer(&u[0])), uintptr(len(u)), 0, 0, 0, 0)
	if n == 0 {
		return nil, false
	}
	out := make([]byte, n)
	var usedDefault int32
	n, _, _ = procWideCharToMultiByte.Call(cpOEM, noBestFit, uintptr(unsafe.Pointer(&u[0])), uintptr(len(u)), uintptr(unsafe.Pointer(&out[0])), n, 0, uintptr(unsafe.Pointer(&usedDefault)))
	if n == 0 || usedDefault != 0 {
		return nil, false
	}
	return out[:n], true
}

func shortPath(path string) (string, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return "", err
	}
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n, err := windows.GetShortPathName(p, &buf[0], uint32(len(buf)))
	if err != nil {
		return "", err
	}
	return windows.UTF16ToString(buf[:n]), nil
}
