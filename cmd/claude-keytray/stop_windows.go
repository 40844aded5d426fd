package main

import (
	"context"
	"log/slog"

	"github.com/claude-keytray/claude-keytray/packaging"
	"golang.org/x/sys/windows"
)

// watchStopRequest ends ctx when another process (uninstall, the tray's "Start at login" off)
// sets this process's stop event. Windows has no SIGTERM for a program without a console, and
// TerminateProcess would skip the clean stop (socket, lock file, log line).
func watchStopRequest(ctx context.Context, log *slog.Logger) (context.Context, func()) {
	name, err := windows.UTF16PtrFromString(packaging.StopEventName(windows.GetCurrentProcessId()))
	if err != nil {
		return ctx, func() {}
	}
	ev, err := windows.CreateEvent(nil, 1, 0, name)
	if err != nil {
		log.Warn("no stop event: uninstall will end this process without a clean stop", "err", err)
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if s, _ := windows.WaitForSingleObject(ev, windows.INFINITE); s == windows.WAIT_OBJECT_0 {
			log.Info("stop requested")
		}
		cancel()
	}()
	return ctx, func() {
		cancel()
		_ = windows.SetEvent(ev) // releases the waiting goroutine
		<-done
		windows.CloseHandle(ev)
	}
}
