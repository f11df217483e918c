package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

func init() { drivers["zmqkit"] = zmqkitDriver{} }

// zmqkitDriver uses zmqkit's zero-allocation paths: Send of one prebuilt
// Msg (Send copies the frames) and RecvMsg into one reused Msg.
// One context per process, shared by both ends of an inproc run and
// terminated by term when the peer is done.
type zmqkitDriver struct{}

var (
	kitOnce sync.Once
	kitCtx  *core.Context
)

func kctx() *core.Context {
	kitOnce.Do(func() { kitCtx = core.NewContext() })
	return kitCtx
}

func (zmqkitDriver) term() error {
	if kitCtx == nil {
		return nil
	}
	return kitCtx.Term()
}

func zmqkitCheck(m *core.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return fmt.Errorf("message of incorrect size received: %d frames, %d bytes", len(m.Frames), m.Len())
	}
	return nil
}

func (zmqkitDriver) thrRecv(ep string, size, count int, ready func()) (time.Duration, error) {
	zctx := kctx()
	s, err := zctx.NewSocket(core.PULL, zmqkitOpts(true, ep)...)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.Bind(ep); err != nil {
		return 0, err
	}
	ready()
	c := context.Background()
	var m core.Msg
	if err := s.RecvMsg(c, &m); err != nil {
		return 0, err
	}
	if err := zmqkitCheck(&m, size); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 1; i < count; i++ {
		if err := s.RecvMsg(c, &m); err != nil {
			return 0, err
		}
		if err := zmqkitCheck(&m, size); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (zmqkitDriver) thrSend(ep string, size, count int, hold func()) error {
	s, err := kctx().NewSocket(core.PUSH, zmqkitOpts(false, ep)...)
	if err != nil {
		return err
	}
	if err := s.Connect(ep); err != nil {
		s.Close()
		return err
	}
	c := context.Background()
	var m core.Msg
	for i := 0; i < count; i++ {
		// zmq_msg_init_size + zmq_sendmsg, as the libzmq loop does
		m.InitSize(size)
		if err := s.SendMsg(c, &m); err != nil {
			s.Close()
			return err
		}
	}
	hold()
	return s.Close()
}

func (zmqkitDriver) latServe(ep string, size, count int, ready func()) error {
	zctx := kctx()
	s, err := zctx.NewSocket(core.REP)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Bind(ep); err != nil {
		return err
	}
	ready()
	c := context.Background()
	var m core.Msg
	for i := 0; i < count; i++ {
		if err := s.RecvMsg(c, &m); err != nil {
			return err
		}
		if err := zmqkitCheck(&m, size); err != nil {
			return err
		}
		if err := s.Send(c, m); err != nil {
			return err
		}
	}
	return nil
}

func (zmqkitDriver) latClient(ep string, size, count int) (time.Duration, error) {
	zctx := kctx()
	s, err := zctx.NewSocket(core.REQ)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.Connect(ep); err != nil {
		return 0, err
	}
	c := context.Background()
	req := core.NewMsg(make([]byte, size))
	var rep core.Msg
	start := time.Now()
	for i := 0; i < count; i++ {
		if err := s.Send(c, req); err != nil {
			return 0, err
		}
		if err := s.RecvMsg(c, &rep); err != nil {
			return 0, err
		}
		if err := zmqkitCheck(&rep, size); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// zmqkitOpts returns the options of a PUSH/PULL end: CURVE when -curve is
// on, the test certificate (bind side) or CA (connect side) for wss.
func zmqkitOpts(server bool, ep string) []core.Option {
	opts := zmqkitCurve(server)
	ca, cert, key := wssPEM(ep)
	switch {
	case cert == "":
	case server:
		opts = append(opts, core.WithTransportOption(ws.CertPEM([]byte(cert))), core.WithTransportOption(ws.KeyPEM([]byte(key))))
	default:
		opts = append(opts, core.WithTransportOption(ws.TrustPEM([]byte(ca))))
	}
	return opts
}

// zmqkitCurve returns the options that make a socket a CURVE server or
// client with the compare command's keys, when -curve is on.
func zmqkitCurve(server bool) []core.Option {
	if !useCurve {
		return nil
	}
	if server {
		return []core.Option{core.WithMechanism(curve.Server([]byte(curveServerSecret)))}
	}
	return []core.Option{core.WithMechanism(curve.Client([]byte(curveServerPublic), []byte(curveClientPublic), []byte(curveClientSecret)))}
}
