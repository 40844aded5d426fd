package tray

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/systray"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
)

// Profiles is what the tray needs to show and switch profiles (*auth.Fleet). Nil, or a status
// with a single profile, shows the menu of one key, exactly as before profiles.
type Profiles interface {
	// UseProfile makes name the profile of every folder without a binding.
	UseProfile(name string) error
	RefreshProfile(ctx context.Context, name string, req auth.RefreshRequest) (auth.Status, error)
	UpdateProfileKey(ctx context.Context, name, raw string, opt auth.UpdateOptions) (auth.Status, error)
}

// maxProfileItems is how many profiles the menu lists on its own lines; the items exist from the
// start (hidden while unused) because systray can only append items, and the profiles sit
// mid-menu. Any further profiles are listed in the More profiles submenu right after them, and
// the Refresh now and Update key… submenus have an entry for every profile: a submenu can grow
// at its end, so those items are made when a profile first needs one.
const maxProfileItems = 12

// profileItems are the menu's items for profiles: one radio-style line each (ticked: the
// default), and a submenu entry each under Refresh now and Update key….
type profileItems struct {
	lines                       [maxProfileItems]*systray.MenuItem
	more                        *systray.MenuItem
	moreLines, refresh, update  []*systray.MenuItem
	refreshParent, updateParent *systray.MenuItem
	// ctx ends the click handlers of items made after build.
	ctx context.Context
}

// ProfileView is the part of the View about profiles; empty with one profile. Lines are the
// profiles on the menu's own lines, MoreLines those in the More profiles submenu.
type ProfileView struct {
	Lines, MoreLines, Refresh, Update []ItemView
	More, RefreshParent, UpdateParent ItemView
}

// several reports whether the tray shows profiles: more than one exists and it can switch them.
func (m *Menu) several() bool {
	return m.opt.Profiles != nil && len(m.st.Profiles) > 1
}

// profileView draws the profile lines and submenus from the status.
func (m *Menu) profileView() ProfileView {
	var pv ProfileView
	pv.More = ItemView{Hidden: true}
	if !m.several() {
		pv.RefreshParent.Hidden, pv.UpdateParent.Hidden = true, true
		return pv
	}
	pv.RefreshParent = ItemView{Label: LabelRefreshNow, Enabled: !m.refreshing}
	if m.refreshing {
		pv.RefreshParent.Label = LabelRefreshing
	}
	pv.UpdateParent = ItemView{Label: LabelUpdateKey, Enabled: !m.updating}
	defaultInMore := false
	for i, p := range m.st.Profiles {
		line := ItemView{Label: ProfileLineLabel(m.opt.StatusLine, p), Enabled: true, Checked: p.Default}
		if i < maxProfileItems {
			pv.Lines = append(pv.Lines, line)
		} else {
			pv.MoreLines = append(pv.MoreLines, line)
			defaultInMore = defaultInMore || p.Default
		}
		pv.Refresh = append(pv.Refresh, ItemView{Label: p.Profile, Enabled: !m.refreshing})
		pv.Update = append(pv.Update, ItemView{Label: p.Profile, Enabled: !m.updating})
	}
	if n := len(pv.MoreLines); n > 0 {
		pv.More = ItemView{Label: LabelMoreProfiles + " (" + strconv.Itoa(n) + ")", Enabled: true}
		if defaultInMore {
			// The default is among them: say so on the submenu's own line.
			pv.More.Label += " · default: " + m.st.Profile
		}
	}
	return pv
}

// ProfileLineLabel is a profile's menu line: "work — OK · …a1b2 · ~/src/work".
func ProfileLineLabel(line func(auth.Status) string, st auth.Status) string {
	s := st.Profile + " — " + line(st)
	if len(st.Bindings) > 0 {
		dirs := make([]string, len(st.Bindings))
		for i, d := range st.Bindings {
			dirs[i] = homeShort(d)
		}
		s += " · " + strings.Join(dirs, ", ")
	}
	return s
}

func homeShort(dir string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return dir
	}
	if dir == home {
		return "~"
	}
	if rel, err := filepath.Rel(home, dir); err == nil && !strings.HasPrefix(rel, "..") {
		return "~" + string(filepath.Separator) + rel
	}
	return dir
}

// stateRank orders states from fine to worst, for the icon of several profiles.
func stateRank(s auth.State) int {
	switch s {
	case auth.StateOK:
		return 0
	case auth.StateUnverified:
		return 1
	case auth.StateNoKey:
		return 2
	case auth.StateInvalid:
		return 3
	}
	return 4
}

