package perftool

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// LocalThr binds a PULL socket, receives <message-count> messages of
// <message-size> bytes and prints the mean throughput, with libzmq's
// output lines. The clock starts when the first message arrives.
var LocalThr = Tool{
	Name:  "local_thr",
	Args:  []string{"bind-to", "message-size", "message-count"},
	Curve: true,
	Summary: "Binds a PULL socket to <bind-to>, receives <message-count> messages of\n" +
		"<message-size> bytes from remote_thr and prints the mean throughput.",
	Run: localThr,
}

// RemoteThr connects a PUSH socket and sends <message-count> messages of
// <message-size> zero bytes, then closes; with the default infinite
// linger it waits until local_thr, even one started later, has them all.
var RemoteThr = Tool{
	Name:  "remote_thr",
	Args:  []string{"connect-to", "message-size", "message-count"},
	Curve: true,
	Summary: "Connects a PUSH socket to <connect-to> and sends <message-count> messages\n" +
		"of <message-size> bytes to local_thr; it may start first, and exits once\n" +
		"local_thr has every message.",
	Run: remoteThr,
}

// LocalLat binds a REP socket and echoes <roundtrip-count> messages.
var LocalLat = Tool{
	Name: "local_lat",
	Args: []string{"bind-to", "message-size", "roundtrip-count"},
	Summary: "Binds a REP socket to <bind-to> and echoes <roundtrip-count> messages of\n" +
		"<message-size> bytes back to remote_lat.",
	Run: localLat,
}

// RemoteLat connects a REQ socket, times <roundtrip-count> round trips
// and prints the average latency (half the mean round trip).
var RemoteLat = Tool{
	Name: "remote_lat",
	Args: []string{"connect-to", "message-size", "roundtrip-count"},
	Summary: "Connects a REQ socket to <connect-to>, sends <roundtrip-count> requests of\n" +
		"<message-size> bytes to local_lat and prints the average latency.",
	Run: remoteLat,
}

// session is one tool's context and socket; close reports libzmq's
// zmq_close and zmq_ctx_term steps.
type session struct {
	ctx  *core.Context
	sock *core.Socket
}

func open(typ core.SocketType, p Params, bind bool, opts []core.Option) (*session, error) {
	ctx := core.NewContext()
	s, err := ctx.NewSocket(typ, opts...)
	if err != nil {
		ctx.Term()
		return nil, Fail("zmq_socket", err)
	}
	if bind {
		err = s.Bind(p.Endpoint)
	} else {
		err = s.Connect(p.Endpoint)
	}
	if err != nil {
		ctx.Term()
		if bind {
			return nil, Fail("zmq_bind", err)
		}
		return nil, Fail("zmq_connect", err)
	}
	return &session{ctx: ctx, sock: s}, nil
}

func (s *session) close(err error) error {
	if err != nil {
		s.sock.SetOption(core.WithLinger(0))
		s.ctx.Term()
		return err
	}
	if err := s.sock.Close(); err != nil {
		return Fail("zmq_close", err)
	}
	if err := s.ctx.Term(); err != nil {
		return Fail("zmq_ctx_term", err)
	}
	return nil
}

func checkSize(m *core.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		return ErrBadSize
	}
	return nil
}

func localThr(p Params, out io.Writer) error {
	s, err := open(core.PULL, p, true, CurveServer(p.Curve))
	if err != nil {
		return err
	}
	return s.close(func() error {
		c := context.Background()
		var msg core.Msg
		if err := s.sock.RecvMsg(c, &msg); err != nil {
			return Fail("zmq_recvmsg", err)
		}
		if err := checkSize(&msg, p.Size); err != nil {
			return err
		}
		start := time.Now()
		for i := 0; i < p.Count-1; i++ {
			if err := s.sock.RecvMsg(c, &msg); err != nil {
				return Fail("zmq_recvmsg", err)
			}
			if err := checkSize(&msg, p.Size); err != nil {
				return err
			}
		}
		elapsed := time.Since(start).Microseconds() // libzmq's stopwatch counts µs
		if elapsed == 0 {
			elapsed = 1
		}
		throughput := float64(p.Count) / float64(elapsed) * 1000000
		megabits := throughput * float64(p.Size) * 8 / 1000000
		fmt.Fprintf(out, "message size: %d [B]\n", p.Size)
		fmt.Fprintf(out, "message count: %d\n", p.Count)
		fmt.Fprintf(out, "mean throughput: %d [msg/s]\n", int(throughput))
		fmt.Fprintf(out, "mean throughput: %.3f [Mb/s]\n", megabits)
		return nil
	}())
}

func remoteThr(p Params, out io.Writer) error {
	s, err := open(core.PUSH, p, false, CurveClient(p.Curve))
	if err != nil {
		return err
	}
	return s.close(func() error {
		c := context.Background()
		var msg core.Msg
		for i := 0; i < p.Count; i++ {
			// as libzmq's tool: zmq_msg_init_size, then zmq_sendmsg,
			// which hands the message over without copying it
			msg.InitSize(p.Size)
			if err := s.sock.SendMsg(c, &msg); err != nil {
				return Fail("zmq_sendmsg", err)
			}
		}
		return nil
	}())
}

func localLat(p Params, out io.Writer) error {
	s, err := open(core.REP, p, true, nil)
	if err != nil {
		return err
	}
	return s.close(func() error {
		c := context.Background()
		var msg core.Msg
		for i := 0; i < p.Count; i++ {
			if err := s.sock.RecvMsg(c, &msg); err != nil {
				return Fail("zmq_recvmsg", err)
			}
			if err := checkSize(&msg, p.Size); err != nil {
				return err
			}
			if err := s.sock.Send(c, msg); err != nil {
				return Fail("zmq_sendmsg", err)
			}
		}
		return nil
	}())
}

func remoteLat(p Params, out io.Writer) error {
	s, err := open(core.REQ, p, false, nil)
	if err != nil {
		return err
	}
	return s.close(func() error {
		c := context.Background()
		req := core.NewMsg(make([]byte, p.Size))
		var rep core.Msg
		start := time.Now()
		for i := 0; i < p.Count; i++ {
			if err := s.sock.Send(c, req); err != nil {
				return Fail("zmq_sendmsg", err)
			}
			if err := s.sock.RecvMsg(c, &rep); err != nil {
				return Fail("zmq_recvmsg", err)
			}
			if err := checkSize(&rep, p.Size); err != nil {
				return err
			}
		}
		elapsed := time.Since(start).Microseconds() // libzmq's stopwatch counts µs
		latency := float64(elapsed) / float64(p.Count*2)
		fmt.Fprintf(out, "message size: %d [B]\n", p.Size)
		fmt.Fprintf(out, "roundtrip count: %d\n", p.Count)
		fmt.Fprintf(out, "average latency: %.3f [us]\n", latency)
		return nil
	}())
}
