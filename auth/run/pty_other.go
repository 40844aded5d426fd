//go:build unix && !linux && !darwin

package run

import (
	"errors"
	"os"
)

// Elsewhere the command's terminal output passes through unscanned.
const ptySupported = false

func openPTY() (master, slave *os.File, err error) {
	return nil, nil, errors.New("pseudo-terminals are not supported on this system")
}
