package claude

// ManagedSettingsPath is the settings file an administrator sets; it wins over the user's.
func ManagedSettingsPath() string {
	return "/Library/Application Support/ClaudeCode/managed-settings.json"
}
