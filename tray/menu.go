package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fyne.io/systray"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
)

// labelTick is how often the refresh line's "2 min ago" is redrawn while the icon is shown.
const labelTick = 30 * time.Second

// Menu is the tray's state and its systray items, behind one mutex. Every change (an engine
// event, a click, the clock) updates the state and redraws the whole menu from it with view;
// apply then sends only what differs, so an open menu does not flicker.
type Menu struct {
	opt  Options
	log  *slog.Logger
	quit func()

	mu sync.Mutex
	st auth.Status
	// seq is the newest status number shown (auth.Status.Seq): an older one is not drawn.
	seq        uint64
	greeted    bool
	refreshing bool
	updating   bool
	autostart  bool
	tray       string
	items      *menuItems
	shown      *View
}

type menuItems struct {
	header, status, refreshLine, addKey, refreshNow, updateKey, startAtLogin, openLog, doctor *systray.MenuItem
	help, about, quit                                                                         *systray.MenuItem
	profiles                                                                                  *profileItems
}

// ItemView is one menu item as drawn.
type ItemView struct {
	Label   string
	Enabled bool
	Checked bool
	// Hidden leaves the item out of the menu (Add key… while a key is stored, Update key…
	// while none is).
	Hidden bool
}

// View is everything the tray shows, computed from state alone.
type View struct {
	Header, Status, RefreshLine, AddKey, RefreshNow, UpdateKey, StartAtLogin, OpenLog, RunDoctor ItemView
	Help, About, Quit                                                                            ItemView
	// HasStartAtLogin is false when no login autostart is wired: the item is left out.
	HasStartAtLogin bool
	Tooltip         string
	Icon            assets.State
	// Profiles are the profile lines and submenus, shown when there are several.
	Profiles ProfileView
}

func newMenu(opt Options, quit func()) *Menu {
	m := &Menu{opt: opt, log: opt.Logger, quit: quit}
	m.st = opt.Engine.Status()
	m.seq = m.st.Seq
	m.readAutostart()
	return m
}

// readAutostart reads the real login autostart state into the checkmark; it changes behind the
// tray's back when install, setup or uninstall run in a terminal.
func (m *Menu) readAutostart() {
	if m.opt.Autostart == nil {
		return
	}
	on, err := m.opt.Autostart.Enabled()
	if err != nil {
		m.log.Warn("could not read the login autostart setting", "err", err)
		return
	}
	m.mu.Lock()
	m.autostart = on
	m.mu.Unlock()
}

// view draws the menu from the current state.
func (m *Menu) view(now time.Time) View {
	status := StatusLabel(m.opt.StatusLine, m.st)
	noKey := !m.st.Key.Present
	v := View{
		Header:          ItemView{Label: HeaderLabel(m.opt.Version)},
		Status:          ItemView{Label: status, Enabled: true},
		RefreshLine:     ItemView{Label: RefreshLabel(m.st.Refresh, now)},
		AddKey:          ItemView{Label: m.addKeyLabel(), Enabled: !m.updating, Hidden: !noKey},
		RefreshNow:      ItemView{Label: LabelRefreshNow, Enabled: true},
		UpdateKey:       ItemView{Label: m.opt.Prompter.Label(), Enabled: !m.updating, Hidden: noKey},
		HasStartAtLogin: m.opt.Autostart != nil,
		StartAtLogin:    ItemView{Label: LabelStartAtLogin, Enabled: true, Checked: m.autostart},
		OpenLog:         ItemView{Label: LabelOpenLog, Enabled: true},
		RunDoctor:       ItemView{Label: LabelRunDoctor, Enabled: m.opt.Doctor != nil},
		Help:            ItemView{Label: LabelHelp, Enabled: true},
		About:           ItemView{Label: LabelAbout, Enabled: true},
		Quit:            ItemView{Label: LabelQuit, Enabled: true},
		Tooltip:         status,
		Icon:            IconFor(m.st),
	}
	if m.refreshing {
		v.RefreshNow = ItemView{Label: LabelRefreshing}
	}
	v.Profiles = m.profileView()
	if m.several() {
		// Several keys: the status line names the default profile, Refresh now and Update key…
		// become submenus with one entry per profile.
		v.Status.Label = "Claude key (" + m.st.Profile + "): " + m.opt.StatusLine(m.st)
		v.RefreshNow.Hidden, v.UpdateKey.Hidden = true, true
		v.Icon, v.Tooltip = m.severalIconTooltip()
	}
	return v
}

