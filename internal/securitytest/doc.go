// Package securitytest holds the reliability and security suite: tests that run the real
// claude-keytray binary, the real Secret Service, the real claude CLI and a loopback stand-in for
// the API, and prove that the key never leaks (argv, files, logs, notifications) and is never
// lost (crashes at random points, a full disk, a locked, missing, dying or hung keychain, a
// failing source, an API that fails or hangs, rival daemons and other users on the socket).
//
// Everything lives in _test.go files; this file only names the package.
package securitytest
