//go:build unix

package serve

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
)

// watchParent exits when the host dies (the process is re-parented),
// in case Pdeathsig is not there or did not fire.
func watchParent(log hclog.Logger) {
	ppid := os.Getppid()
	go func() {
		for range time.Tick(500 * time.Millisecond) {
			if os.Getppid() != ppid {
				log.Warn("host process gone: exiting")
				os.Exit(1)
			}
		}
	}()
}
