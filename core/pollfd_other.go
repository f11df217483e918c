//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package core

import "time"

// fdPollSupported is false here: there is no poll(2) that takes any
// descriptor (Windows' WSAPoll takes sockets only), so Poll and Poller
// refuse Conn items with ErrNotSupported rather than spend a goroutine
// per item.
const fdPollSupported = false

type fdSet struct{}

type fdWaker struct{}

func newFDWaker() (*fdWaker, error) { return nil, errNoFDPoll }
func (k *fdWaker) wake()            {}
func (k *fdWaker) drain()           {}
func (k *fdWaker) close()           {}

func (w *pollWait) pollFDs(time.Duration, *fdWaker) error { return errNoFDPoll }
