//go:build cgo && !nolibzmq

package main

import (
	"fmt"
	"sync"
	"time"

	zmq "github.com/pebbe/zmq4"
)

func init() { drivers["pebbe"] = pebbeDriver{} }

// pebbeDriver runs libzmq through the github.com/pebbe/zmq4 binding, the
// way a Go program usually does: SendBytes and RecvBytes, which cost a few
// cgo calls and (on receive) one copy into a new Go slice per message.
type pebbeDriver struct{}

var (
	pbOnce sync.Once
	pbCtx  *zmq.Context
	pbErr  error
)

func pctx() (*zmq.Context, error) {
	pbOnce.Do(func() { pbCtx, pbErr = zmq.NewContext() })
	return pbCtx, pbErr
}

func pbOpen(t zmq.Type, ep string, bind bool) (*zmq.Socket, error) {
	ctx, err := pctx()
	if err != nil {
		return nil, err
	}
	s, err := ctx.NewSocket(t)
	if err != nil {
		return nil, err
	}
	if bind {
		err = s.Bind(ep)
	} else {
		err = s.Connect(ep)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func pbCheck(b []byte, size int) error {
	if len(b) != size {
		return fmt.Errorf("message of incorrect size received: %d bytes", len(b))
	}
	return nil
}

func (pebbeDriver) thrRecv(ep string, size, count int, ready func()) (time.Duration, error) {
	s, err := pbOpen(zmq.PULL, ep, true)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	ready()
	b, err := s.RecvBytes(0)
	if err != nil {
		return 0, err
	}
	if err := pbCheck(b, size); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 1; i < count; i++ {
		b, err := s.RecvBytes(0)
		if err != nil {
			return 0, err
		}
		if err := pbCheck(b, size); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (pebbeDriver) thrSend(ep string, size, count int, hold func()) error {
	s, err := pbOpen(zmq.PUSH, ep, false)
	if err != nil {
		return err
	}
	defer s.Close()
	buf := make([]byte, size)
	for i := 0; i < count; i++ {
		if _, err := s.SendBytes(buf, 0); err != nil {
			return err
		}
	}
	hold()
	return nil
}

func (pebbeDriver) latServe(ep string, size, count int, ready func()) error {
	s, err := pbOpen(zmq.REP, ep, true)
	if err != nil {
		return err
	}
	defer s.Close()
	ready()
	for i := 0; i < count; i++ {
		b, err := s.RecvBytes(0)
		if err != nil {
			return err
		}
		if err := pbCheck(b, size); err != nil {
			return err
		}
		if _, err := s.SendBytes(b, 0); err != nil {
			return err
		}
	}
	return nil
}

func (pebbeDriver) latClient(ep string, size, count int) (time.Duration, error) {
	s, err := pbOpen(zmq.REQ, ep, false)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	buf := make([]byte, size)
	start := time.Now()
	for i := 0; i < count; i++ {
		if _, err := s.SendBytes(buf, 0); err != nil {
			return 0, err
		}
		b, err := s.RecvBytes(0)
		if err != nil {
			return 0, err
		}
		if err := pbCheck(b, size); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (pebbeDriver) term() error {
	if pbCtx == nil {
		return nil
	}
	return pbCtx.Term()
}
