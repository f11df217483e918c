//go:build !linux

package pgm

import "net/netip"

type batcher struct{}

// writeBatch sends pkts to one address, one at a time.
func (c *pconn) writeBatch(_ *batcher, pkts [][]byte, to netip.Addr) error {
	var err error
	for _, p := range pkts {
		if e := c.write(p, to); e != nil {
			err = e
		}
	}
	return err
}
