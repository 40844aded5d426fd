package tray

import (
	"context"
	"testing"
	"unicode/utf16"
	"unsafe"
)

// setClipboard puts text on the clipboard the way any Windows program does.
func setClipboard(t *testing.T, text string) {
	t.Helper()
	emptyClipboard := user32.NewProc("EmptyClipboard")
	setClipboardData := user32.NewProc("SetClipboardData")
	globalAlloc := kernel32.NewProc("GlobalAlloc")
	u := utf16.Encode([]rune(text + "\x00"))
	const gmemMoveable = 0x0002
	h, _, err := globalAlloc.Call(gmemMoveable, uintptr(2*len(u)))
	if h == 0 {
		t.Fatalf("GlobalAlloc: %v", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		t.Fatalf("GlobalLock: %v", err)
	}
	copy(unsafe.Slice(*(**uint16)(unsafe.Pointer(&p)), len(u)), u)
	procGlobalUnlock.Call(h)
	if r, _, err := procOpenClipboard.Call(0); r == 0 {
		t.Fatalf("OpenClipboard: %v", err)
	}
	defer procCloseClipboard.Call()
	emptyClipboard.Call()
	if r, _, err := setClipboardData.Call(cfUnicodeText, h); r == 0 {
		t.Fatalf("SetClipboardData: %v", err)
	}
}

// TestReadClipboardWin32 runs on Windows (and under wine, from internal/wintest): the key
// pasted from the clipboard is exactly the text another program copied.
func TestReadClipboardWin32(t *testing.T) {
	want := "sk-ant-api03-clipboard-Ünïcode-test-AA"
	setClipboard(t, want)
	got, err := readClipboard(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("readClipboard = %q, want %q", got, want)
	}
}