// addKeyLabel is the first action while no key is stored: "Add key…", or the clipboard
// item's own label when there is no dialog to type into.
func (m *Menu) addKeyLabel() string {
	if l := m.opt.Prompter.Label(); l != LabelUpdateKey {
		return l
	}
	return LabelAddKey
}

// follow redraws on every engine event, and every labelTick for the refresh line's clock.
func (m *Menu) follow(ctx context.Context, events <-chan auth.Event) {
	tick := time.NewTicker(labelTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			st := m.opt.Engine.Status()
			if ev.Status != nil {
				st = *ev.Status
			}
			// What changed may be install or setup turning autostart on or off.
			m.readAutostart()
			m.setStatus(st)
		case <-tick.C:
			m.readAutostart()
			m.redraw()
		}
	}
}

// setStatus shows st, unless it is older than the status shown (an event computed before a
// click's own status can arrive after it).
func (m *Menu) setStatus(st auth.Status) {
	m.mu.Lock()
	if st.Seq != 0 {
		if st.Seq < m.seq {
			m.mu.Unlock()
			return
		}
		m.seq = st.Seq
	}
	m.st = st
	m.mu.Unlock()
	m.redraw()
}

// redraw computes the view and applies what changed, if the icon is shown.
func (m *Menu) redraw() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		return
	}
	v := m.view(time.Now())
	m.apply(v)
}

// apply sends v to systray: each property only when it differs from what is shown.
func (m *Menu) apply(v View) {
	first := m.shown == nil
	var old View
	if !first {
		old = *m.shown
	}
	// put sends what differs from was, or every property when all is set.
	put := func(item *systray.MenuItem, was, now ItemView, checkable, all bool) {
		if item == nil {
			return
		}
		if all || was.Label != now.Label {
			item.SetTitle(now.Label)
		}
		if all || was.Enabled != now.Enabled {
			if now.Enabled {
				item.Enable()
			} else {
				item.Disable()
			}
		}
		if all || was.Hidden != now.Hidden {
			if now.Hidden {
				item.Hide()
			} else {
				item.Show()
			}
		}
		if checkable && (all || was.Checked != now.Checked) {
			if now.Checked {
				item.Check()
			} else {
				item.Uncheck()
			}
		}
	}
	set := func(item *systray.MenuItem, was, now ItemView, checkable bool) { put(item, was, now, checkable, first) }
	it := m.items
	set(it.header, old.Header, v.Header, false)
	set(it.status, old.Status, v.Status, false)
	set(it.refreshLine, old.RefreshLine, v.RefreshLine, false)
	set(it.addKey, old.AddKey, v.AddKey, false)
	set(it.refreshNow, old.RefreshNow, v.RefreshNow, false)
	set(it.updateKey, old.UpdateKey, v.UpdateKey, false)
	set(it.startAtLogin, old.StartAtLogin, v.StartAtLogin, true)
	set(it.openLog, old.OpenLog, v.OpenLog, false)
	set(it.doctor, old.RunDoctor, v.RunDoctor, false)
	set(it.help, old.Help, v.Help, false)
	set(it.about, old.About, v.About, false)
	set(it.quit, old.Quit, v.Quit, false)
	if it.profiles != nil {
		m.applyProfiles(first, old.Profiles, v.Profiles, put)
	}
	if first || old.Icon != v.Icon {
		systray.SetIcon(systrayIcon(v.Icon))
	}
	if first || old.Tooltip != v.Tooltip {
		systray.SetTooltip(v.Tooltip)
	}
	m.shown = &v
}

