//go:build !unix

package external

import "fmt"

func killPid(int) {}

func (p *Plugin) start() (*generation, error) {
	return nil, fmt.Errorf("%w: load %s", ErrUnsupported, p.path)
}

func closeFD(int) {}
