//go:build linux || darwin

package nodump

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// noCore sets the soft and hard core size limits to 0, so no core file is written even if the
// process is made dumpable again.
func noCore() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("setrlimit RLIMIT_CORE 0: %w", err)
	}
	return nil
}
