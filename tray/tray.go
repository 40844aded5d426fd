package tray

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/claude-keytray/claude-keytray/auth"
)

// Engine is what the tray needs from *auth.Engine.
type Engine interface {
	Status() auth.Status
	Subscribe() (<-chan auth.Event, func())
	Refresh(ctx context.Context, req auth.RefreshRequest) auth.Status
	UpdateKey(ctx context.Context, raw string, opt auth.UpdateOptions) (auth.Status, error)
	SetDaemon(d auth.DaemonStatus)
}

// Autostart switches starting at login on and off; main wires the packaging package's.
type Autostart interface {
	Enabled() (bool, error)
	Enable() error
	Disable() error
}

// Options wire the tray to an engine.
type Options struct {
	Engine Engine
	Logger *slog.Logger
	// LogFile is what "Open log" opens.
	LogFile string
	// StatusLine is the one-line summary `status` prints ("OK · …a1b2"), shared so both agree.
	StatusLine func(auth.Status) string
	// Autostart backs the "Start at login" item; nil leaves the item out.
	Autostart Autostart
	// Notifier tells the user how a key update went when no dialog can; may be nil.
	Notifier auth.Notifier
	// Prompter asks for a key; nil picks the platform's dialog (NewPrompter).
	Prompter KeyPrompter
	// Version is shown in the menu's header and in About.
	Version string
	// Profiles lets the menu list, choose, refresh and update profiles; nil: one key.
	Profiles Profiles
	// Doctor runs the doctor's checks and returns its report for the "Run doctor" window; nil
	// disables the item.
	Doctor func(ctx context.Context) (string, error)
	// AutostartFiles are files whose change may change Autostart.Enabled (the autostart entry,
	// install's record): the checkmark is read again when they change.
	AutostartFiles []string
}

// Tray values of auth.DaemonStatus.
const (
	TrayRegistered = "registered"
	TrayHeadless   = "headless"
)

// Run shows the tray icon and its menu until ctx ends or the user picks Quit, then removes the
// icon and returns; stopping the engine is the caller's job. Where no tray host exists yet
// (no session bus, no StatusNotifierWatcher) it runs headless, says so in the log and in the
// status, and shows the icon as soon as a host appears.
//
// Call it from the main goroutine: macOS and Windows need their UI loop on the main thread.
func Run(ctx context.Context, opt Options) error {
	if opt.Engine == nil {
		return errors.New("tray: no engine")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.StatusLine == nil {
		return errors.New("tray: no StatusLine")
	}
	if opt.Prompter == nil {
		opt.Prompter = NewPrompter()
	}
	ctx, quit := context.WithCancel(ctx)
	defer quit()
	routeLibraryLog(opt.Logger)

	m := newMenu(opt, quit)
	events, unsubscribe := opt.Engine.Subscribe()
	defer unsubscribe()
	go m.follow(ctx, events)
	go m.watchAutostart(ctx)
	if n, ok := opt.Notifier.(*Notifier); ok {
		n.OnAction(func(action string) { m.onAction(ctx, action) })
		defer n.OnAction(nil)
	}
	return runHost(ctx, m)
}
