package tray

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The clipboard is read with the Win32 clipboard API: the fallback that reads it is offered
// exactly when PowerShell is missing, so it cannot lean on PowerShell.

var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	procOpenClipboard    = user32.NewProc("OpenClipboard")
	procCloseClipboard   = user32.NewProc("CloseClipboard")
	procGetClipboardData = user32.NewProc("GetClipboardData")
	procSetClipboardData = user32.NewProc("SetClipboardData")
	procEmptyClipboard   = user32.NewProc("EmptyClipboard")
	kernel32             = windows.NewLazySystemDLL("kernel32.dll")
	procGlobalAlloc      = kernel32.NewProc("GlobalAlloc")
	procGlobalFree       = kernel32.NewProc("GlobalFree")
	procGlobalLock       = kernel32.NewProc("GlobalLock")
	procGlobalUnlock     = kernel32.NewProc("GlobalUnlock")
)

const gmemMoveable = 0x0002

// clipboardTimeout bounds the wait for a clipboard another program holds open.
const clipboardTimeout = 5 * time.Second

const cfUnicodeText = 13

// openClipboard opens the clipboard, trying again while another program holds it open for a
// moment, until ctx ends.
func openClipboard(ctx context.Context) error {
	for {
		if r, _, _ := procOpenClipboard.Call(0); r != 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("the clipboard stayed busy (another program holds it open); try again")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readClipboard returns the clipboard's text.
func readClipboard(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, clipboardTimeout)
	defer cancel()
	if err := openClipboard(ctx); err != nil {
		return "", err
	}
	defer procCloseClipboard.Call()
	h, _, err := procGetClipboardData.Call(cfUnicodeText)
	if h == 0 {
		return "", fmt.Errorf("the clipboard holds no text (%v); copy the key and try again", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		return "", fmt.Errorf("reading the clipboard: %v", err)
	}
	defer procGlobalUnlock.Call(h)
	return windows.UTF16PtrToString(*(**uint16)(unsafe.Pointer(&p))), nil
}

// writeClipboard puts text on the clipboard as Unicode text; the clipboard owns the memory
// once SetClipboardData took it.
func writeClipboard(ctx context.Context, text string) error {
	ctx, cancel := context.WithTimeout(ctx, clipboardTimeout)
	defer cancel()
	u, err := windows.UTF16FromString(text)
	if err != nil {
		return fmt.Errorf("the text cannot go on the clipboard: %w", err)
	}
	if err := openClipboard(ctx); err != nil {
		return err
	}
	defer procCloseClipboard.Call()
	procEmptyClipboard.Call()
	size := uintptr(len(u) * 2)
	h, _, err := procGlobalAlloc.Call(gmemMoveable, size)
	if h == 0 {
		return fmt.Errorf("setting the clipboard: %v", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("setting the clipboard: %v", err)
	}
	// p is memory GlobalLock handed out, outside Go's heap; the same conversion as in readClipboard.
	copy(unsafe.Slice(*(**uint16)(unsafe.Pointer(&p)), len(u)), u)
	procGlobalUnlock.Call(h)
	if r, _, err := procSetClipboardData.Call(cfUnicodeText, h); r == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("setting the clipboard: %v", err)
	}
	return nil
}