// inUse lists the profiles something gets: the default and every bound one.
func inUse(st auth.Status) []auth.Status {
	var out []auth.Status
	for _, p := range st.Profiles {
		if p.Default || len(p.Bindings) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// severalIconTooltip is the icon (the worst state of the profiles in use) and the tooltip
// (one line per profile) of several profiles.
func (m *Menu) severalIconTooltip() (assets.State, string) {
	worst := m.st.State
	for _, p := range inUse(m.st) {
		if stateRank(p.State) > stateRank(worst) {
			worst = p.State
		}
	}
	var lines []string
	for _, p := range m.st.Profiles {
		lines = append(lines, p.Profile+": "+m.opt.StatusLine(p))
	}
	return IconState(worst), "Claude keys\n" + strings.Join(lines, "\n")
}

// buildProfileLines adds the profile lines and the More profiles submenu; called by build at
// their place in the menu.
func (m *Menu) buildProfileLines(it *profileItems) {
	for i := range it.lines {
		it.lines[i] = systray.AddMenuItemCheckbox("", profileLineTip, false)
		it.lines[i].Hide()
	}
	it.more = systray.AddMenuItem(LabelMoreProfiles, "The other profiles; choose one to make it the default")
	it.more.Hide()
}

const profileLineTip = "Make this the default profile: what Claude Code gets in a folder without a binding"

func (m *Menu) buildSubmenu(parent **systray.MenuItem, label, tip string) {
	*parent = systray.AddMenuItem(label, tip)
	(*parent).Hide()
}

// grow makes items until there is one for each of n, as entries of parent's submenu; each new
// one runs click(its index) when chosen.
func (it *profileItems) grow(items *[]*systray.MenuItem, n int, parent *systray.MenuItem, checkable bool, tip string, click func(ctx context.Context, i int)) {
	for len(*items) < n {
		var item *systray.MenuItem
		if checkable {
			item = parent.AddSubMenuItemCheckbox("", tip, false)
		} else {
			item = parent.AddSubMenuItem("", tip)
		}
		item.Hide()
		i := len(*items)
		*items = append(*items, item)
		onClick(it.ctx, item, func(ctx context.Context) { click(ctx, i) })
	}
}

// applyProfiles sends the profile items what changed, making the submenu entries a new profile
// needs first.
func (m *Menu) applyProfiles(first bool, old, now ProfileView, put func(item *systray.MenuItem, was, now ItemView, checkable, all bool)) {
	it := m.items.profiles
	it.grow(&it.moreLines, len(now.MoreLines), it.more, true, profileLineTip, func(_ context.Context, i int) { m.useProfile(maxProfileItems + i) })
	it.grow(&it.refresh, len(now.Refresh), it.refreshParent, false, "Read the profile's key again and check it with the API", m.refreshProfile)
	it.grow(&it.update, len(now.Update), it.updateParent, false, "Store a new key for the profile, checked with the API first", m.updateProfileKey)
	put(it.refreshParent, old.RefreshParent, now.RefreshParent, false, first)
	put(it.updateParent, old.UpdateParent, now.UpdateParent, false, first)
	put(it.more, old.More, now.More, false, first)
	slot := func(items []*systray.MenuItem, was, is []ItemView, checkable bool) {
		for i, item := range items {
			w, n := ItemView{Hidden: true}, ItemView{Hidden: true}
			if i < len(was) {
				w = was[i]
			}
			if i < len(is) {
				n = is[i]
			}
			if first && n.Hidden {
				continue
			}
			// An entry not shown before (made just now, or left hidden with an old title) gets
			// every property.
			put(item, w, n, checkable, first || i >= len(was) && i < len(is))
		}
	}
	slot(it.lines[:], old.Lines, now.Lines, true)
	slot(it.moreLines, old.MoreLines, now.MoreLines, true)
	slot(it.refresh, old.Refresh, now.Refresh, false)
	slot(it.update, old.Update, now.Update, false)
}

// profileClicks wires the profile lines; the submenu entries are wired as they are made.
func (m *Menu) profileClicks(ctx context.Context, it *profileItems) {
	for i := range it.lines {
		onClick(ctx, it.lines[i], func(ctx context.Context) { m.useProfile(i) })
	}
}

// profileAt is the name of the i-th profile shown.
func (m *Menu) profileAt(i int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i >= len(m.st.Profiles) {
		return ""
	}
	return m.st.Profiles[i].Profile
}

func (m *Menu) useProfile(i int) {
	name := m.profileAt(i)
	if name == "" {
		return
	}
	m.log.Info("profile chosen in the tray menu", "profile", name)
	if err := m.opt.Profiles.UseProfile(name); err != nil {
		m.log.Warn("could not make the profile the default", "profile", name, "err", err)
		m.notify("Profile not changed", err.Error())
	}
	// The engine's status event redraws the menu; a click on the ticked line untick it
	// locally, so draw the truth again now.
	m.setStatus(m.opt.Engine.Status())
}

func (m *Menu) refreshProfile(ctx context.Context, i int) {
	name := m.profileAt(i)
	if name == "" {
		return
	}
	ctx = m.personWaits(ctx)
	m.withRefreshing(func() {
		if _, err := m.opt.Profiles.RefreshProfile(ctx, name, auth.RefreshRequest{Reason: "tray", User: true}); err != nil {
			m.log.Warn("refresh from the tray failed", "profile", name, "err", err)
		}
	})
	m.setStatus(m.opt.Engine.Status())
}

func (m *Menu) updateProfileKey(ctx context.Context, i int) {
	name := m.profileAt(i)
	if name == "" {
		return
	}
	m.updateKeyWith(ctx, name, func(ctx context.Context, raw string, opt auth.UpdateOptions) (auth.Status, error) {
		return m.opt.Profiles.UpdateProfileKey(ctx, name, raw, opt)
	})
}