// reassert sends the icon and tooltip again. systray copies them into its D-Bus properties once
// while it starts up, and a change made in that window is lost; once the host lists the item,
// that window has passed.
func (m *Menu) reassert() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil || m.shown == nil {
		return
	}
	systray.SetIcon(systrayIcon(m.shown.Icon))
	systray.SetTooltip(m.shown.Tooltip)
}

// build creates the items in menu order and draws the current state into them. systray calls
// it (as onReady) once the icon exists; it must return quickly, because the host's first
// GetLayout waits for it.
func (m *Menu) build(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.view(time.Now())
	it := &menuItems{}
	it.header = systray.AddMenuItem(v.Header.Label, "")
	systray.AddSeparator()
	it.status = systray.AddMenuItem(v.Status.Label, "Show the details: key, source, last check and problems")
	it.refreshLine = systray.AddMenuItem(v.RefreshLine.Label, "")
	if m.opt.Profiles != nil {
		it.profiles = &profileItems{ctx: ctx}
		m.buildProfileLines(it.profiles)
	}
	systray.AddSeparator()
	it.addKey = systray.AddMenuItem(v.AddKey.Label, "Store a key, checked with the API first")
	it.refreshNow = systray.AddMenuItem(v.RefreshNow.Label, "Read the key again and check it with the API")
	if it.profiles != nil {
		m.buildSubmenu(&it.profiles.refreshParent, LabelRefreshNow, "Refresh one profile's key")
	}
	it.updateKey = systray.AddMenuItem(v.UpdateKey.Label, "Store a new key, checked with the API first")
	if it.profiles != nil {
		m.buildSubmenu(&it.profiles.updateParent, LabelUpdateKey, "Store a new key for one profile")
	}
	if v.HasStartAtLogin {
		it.startAtLogin = systray.AddMenuItemCheckbox(v.StartAtLogin.Label, "Start "+DisplayName+" when you log in", v.StartAtLogin.Checked)
	}
	it.openLog = systray.AddMenuItem(v.OpenLog.Label, "")
	it.doctor = systray.AddMenuItem(v.RunDoctor.Label, "Check the whole setup and show what to fix")
	systray.AddSeparator()
	it.help = systray.AddMenuItem(v.Help.Label, "Open the troubleshooting guide")
	it.about = systray.AddMenuItem(v.About.Label, "")
	systray.AddSeparator()
	it.quit = systray.AddMenuItem(v.Quit.Label, "Stop refreshing the key and remove the icon")
	m.items = it
	m.shown = nil
	m.apply(v)

	if !m.greeted && !m.st.Key.Present {
		m.greeted = true
		go m.notify(DisplayName+" has no key yet", "Choose "+m.addKeyLabel()+" in its menu to add your Anthropic API key.")
	}

	onClick(ctx, it.status, m.showDetails)
	onClick(ctx, it.addKey, m.updateKey)
	onClick(ctx, it.refreshNow, m.refreshNow)
	onClick(ctx, it.updateKey, m.updateKey)
	onClick(ctx, it.doctor, m.runDoctor)
	onClick(ctx, it.help, m.openHelp)
	onClick(ctx, it.about, m.showAbout)
	if it.startAtLogin != nil {
		onClick(ctx, it.startAtLogin, m.toggleAutostart)
	}
	onClick(ctx, it.openLog, m.openLog)
	if it.profiles != nil {
		m.profileClicks(ctx, it.profiles)
	}
	onClick(ctx, it.quit, func(context.Context) {
		m.log.Info("quit chosen in the tray menu")
		m.quit()
	})
}

