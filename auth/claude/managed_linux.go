package claude

func managedDir() string { return "/etc/claude-code" }
