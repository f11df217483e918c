package inproc

import (
	"sync"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// conn is either end of an inproc rendezvous. On the dialing side t and o
// are set and Value is nil; on the accepting side value is the offer.
type conn struct {
	t           *inprocTransport
	scope, name string
	o           *offer

	value         any
	local, remote string
	closeOnce     sync.Once
}

var _ transport.PipeConn = (*conn)(nil)

// Value is the dialer's Config.Offer on the accepting side, nil on the
// dialing side.
func (c *conn) Value() any { return c.value }

// LocalAddress is "inproc://name" on the accepting side, "" on the
// dialing side.
func (c *conn) LocalAddress() string { return c.local }

// RemoteAddress is "inproc://name" on the dialing side, "" on the
// accepting side.
func (c *conn) RemoteAddress() string { return c.remote }

// PeerAddress is always empty.
func (c *conn) PeerAddress() string { return "" }

// FD is always -1.
func (c *conn) FD() int { return -1 }

// Close withdraws a dialing side's offer if it was not accepted yet.
// It is idempotent.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		if c.t != nil {
			c.t.withdraw(c.scope, c.name, c.o)
		}
	})
	return nil
}

var _ transport.PipeListenerBound = (*conn)(nil)

// ListenerBound reports, on the dialing side, whether a listener has taken
// the offer or is bound to take it.
func (c *conn) ListenerBound() bool {
	if c.t == nil {
		return false
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	if c.o.accepted {
		return true
	}
	names := c.t.scopes[c.scope]
	if names == nil {
		return false
	}
	s := names[c.name]
	return s != nil && s.l != nil
}
