//go:build cgo && !nolibzmq

package main

import zmq "github.com/pebbe/zmq4"

func init() { servers["libzmq"] = newLibzmq }

// libzmqServer is libzmq's ROUTER through the pebbe/zmq4 binding (the
// binding's Go costs are in the baseline: nothing of it is per peer).
type libzmqServer struct {
	ctx *zmq.Context
	s   *zmq.Socket
}

func newLibzmq() server {
	ctx, err := zmq.NewContext()
	if err != nil {
		panic(err)
	}
	ctx.SetMaxSockets(65536)
	return &libzmqServer{ctx: ctx}
}

func (l *libzmqServer) bind() (string, error) {
	s, err := l.ctx.NewSocket(zmq.ROUTER)
	if err != nil {
		return "", err
	}
	l.s = s
	s.SetLinger(0)
	if hb := heartbeat(); hb > 0 {
		s.SetHeartbeatIvl(hb)
		s.SetHeartbeatTimeout(heartbeatTimeout)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		return "", err
	}
	return s.GetLastEndpoint()
}

func (l *libzmqServer) echo(n int) error {
	for range n {
		m, err := l.s.RecvMessageBytes(0)
		if err != nil {
			return err
		}
		if _, err := l.s.SendMessage(m); err != nil {
			return err
		}
	}
	return nil
}

func (l *libzmqServer) close() {
	if l.s != nil {
		l.s.Close()
	}
	l.ctx.Term()
}
