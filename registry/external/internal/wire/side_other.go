//go:build !unix

package wire

import (
	"errors"
	"os"
)

const oobSpace = 0

func unixRights(int) []byte { return nil }

func parseRights([]byte) ([]int, error) { return nil, nil }

func closeFD(int) {}

// Socketpair is not available here.
func Socketpair(string) (*os.File, *os.File, error) {
	return nil, nil, errors.New("wire: socketpairs need a Unix system")
}

// FDPassing reports whether descriptors can be handed over here.
const FDPassing = false
