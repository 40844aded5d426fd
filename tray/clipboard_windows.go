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
	kernel32             = windows.NewLazySystemDLL("kernel32.dll")
	procGlobalLock       = kernel32.NewProc("GlobalLock")
	procGlobalUnlock     = kernel32.NewProc("GlobalUnlock")
)

// clipboardTimeout bounds the wait for a clipboard another program holds open.
const clipboardTimeout = 5 * time.Second

const cfUnicodeText = 13

// readClipboard returns the clipboard's text.
func readClipboard(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, clipboardTimeout)
	defer cancel()
	// Another program may hold the clipboard open for a moment; try again until the timeout.
	for {
		if r, _, _ := procOpenClipboard.Call(0); r != 0 {
			break
		}
		select {
		case <-ctx.Done():
			return "", errors.New("the clipboard stayed busy (another program holds it open); copy the key again and retry")
		case <-time.After(20 * time.Millisecond):
		}
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