// onClick runs fn for each click on item until ctx ends. Clicks that arrive while fn runs are
// dropped by systray, so a slow action (a refresh, an open dialog) cannot be started twice.
func onClick(ctx context.Context, item *systray.MenuItem, fn func(context.Context)) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-item.ClickedCh:
				if !ok {
					return
				}
				fn(ctx)
			}
		}
	}()
}

func (m *Menu) refreshNow(ctx context.Context) {
	var st auth.Status
	ctx = m.personWaits(ctx)
	m.withRefreshing(func() { st = m.opt.Engine.Refresh(ctx, auth.RefreshRequest{Reason: "tray", User: true}) })
	m.setStatus(st)
}

// personWaits marks ctx as a person's action (a menu choice): the keychain may ask them to
// unlock or confirm, and the first time it does a notification says where to look.
func (m *Menu) personWaits(ctx context.Context) context.Context {
	var asked sync.Once
	return auth.Interactive(ctx, func(msg string) {
		asked.Do(func() { m.notify("Claude Keytray: confirm in your keychain", msg) })
	})
}

// withRefreshing shows "Refreshing…" while fn runs.
func (m *Menu) withRefreshing(fn func()) {
	m.mu.Lock()
	m.refreshing = true
	m.mu.Unlock()
	m.redraw()
	fn()
	m.mu.Lock()
	m.refreshing = false
	m.mu.Unlock()
}

// updateKey asks for a key, then stores it through the engine with an API check. The key lives
// only in this function's variables; what is shown or logged is its fingerprint.
func (m *Menu) updateKey(ctx context.Context) {
	m.updateKeyWith(ctx, "", m.opt.Engine.UpdateKey)
}

// updateKeyWith is Update key… for profile ("" when there is one key), storing with store.
func (m *Menu) updateKeyWith(ctx context.Context, profile string, store func(ctx context.Context, raw string, opt auth.UpdateOptions) (auth.Status, error)) {
	m.mu.Lock()
	m.updating = true
	m.mu.Unlock()
	m.redraw()
	defer func() {
		m.mu.Lock()
		m.updating = false
		m.mu.Unlock()
		m.redraw()
	}()

	p := m.opt.Prompter
	raw, err := p.PromptKey(ctx)
	switch {
	case errors.Is(err, ErrCancelled):
		m.log.Info("key update cancelled in the tray")
		return
	case err != nil:
		m.log.Warn("could not ask for a key", "prompter", p.Label(), "err", err)
		m.showError(ctx, titleNotChanged, "The key could not be read: "+err.Error())
		return
	}
	// A key copied with its variable name, its quotes or twice is taken out of what was pasted;
	// the success notification says what was left out.
	raw, notes, err := auth.CleanPaste(raw)
	if err != nil {
		m.log.Warn("key from the tray refused", "err", err)
		m.showError(ctx, titleNotChanged, refusalText(err, ""))
		return
	}
	// The person who chose Update key… waits: the keychain may ask them to confirm or unlock.
	st, err := store(m.personWaits(ctx), raw, auth.UpdateOptions{Verify: true, Origin: "tray"})
	if err != nil {
		// The fingerprint of the key as the engine reads it (trimmed and all), not of the raw
		// text, which may end in a newline.
		fp := ""
		if k, perr := auth.ParseKey(raw); perr == nil {
			fp = k.Fingerprint()
		}
		m.log.Warn("key from the tray refused", "fingerprint", fp, "err", auth.Redact(err.Error(), raw))
		m.showError(ctx, titleNotChanged, refusalText(err, fp))
		return
	}
	title := "Claude key updated"
	if profile != "" {
		title = auth.ProfileTitle(title, profile)
		m.setStatus(m.opt.Engine.Status())
	} else {
		m.setStatus(st)
	}
	body := fmt.Sprintf("Now using key %s.", st.Key.Fingerprint)
	if len(notes) > 0 {
		body = fmt.Sprintf("Now using key %s; left out %s.", st.Key.Fingerprint, auth.PasteLeftOut(notes))
	}
	switch st.Validation.Result {
	case auth.ResultValid:
		body += " The API accepts it."
	case auth.ResultUnknown:
		body += " The API could not be reached to check it; it is stored as not verified."
	}
	m.notify(title, body)
}

