// Package control is the control API of claude-keytray: HTTP with JSON over a unix socket, so
// that one process (the tray or the daemon) owns the engine and every other invocation (`key`,
// `status`, `refresh`, `update-key`, `run`) asks it instead of reaching the keychain itself.
//
// The socket's folder is private to the user (mode 0700, owner checked), the socket is 0600,
// and on Linux and macOS every connection's peer credentials are checked as well, so loosened
// permissions alone never let another user read the key. On Windows (10 and later have AF_UNIX
// sockets) file modes and peer credentials do not exist in that form: the socket lives under
// the user's own profile folder and relies on its access list.
//
// A file lock on daemon.lock next to the socket makes sure only one engine runs per user; the
// lock file also holds the owner's pid.
package control
