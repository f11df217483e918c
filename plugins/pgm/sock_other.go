//go:build !unix

package pgm

import (
	"errors"
	"net/netip"
)

type sockOpts struct {
	hops, tos, sndbuf, rcvbuf int
	loop, reuse, mcastTx      bool
}

type pconn struct {
	fdn  int
	port uint16
}

var errUnsupportedOS = errors.New("pgm and epgm are supported on Unix systems only")

func (c *pconn) read([]byte) (int, netip.Addr, error)   { return 0, netip.Addr{}, errUnsupportedOS }
func (c *pconn) write([]byte, netip.Addr) error         { return errUnsupportedOS }
func (c *pconn) tryRead([]byte) (int, netip.Addr, bool) { return 0, netip.Addr{}, false }
func (c *pconn) close() error                           { return nil }

func listen(bool, netip.AddrPort, *endpoint, sockOpts, bool) (*pconn, error) {
	return nil, errUnsupportedOS
}

var errNetClosed = errors.New("closed")
