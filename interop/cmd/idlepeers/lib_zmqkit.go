package main

import (
	"context"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
)

func init() { servers["zmqkit"] = newZmqkit }

type zmqkitServer struct {
	ctx *core.Context
	s   *core.Socket
}

func newZmqkit() server { return &zmqkitServer{ctx: core.NewContext()} }

func (z *zmqkitServer) bind() (string, error) {
	opts := []core.Option{core.WithLinger(0)}
	if hb := heartbeat(); hb > 0 {
		opts = append(opts, core.WithHeartbeat(hb, 0, heartbeatTimeout))
	}
	s, err := z.ctx.NewSocket(core.ROUTER, opts...)
	if err != nil {
		return "", err
	}
	z.s = s
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		return "", err
	}
	return s.LastEndpoint(), nil
}

func (z *zmqkitServer) echo(n int) error {
	for range n {
		m, err := z.s.Recv(context.Background())
		if err != nil {
			return err
		}
		if err := z.s.SendMsg(context.Background(), &m); err != nil {
			return err
		}
	}
	return nil
}

func (z *zmqkitServer) close() {
	if z.s != nil {
		z.s.Close()
	}
	z.ctx.Term()
}
