package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// framePair returns a connected dialed/accepted pair of frame
// connections whose Handshakers (if any) have run.
func (s *suite) framePair(t *testing.T, dcfg, acfg *transport.Config) (d, a transport.FrameConn) {
	t.Helper()
	l := s.listen(t, acfg)
	dc := s.dial(t, l, dcfg)
	ac := accept(t, l)
	var ok1, ok2 bool
	d, ok1 = dc.(transport.FrameConn)
	a, ok2 = ac.(transport.FrameConn)
	if !ok1 || !ok2 {
		t.Fatalf("connections %T, %T are not FrameConns", dc, ac)
	}
	handshake(t, d, a)
	return d, a
}

// handshake runs both sides' Handshake concurrently, if they have one.
func handshake(t *testing.T, d, a transport.FrameConn) {
	t.Helper()
	hd, ok1 := d.(transport.Handshaker)
	ha, ok2 := a.(transport.Handshaker)
	if ok1 != ok2 {
		t.Fatalf("only one side is a Handshaker (%T, %T)", d, a)
	}
	if !ok1 {
		return
	}
	errs := make(chan error, 2)
	go func() { errs <- hd.Handshake(ctx(t)) }()
	go func() { errs <- ha.Handshake(ctx(t)) }()
	for range 2 {
		if err := waitErr(t, errs, "Handshake"); err != nil {
			t.Fatalf("Handshake: %v", err)
		}
	}
}

type frame struct {
	body  []byte
	flags byte
}

// readFrames reads n frames from c on another goroutine.
func readFrames(c transport.FrameConn, n int) <-chan any {
	ch := make(chan any, 1)
	go func() {
		var out []frame
		for range n {
			b, fl, err := c.ReadFrame(nil)
			if err != nil {
				ch <- err
				return
			}
			out = append(out, frame{b, fl})
		}
		ch <- out
	}()
	return ch
}

