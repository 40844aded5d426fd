// Package nodump keeps a process that holds a key out of core dumps and away from debuggers of
// the same user: a crash (SIGABRT with GOTRACEBACK=crash and ulimit -c unlimited) must not
// leave the key in a core file.
package nodump

// Apply makes the current process undumpable where the system allows it: on Linux it sets
// PR_SET_DUMPABLE to 0 (no core file, no ptrace by the same user, /proc/PID files owned by
// root) and the core size limit to 0; on macOS it sets the core size limit to 0. Elsewhere it
// does nothing. The core limit is inherited by the processes this one starts.
func Apply() error { return apply() }
