//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sockio

import (
	"errors"
	"os"
)

func setNonblock(int) error { return errors.ErrUnsupported }

func closeFD(int) {}

type writev struct{}

func (*writev) write(f *os.File, bufs [][]byte) (int64, error) {
	var total int64
	for _, b := range bufs {
		n, err := f.Write(b)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
