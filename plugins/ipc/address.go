package ipc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// address is a parsed ipc address.
type address struct {
	path     string // file path, or "@name" for the abstract namespace
	abstract bool
	wildcard bool // "*": bind a fresh private directory's "socket"
}

// parseAddress parses addr, the part after "ipc://". "*" is a wildcard
// only when binding.
func parseAddress(addr string, bind bool) (address, error) {
	ep := scheme + "://" + addr
	switch {
	case addr == "":
		return address{}, fmt.Errorf("%w %q: empty path", transport.ErrInvalidEndpoint, ep)
	case addr == "@":
		return address{}, fmt.Errorf("%w %q: empty abstract name", transport.ErrInvalidEndpoint, ep)
	case strings.IndexByte(addr, 0) >= 0:
		return address{}, fmt.Errorf("%w %q: NUL in path", transport.ErrInvalidEndpoint, ep)
	case bind && addr == "*":
		return address{wildcard: true}, nil
	}
	if err := checkLength(addr, ep); err != nil {
		return address{}, err
	}
	if addr[0] == '@' {
		if !abstractSupported {
			return address{}, fmt.Errorf("%w %q: abstract namespace", transport.ErrNotSupported, ep)
		}
		return address{path: addr, abstract: true}, nil
	}
	return address{path: addr}, nil
}

// checkLength refuses paths that do not fit in sun_path with a NUL.
func checkLength(path, ep string) error {
	if len(path) > maxPathLen {
		return fmt.Errorf("%w %q: %d bytes, at most %d fit", transport.ErrNameTooLong, ep, len(path), maxPathLen)
	}
	return nil
}

// tempBase is where "ipc://*" creates its directory.
func tempBase() string {
	for _, env := range []string{"TMPDIR", "TEMPDIR", "TMP"} {
		if d := os.Getenv(env); d != "" {
			return d
		}
	}
	return os.TempDir()
}

// endpointOf formats a Unix address as "ipc://path"; the unnamed address
// (which Go may show as "" or "@") gives "".
func endpointOf(a net.Addr) string {
	ua, ok := a.(*net.UnixAddr)
	if !ok || ua == nil || ua.Name == "" || ua.Name == "@" {
		return ""
	}
	return scheme + "://" + ua.Name
}

// removeStale removes a socket file left at path by an earlier bind.
// Anything else at the path is left alone (the bind then fails).
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
