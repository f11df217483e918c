//go:build !unix

package wire

import (
	"errors"
	"net"
	"os"
)

const oobSpace = 0

func canPassFDs(net.Conn) bool { return false }

func writeRights(net.Conn, []byte, int) error {
	return errors.New("wire: descriptors can not be handed over on this system")
}

func readRights(c net.Conn, buf, _ []byte) (int, []int, error) {
	n, err := c.Read(buf)
	return n, nil, err
}

func closeFD(int) {}

// Socketpair is not available here: local channels dial back.
func Socketpair(string) (*os.File, *os.File, error) {
	return nil, nil, errors.New("wire: socketpairs need a Unix system")
}

// FDPassing reports whether descriptors can be handed over on this
// system.
const FDPassing = false
