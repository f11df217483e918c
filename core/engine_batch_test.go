package core

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// xorMech is a test mechanism: NULL's handshake, then every frame is sent
// as a data frame [flags][body XOR key]. Its sessions transform in
// batches (mechanism.BatchSession) and count the calls, and close.
type xorMech struct {
	batches, frames, perFrame, closes atomic.Int64
	failAt                            int64 // DecodeBatch fails at this frame (counting from 1); 0 never
}

func (m *xorMech) Name() string { return "XBATCH" }

func (m *xorMech) NewSession(cfg *mechanism.Config) (mechanism.Session, error) {
	s, err := nullMechanism{}.NewSession(cfg)
	if err != nil {
		return nil, err
	}
	return &xorSession{Session: s, m: m}, nil
}

type xorSession struct {
	mechanism.Session
	m      *xorMech
	closed sync.Once
	seen   int64
}

const xorKey = 0x5a

func (s *xorSession) Transforms() bool { return true }

func (s *xorSession) Encode(dst, body []byte, flags byte) ([]byte, byte, error) {
	s.m.perFrame.Add(1)
	dst = append(dst, flags)
	for _, c := range body {
		dst = append(dst, c^xorKey)
	}
	return dst, 0, nil
}

func (s *xorSession) Decode(dst, body []byte, _ byte) ([]byte, byte, error) {
	s.m.perFrame.Add(1)
	if len(body) == 0 {
		return dst, 0, fmt.Errorf("empty frame")
	}
	for _, c := range body[1:] {
		dst = append(dst, c^xorKey)
	}
	return dst, body[0], nil
}

func (s *xorSession) EncodeBatch(dst []byte, in, out []mechanism.Frame) ([]byte, error) {
	s.m.batches.Add(1)
	offs := make([]int, 0, 2*len(in))
	for _, f := range in {
		st := len(dst)
		dst = append(dst, f.Flags)
		for _, c := range f.Body {
			dst = append(dst, c^xorKey)
		}
		offs = append(offs, st, len(dst))
	}
	for i := range in {
		out[i] = mechanism.Frame{Body: dst[offs[2*i]:offs[2*i+1]]}
	}
	return dst, nil
}

func (s *xorSession) DecodeBatch(dst []byte, in, out []mechanism.Frame) ([]byte, int, error) {
	s.m.batches.Add(1)
	s.m.frames.Add(int64(len(in)))
	offs := make([]int, 0, 2*len(in))
	var fl []byte
	n := 0
	var err error
	for _, f := range in {
		s.seen++
		if len(f.Body) == 0 || s.m.failAt > 0 && s.seen == s.m.failAt {
			err = &mechanism.ProtocolError{Code: mechanism.ErrZMTPCryptographic, Msg: "bad frame"}
			break
		}
		st := len(dst)
		for _, c := range f.Body[1:] {
			dst = append(dst, c^xorKey)
		}
		offs = append(offs, st, len(dst))
		fl = append(fl, f.Body[0])
		n++
	}
	for i := 0; i < n; i++ {
		out[i] = mechanism.Frame{Body: dst[offs[2*i]:offs[2*i+1]], Flags: fl[i]}
	}
	return dst, n, err
}

func (s *xorSession) Close() error {
	s.closed.Do(func() { s.m.closes.Add(1) })
	return nil
}

// A BatchSession's frames go through EncodeBatch and DecodeBatch, many per
// call, in order, multipart and large messages included; the core closes
// the session with the connection.
func TestEngineBatchSession(t *testing.T) {
	m := &xorMech{}
	r := registry.Default.Clone()
	r.RegisterMechanism(m)
	zctx := NewContext(WithRegistry(r))
	defer zctx.Term()
	opt := WithMechanism("XBATCH", false, nil)
	pull, err := zctx.NewSocket(PULL, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push, err := zctx.NewSocket(PUSH, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 2000
	big := bytes.Repeat([]byte("z"), 100<<10)
	go func() {
		for i := 0; i < n; i++ {
			body := []byte(fmt.Sprintf("msg %d", i))
			if i%500 == 7 {
				body = big
			}
			if err := push.Send(ctx, NewMsg(body, []byte("second"))); err != nil {
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		msg, err := pull.Recv(ctx)
		if err != nil {
			t.Fatalf("recv %d: %v", i, err)
		}
		want := []byte(fmt.Sprintf("msg %d", i))
		if i%500 == 7 {
			want = big
		}
		if len(msg.Frames) != 2 || !bytes.Equal(msg.Frames[0], want) || string(msg.Frames[1]) != "second" {
			t.Fatalf("message %d: %d frames, %.20q", i, len(msg.Frames), msg.Frames)
		}
	}
	if m.perFrame.Load() != 0 {
		t.Errorf("%d per-frame Encode/Decode calls, want none", m.perFrame.Load())
	}
	if b, f := m.batches.Load(), m.frames.Load(); f < 2*n || b >= f {
		t.Errorf("%d batch calls for %d decoded frames: no batching", b, f)
	}
	push.Close()
	pull.Close()
	if c := m.closes.Load(); c != 2 {
		t.Errorf("%d sessions closed, want 2", c)
	}
}

// A DecodeBatch error drops the connection after the frames before the
// bad one were delivered.
func TestEngineBatchDecodeError(t *testing.T) {
	m := &xorMech{failAt: 5}
	r := registry.Default.Clone()
	r.RegisterMechanism(m)
	zctx := NewContext(WithRegistry(r))
	defer zctx.Term()
	opt := WithMechanism("XBATCH", false, nil)
	pull, _ := zctx.NewSocket(PULL, opt)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	events, err := pull.WatchEvents(context.Background(), EventDisconnected)
	if err != nil {
		t.Fatal(err)
	}
	push, _ := zctx.NewSocket(PUSH, opt, WithReconnectInterval(-1))
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 10; i++ {
		if err := push.Send(ctx, NewMsgString(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		msg, err := pull.Recv(ctx)
		if err != nil || string(msg.Frames[0]) != fmt.Sprint(i) {
			t.Fatalf("recv %d: %q, %v", i, msg.Frames, err)
		}
	}
	select {
	case <-events:
	case <-ctx.Done():
		t.Fatal("no DISCONNECTED after a DecodeBatch error")
	}
}
