package auth

// ProfileList is `profile list --json` and GET /api/auth/profiles: every profile, default first.
type ProfileList struct {
	// DefaultProfile is the profile a folder without a binding gets.
	DefaultProfile string           `json:"default_profile"`
	Profiles       []ProfileSummary `json:"profiles"`
}

// ProfileSummary is one profile's line: never more of its key than the fingerprint.
type ProfileSummary struct {
	Name        string `json:"name"`
	Default     bool   `json:"default"`
	State       State  `json:"state"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Source is where refreshes read its key: "keychain", "file" or "command".
	Source string `json:"source"`
	// Store says which keychain item (or file) holds its key.
	Store    string   `json:"store"`
	BaseURL  string   `json:"base_url"`
	Bindings []string `json:"bindings"`
}

// Summary is one profile's line from its status.
func Summary(st Status) ProfileSummary {
	name := st.Profile
	if name == "" {
		name = DefaultProfile
	}
	src := st.Store.Kind
	if st.Key.Source == "command" {
		src = "command"
	}
	s := ProfileSummary{Name: name, Default: st.Default || st.Profile == "", State: st.State, Fingerprint: st.Key.Fingerprint, Source: src, Store: st.Store.Where, BaseURL: st.BaseURL, Bindings: st.Bindings}
	if s.BaseURL == "" {
		s.BaseURL = baseURLOf(nil)
	}
	if s.Bindings == nil {
		s.Bindings = []string{}
	}
	return s
}

// ListOf is the list of an engine without profiles: default alone.
func ListOf(st Status, _ Config) ProfileList {
	return ProfileList{DefaultProfile: DefaultProfile, Profiles: []ProfileSummary{Summary(st)}}
}

// List is every profile's line, default first.
func (f *Fleet) List() ProfileList {
	st := f.Status()
	l := ProfileList{DefaultProfile: st.Profile}
	for _, p := range st.Profiles {
		s := Summary(p)
		if f.hasSource(p.Profile) {
			s.Source = "command"
		}
		l.Profiles = append(l.Profiles, s)
	}
	return l
}

func (f *Fleet) hasSource(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[name]
	return m != nil && m.eng.currentSource() != nil
}
