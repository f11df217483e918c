package main

import (
	"context"
	"fmt"
	"time"

	gozmq "github.com/go-zeromq/zmq4"
)

func init() { drivers["gozmq"] = gozmqDriver{} }

// gozmqDriver runs github.com/go-zeromq/zmq4 (pure Go) with its ordinary
// API: Send(NewMsg(buf)) and Recv, which allocates each message.
type gozmqDriver struct{}

func gzCheck(m gozmq.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return fmt.Errorf("message of incorrect size received: %d frames, %d bytes", len(m.Frames), len(m.Bytes()))
	}
	return nil
}

// gzDialOpts makes Dial retry for a while, like a libzmq connect.
func gzDialOpts() []gozmq.Option {
	return []gozmq.Option{gozmq.WithDialerRetry(20 * time.Millisecond), gozmq.WithDialerMaxRetries(500)}
}

func (gozmqDriver) thrRecv(ep string, size, count int, ready func()) (time.Duration, error) {
	s := gozmq.NewPull(context.Background())
	defer s.Close()
	if err := s.Listen(ep); err != nil {
		return 0, err
	}
	ready()
	m, err := s.Recv()
	if err != nil {
		return 0, err
	}
	if err := gzCheck(m, size); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 1; i < count; i++ {
		m, err := s.Recv()
		if err != nil {
			return 0, err
		}
		if err := gzCheck(m, size); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (gozmqDriver) thrSend(ep string, size, count int, hold func()) error {
	s := gozmq.NewPush(context.Background(), gzDialOpts()...)
	defer s.Close()
	if err := s.Dial(ep); err != nil {
		return err
	}
	m := gozmq.NewMsg(make([]byte, size))
	for i := 0; i < count; i++ {
		if err := s.Send(m); err != nil {
			return err
		}
	}
	hold()
	return nil
}

func (gozmqDriver) latServe(ep string, size, count int, ready func()) error {
	s := gozmq.NewRep(context.Background())
	defer s.Close()
	if err := s.Listen(ep); err != nil {
		return err
	}
	ready()
	for i := 0; i < count; i++ {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		if err := gzCheck(m, size); err != nil {
			return err
		}
		if err := s.Send(m); err != nil {
			return err
		}
	}
	// go-zeromq has no linger: give the last reply time to leave.
	time.Sleep(100 * time.Millisecond)
	return nil
}

func (gozmqDriver) latClient(ep string, size, count int) (time.Duration, error) {
	s := gozmq.NewReq(context.Background(), gzDialOpts()...)
	defer s.Close()
	if err := s.Dial(ep); err != nil {
		return 0, err
	}
	m := gozmq.NewMsg(make([]byte, size))
	start := time.Now()
	for i := 0; i < count; i++ {
		if err := s.Send(m); err != nil {
			return 0, err
		}
		r, err := s.Recv()
		if err != nil {
			return 0, err
		}
		if err := gzCheck(r, size); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (gozmqDriver) term() error { return nil }
