package packaging

// InstalledMode reports the mode a previous Enable registered, so that running install again
// (say over SSH, where DefaultMode would say daemon) keeps what the user set up.
func InstalledMode(o Options) (Mode, bool) {
	o, err := o.resolve()
	if err != nil {
		return "", false
	}
	return installedMode(o)
}
