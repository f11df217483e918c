//go:build !unix

package external

import (
	"errors"
	"os"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
)

func killPid(pid int) {
	if pid > 0 {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
			p.Release()
		}
	}
}

func closeFD(int) {}

// socketpairSide is never used here: without descriptor passing the side
// channel dials back.
func socketpairSide(func(uint64, wire.Event)) (*side, error) {
	return nil, errors.New("external: no socketpairs on this system")
}
