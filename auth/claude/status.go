package claude

// HelperStatus is the apiKeyHelper script's health.
type HelperStatus struct {
	Path    string `json:"path"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem"`
}

// SettingsStatus says whether Claude Code's settings point at the helper and what shadows it.
type SettingsStatus struct {
	Path      string   `json:"path"`
	Wired     bool     `json:"wired"`
	Conflicts []string `json:"conflicts"`
}