// showError tells the user why nothing changed: in a dialog when there is one, else as a
// notification, and always in the log.
func (m *Menu) showError(ctx context.Context, title, text string) {
	err := m.opt.Prompter.ShowError(ctx, title, text)
	if err == nil {
		return
	}
	if !errors.Is(err, ErrNoDialog) {
		m.log.Warn("could not show an error dialog", "err", err)
	}
	m.notify(title, text)
}

func (m *Menu) notify(title, body string) {
	if m.opt.Notifier == nil {
		return
	}
	if err := m.opt.Notifier.Notify(title, body); err != nil {
		m.log.Warn("notification could not be shown", "title", title, "err", err)
	}
}

func (m *Menu) toggleAutostart(ctx context.Context) {
	a := m.opt.Autostart
	m.mu.Lock()
	want := !m.autostart
	m.mu.Unlock()
	var err error
	if want {
		err = a.Enable()
	} else {
		err = a.Disable()
	}
	on, rerr := a.Enabled()
	if rerr != nil {
		on = want && err == nil
	}
	m.mu.Lock()
	m.autostart = on
	m.mu.Unlock()
	m.redraw()
	if err != nil {
		verb := "Turning off"
		if want {
			verb = "Turning on"
		}
		m.log.Warn("changing the login autostart failed", "enable", want, "err", err)
		m.notify("Start at login not changed", verb+" start at login failed: "+err.Error())
		return
	}
	m.log.Info("login autostart changed from the tray", "enabled", on)
}

func (m *Menu) openLog(ctx context.Context) {
	if err := openPath(m.opt.LogFile); err != nil {
		m.log.Warn("could not open the log", "path", m.opt.LogFile, "err", err)
		m.notify("Could not open the log", err.Error())
	}
}

// setTray records whether the icon is shown, for `status` ("registered" or "headless").
func (m *Menu) setTray(state string) {
	m.mu.Lock()
	if m.tray == state {
		m.mu.Unlock()
		return
	}
	m.tray = state
	m.mu.Unlock()
	d := m.opt.Engine.Status().Daemon
	d.Tray = state
	m.opt.Engine.SetDaemon(d)
}

// refusalText is what the refusal dialog says: what happened, then what to do. The engine's
// wording of the reason goes to the log.
func refusalText(err error, fp string) string {
	var ke *auth.KeyError
	switch {
	case errors.As(err, &ke):
		// The reason says what to do about it; the engine words it.
		return "That key was not stored: " + sentence(ke.Reason) + "\nYour old key stays in use."
	case errors.Is(err, auth.ErrKeyRejected):
		return fmt.Sprintf("The API did not accept key %s, so your old key stays in use.\n", fp) +
			"Check that you copied the whole key, or create a new one at " + KeysPage + "."
	case errors.Is(err, auth.ErrSourceIsAuthority):
		// The source gives the key: one stored here would be put back at the next refresh.
		where := ""
		if rest, ok := strings.CutPrefix(err.Error(), auth.ErrSourceIsAuthority.Error()+" ("); ok {
			if setting, _, ok := strings.Cut(rest, ")"); ok {
				where = " (" + setting + ")"
			}
		}
		return "Your key comes from a source command" + where + ", so a key typed here would not last.\n" +
			"Update it where the source reads it, or remove the source to manage the key here."
	}
	if fp == "" {
		fp = "the key"
	}
	return fmt.Sprintf("Could not store %s, so your old key stays in use.\n", fp) +
		"Choose " + LabelOpenLog + " to see why, then try again."
}

// sentence ends s with a full stop unless it ends a sentence already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".?!") {
		return s
	}
	return s + "."
}
