// Package wintest runs the Windows build of claude-keytray under wine, as a new Windows user
// would: the console and GUI programs, Credential Manager, install and its Run key, the helper
// through cmd, the tray started as Explorer starts it, doctor and uninstall. It holds tests only.
package wintest