// sendFrames writes frames to w with one Flush and checks that r reads
// them intact, with their flags.
func sendFrames(t *testing.T, w, r transport.FrameConn, frames []frame) {
	t.Helper()
	got := readFrames(r, len(frames))
	for _, f := range frames {
		if err := w.WriteFrame(f.body, f.flags); err != nil {
			t.Fatalf("WriteFrame: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	var res any
	select {
	case res = <-got:
	case <-time.After(timeout):
		t.Fatalf("frames did not arrive within %v", timeout)
	}
	rf, ok := res.([]frame)
	if !ok {
		t.Fatalf("ReadFrame: %v", res)
	}
	for i, f := range frames {
		if !bytes.Equal(rf[i].body, f.body) || rf[i].flags != f.flags {
			t.Fatalf("frame %d: got %d octets flags %#x, want %d octets flags %#x",
				i, len(rf[i].body), rf[i].flags, len(f.body), f.flags)
		}
	}
}

func (s *suite) frameEcho(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	frames := []frame{
		{[]byte("hello"), 0},
		{[]byte("more"), transport.FlagMore},
		{nil, transport.FlagMore},
		{[]byte("last"), 0},
		{[]byte("\x05READY"), transport.FlagCommand},
		{nil, 0},
	}
	sendFrames(t, d, a, frames)
	sendFrames(t, a, d, frames)
	// ReadFrame appends to its buffer
	if err := d.WriteFrame([]byte("tail"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	b, _, err := a.ReadFrame([]byte("head:"))
	if err != nil || string(b) != "head:tail" {
		t.Fatalf("ReadFrame(buf) = %q, %v; want %q", b, err, "head:tail")
	}
}

func (s *suite) frameLarge(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	for _, n := range []int{125, 126, 65535, 65536, 3<<20 + 17} {
		f := []frame{{random(n), transport.FlagMore}, {random(n / 2), 0}}
		sendFrames(t, d, a, f)
		sendFrames(t, a, d, f)
	}
}

func (s *suite) frameBatch(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	frames := make([]frame, 2000)
	for i := range frames {
		frames[i] = frame{[]byte(fmt.Sprintf("frame %d", i)), byte(i % 2)}
	}
	sendFrames(t, d, a, frames)
	sendFrames(t, a, d, frames)
}

// The body passed to WriteFrame is only borrowed: overwriting it after
// the call must not change what the peer reads.
func (s *suite) frameBorrow(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	got := readFrames(a, 3)
	for _, n := range []int{10, 100 << 10, 10} {
		b := bytes.Repeat([]byte{'a'}, n)
		if err := d.WriteFrame(b, 0); err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] = 'x'
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	res := <-got
	rf, ok := res.([]frame)
	if !ok {
		t.Fatalf("ReadFrame: %v", res)
	}
	for i, f := range rf {
		if bytes.IndexByte(f.body, 'x') >= 0 {
			t.Fatalf("frame %d changed after WriteFrame returned", i)
		}
	}
}

func (s *suite) frameMaxMsgSize(t *testing.T) {
	acfg := s.config(t, nil)
	acfg.MaxMsgSize = 100
	d, a := s.framePair(t, nil, acfg)
	sendFrames(t, d, a, []frame{{random(100), 0}})
	// commands may be larger, up to MaxCommandSize
	sendFrames(t, d, a, []frame{{random(1000), transport.FlagCommand}})
	got := readFrames(a, 1)
	if err := d.WriteFrame(random(101), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-got:
		err, ok := res.(error)
		if !ok || !errors.Is(err, transport.ErrProtocol) {
			t.Fatalf("ReadFrame of a frame over MaxMsgSize = %v, want an error wrapping ErrProtocol", res)
		}
	case <-time.After(timeout):
		t.Fatal("ReadFrame of a frame over MaxMsgSize did not return")
	}
}

func (s *suite) framePeerClose(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	sendFrames(t, d, a, []frame{{[]byte("last words"), 0}})
	got := readFrames(a, 1)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-got:
		if err, ok := res.(error); !ok || !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) &&
			!errors.Is(err, transport.ErrClosed) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("ReadFrame after the peer closed = %v, want io.EOF", res)
		}
	case <-time.After(timeout):
		t.Fatal("ReadFrame did not return after the peer closed")
	}
}

func (s *suite) frameCloseUnblocksRead(t *testing.T) {
	d, _ := s.framePair(t, nil, nil)
	got := readFrames(d, 1)
	time.Sleep(20 * time.Millisecond)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-got:
		if _, ok := res.(error); !ok {
			t.Fatalf("ReadFrame after Close = %v, want an error", res)
		}
	case <-time.After(timeout):
		t.Fatal("ReadFrame did not return after Close")
	}
	if err := d.WriteFrame([]byte("x"), 0); err == nil {
		if err = d.Flush(); err == nil {
			t.Error("WriteFrame and Flush after Close succeeded")
		}
	}
}

func (s *suite) frameMode(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	for _, c := range []transport.FrameConn{d, a} {
		m, ok := c.(transport.FrameModer)
		if !ok {
			continue // FrameMechanism
		}
		switch mode := m.FrameMode(); mode {
		case transport.FrameMechanism, transport.FrameRoutingID, transport.FrameNone:
		default:
			t.Errorf("%T reports mode %v", c, mode)
		}
	}
}

// framePing checks transport.Pinger: a ping is answered by the peer's
// reader, and the answer moves the sender's Activity.
func (s *suite) framePing(t *testing.T) {
	d, a := s.framePair(t, nil, nil)
	pd, ok1 := d.(transport.Pinger)
	_, ok2 := a.(transport.Pinger)
	if !ok1 || !ok2 {
		t.Skipf("%T is not a Pinger", d)
	}
	// both sides read, as the core does
	stop := make(chan struct{})
	defer close(stop)
	for _, c := range []transport.FrameConn{d, a} {
		go func() {
			for {
				if _, _, err := c.ReadFrame(nil); err != nil {
					return
				}
			}
		}()
	}
	t.Cleanup(func() { d.Close(); a.Close() })
	before := pd.Activity()
	if err := pd.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	for pd.Activity() == before {
		if time.Now().After(deadline) {
			t.Fatal("no activity after a ping: the peer did not answer")
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *suite) frameEvents(t *testing.T) {
	lrec, drec := &recorder{}, &recorder{}
	l := s.listen(t, s.config(t, lrec))
	ep := l.Endpoint()
	evs := lrec.take()
	if len(evs) != 1 {
		t.Fatalf("Listen reported %v, want [LISTENING]", kinds(evs))
	}
	checkEvent(t, evs[0], transport.EventListening, ep)

	dcfg := s.config(t, drec)
	dcfg.Endpoint = ep
	d := s.dial(t, l, dcfg)
	evs = drec.take()
	for len(evs) > 1 && evs[0].Kind == transport.EventConnectDelayed {
		evs = evs[1:]
	}
	if len(evs) != 1 {
		t.Fatalf("Dial reported %v, want [(CONNECT_DELAYED) CONNECTED]", kinds(evs))
	}
	checkEvent(t, evs[0], transport.EventConnected, ep)
	a := accept(t, l)
	evs = lrec.take()
	if len(evs) != 1 {
		t.Fatalf("Accept reported %v, want [ACCEPTED]", kinds(evs))
	}
	if evs[0].Kind != transport.EventAccepted {
		t.Errorf("event %+v, want ACCEPTED", evs[0])
	}
	_ = d.Close()
	_ = a.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	evs = lrec.take()
	if len(evs) != 1 {
		t.Fatalf("Close reported %v, want [CLOSED]", kinds(evs))
	}
	checkEvent(t, evs[0], transport.EventClosed, ep)
}

func (s *suite) frameDialClosed(t *testing.T) {
	l := s.listen(t, nil)
	addr := s.addrOf(t, l.Endpoint())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := s.f.Transport.Dial(c, s.f.Scheme, addr, s.config(t, nil))
	if err == nil {
		if fc, ok := conn.(transport.FrameConn); ok {
			// a transport may connect lazily: its handshake must fail then
			if h, ok := fc.(transport.Handshaker); ok {
				err = h.Handshake(c)
			}
		}
		_ = conn.Close()
		if err == nil {
			t.Fatalf("Dial(%q) after the listener closed succeeded", addr)
		}
	}
}
