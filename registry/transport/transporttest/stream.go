package transporttest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// pair returns a connected dialed/accepted pair of stream connections.
func (s *suite) pair(t *testing.T) (d, a transport.StreamConn) {
	t.Helper()
	l := s.listen(t, nil)
	dc := s.dial(t, l, nil)
	ac := accept(t, l)
	var ok1, ok2 bool
	d, ok1 = dc.(transport.StreamConn)
	a, ok2 = ac.(transport.StreamConn)
	if !ok1 || !ok2 {
		t.Fatalf("connections %T, %T are not StreamConns", dc, ac)
	}
	deadline := time.Now().Add(timeout)
	for _, c := range []transport.StreamConn{d, a} {
		_ = c.SetReadDeadline(deadline)
		_ = c.SetWriteDeadline(deadline)
	}
	return d, a
}

// transfer writes data to w while reading len(data) bytes from r, and
// checks they arrive intact.
func transfer(t *testing.T, w func([]byte) error, r io.Reader, data []byte) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w(data) }()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := waitErr(t, done, "write"); err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("data corrupted in transit")
	}
}

func writer(c io.Writer) func([]byte) error {
	return func(b []byte) error {
		n, err := c.Write(b)
		if err == nil && n != len(b) {
			err = io.ErrShortWrite
		}
		return err
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
}

func (s *suite) streamEcho(t *testing.T) {
	d, a := s.pair(t)
	transfer(t, writer(d), a, []byte("hello from the dialer"))
	transfer(t, writer(a), d, []byte("hello from the acceptor"))
	for i := range 10 {
		transfer(t, writer(d), a, []byte{byte(i)})
		transfer(t, writer(a), d, []byte{byte(i), byte(i)})
	}
}

func (s *suite) streamLarge(t *testing.T) {
	d, a := s.pair(t)
	data := random(3<<20 + 17)
	transfer(t, writer(d), a, data)
	transfer(t, writer(a), d, data)
}

func (s *suite) streamWriteBuffers(t *testing.T) {
	d, a := s.pair(t)
	for _, c := range []transport.StreamConn{d, a} {
		if _, ok := c.(transport.Buffers); !ok {
			t.Skipf("%T does not implement Buffers", c)
		}
	}
	bufs := [][]byte{[]byte("head"), nil, random(1 << 20), []byte("tail")}
	orig := slices.Clone(bufs)
	want := bytes.Join(bufs, nil)
	for _, pair := range [][2]transport.StreamConn{{d, a}, {a, d}} {
		bw := pair[0].(transport.Buffers)
		transfer(t, func([]byte) error {
			n, err := bw.WriteBuffers(bufs)
			if err == nil && n != int64(len(want)) {
				err = io.ErrShortWrite
			}
			return err
		}, pair[1], want)
		for i := range bufs {
			if len(bufs[i]) != len(orig[i]) {
				t.Fatalf("WriteBuffers modified its argument")
			}
		}
	}
}

func (s *suite) streamDeadline(t *testing.T) {
	d, _ := s.pair(t)
	_ = d.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err := d.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || !(errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("Read past its deadline = %v, want a timeout", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Read returned %v after its deadline", el)
	}
}

func (s *suite) streamPeerClose(t *testing.T) {
	d, a := s.pair(t)
	transfer(t, writer(d), a, []byte("last words"))
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := a.Read(make([]byte, 16))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("Read after the peer closed = %d, %v; want 0, io.EOF", n, err)
	}
}

func (s *suite) streamDialClosed(t *testing.T) {
	l := s.listen(t, nil)
	addr := s.addrOf(t, l.Endpoint())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := s.f.Transport.Dial(ctx(t), s.f.Scheme, addr, s.config(t, nil))
	if err == nil {
		_ = c.Close()
		t.Fatalf("Dial(%q) after the listener closed succeeded", addr)
	}
}

// checkEvent checks that e has kind k and endpoint ep.
func checkEvent(t *testing.T, e transport.Event, k transport.EventKind, ep string) {
	t.Helper()
	if e.Kind != k {
		t.Errorf("event %+v, want kind %#x", e, k)
	}
	if e.Endpoint != ep {
		t.Errorf("event %#x has endpoint %q, want %q", e.Kind, e.Endpoint, ep)
	}
}

func (s *suite) streamEvents(t *testing.T) {
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
	if evs[0].FD != d.FD() {
		t.Errorf("CONNECTED fd %d, connection FD() %d", evs[0].FD, d.FD())
	}

	a := accept(t, l)
	evs = lrec.take()
	if len(evs) != 1 {
		t.Fatalf("Accept reported %v, want [ACCEPTED]", kinds(evs))
	}
	checkEvent(t, evs[0], transport.EventAccepted, ep)
	if evs[0].FD != a.FD() {
		t.Errorf("ACCEPTED fd %d, connection FD() %d", evs[0].FD, a.FD())
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
	if evs := drec.take(); len(evs) != 0 {
		t.Errorf("closing connections reported %v, want nothing", kinds(evs))
	}
}

func (s *suite) streamDialFailedEvents(t *testing.T) {
	l := s.listen(t, nil)
	ep := l.Endpoint()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg := s.config(t, rec)
	cfg.Endpoint = ep
	c, err := s.f.Transport.Dial(ctx(t), s.f.Scheme, s.addrOf(t, ep), cfg)
	if err == nil {
		_ = c.Close()
		t.Fatalf("Dial(%q) after the listener closed succeeded", ep)
	}
	all := rec.take()
	evs := all
	for len(evs) > 1 && evs[0].Kind == transport.EventConnectDelayed {
		evs = evs[1:]
	}
	if len(evs) != 1 {
		t.Fatalf("failed Dial reported %v, want [(CONNECT_DELAYED) CLOSED]", kinds(all))
	}
	checkEvent(t, evs[0], transport.EventClosed, ep)
}
