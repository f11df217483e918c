//go:build linux

package pgm_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/pgm"
	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
)

// bindIn binds a new socket in the rig's namespace i (pgm and epgm bind
// and connect alike, and Bind opens the sockets at once, on the calling
// thread: in the namespace).
func bindIn(t *testing.T, zctx *core.Context, rig *pgmtest.Rig, i int, typ core.SocketType, ep string, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := zctx.NewSocket(typ, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := rig.Do(i, func() error { return s.Bind(ep) }); err != nil {
		t.Fatalf("bind %v %s: %v", typ, ep, err)
	}
	return s
}

func recv(t *testing.T, s *core.Socket) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := s.Recv(ctx)
	if err != nil {
		for _, st := range pgm.Stats() {
			t.Logf("%+v %+v %+v", st, st.Sender, st.Receiver)
		}
		t.Fatalf("recv: %v", err)
	}
	return m.Frames
}

func send(t *testing.T, s *core.Socket, frames ...[]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, core.NewMsg(frames...)); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func nothing(t *testing.T, s *core.Socket, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := s.Recv(ctx); err == nil {
		t.Fatalf("unexpected message %q", m.Frames)
	}
}

// PUB in one namespace, SUB, SUB and XSUB in the other, over epgm and raw
// pgm: multipart messages, messages larger than a packet, local
// subscription filtering, XSUB receiving everything without subscribing.
func TestPubSubAcrossRig(t *testing.T) {
	for _, scheme := range []string{"epgm", "pgm"} {
		t.Run(scheme, func(t *testing.T) {
			rig := pgmtest.NewRig(t)
			zctx := core.NewContext()
			t.Cleanup(func() { zctx.Term() })
			rate := core.WithRate(100000)
			subA := bindIn(t, zctx, rig, 1, core.SUB, rig.Endpoint(1, scheme, 5555), rate, core.WithSubscribe("a"))
			subAll := bindIn(t, zctx, rig, 1, core.SUB, rig.Endpoint(1, scheme, 5555), rate, core.WithSubscribe(""))
			xsub := bindIn(t, zctx, rig, 1, core.XSUB, rig.Endpoint(1, scheme, 5555), rate)
			pub := bindIn(t, zctx, rig, 0, core.PUB, rig.Endpoint(0, scheme, 5555), rate, core.WithMulticastMaxTPDU(700))
			big := bytes.Repeat([]byte("0123456789"), 500) // 5000 octets: 8 packets of 700
			for i := range 50 {
				send(t, pub, []byte(fmt.Sprintf("a%d", i)), big)
				send(t, pub, []byte(fmt.Sprintf("b%d", i)))
			}
			for i := range 50 {
				m := recv(t, subA)
				if len(m) != 2 || string(m[0]) != fmt.Sprintf("a%d", i) || !bytes.Equal(m[1], big) {
					t.Fatalf("SUB a, message %d: %d frames %q", i, len(m), m[0])
				}
			}
			nothing(t, subA, 100*time.Millisecond)
			for _, s := range []*core.Socket{subAll, xsub} {
				for i := range 50 {
					if m := recv(t, s); string(m[0]) != fmt.Sprintf("a%d", i) || len(m) != 2 {
						t.Fatalf("message a%d: %q", i, m[0])
					}
					if m := recv(t, s); string(m[0]) != fmt.Sprintf("b%d", i) || len(m) != 1 {
						t.Fatalf("message b%d: %q", i, m[0])
					}
				}
			}
			for _, st := range pgm.Stats() {
				if st.Sender != nil && st.Sender.ODATA == 0 {
					t.Errorf("sender stats: %+v", st)
				}
			}
		})
	}
}

// Only PUB, XPUB, SUB and XSUB may use pgm and epgm (libzmq's
// ENOCOMPATPROTO), at Bind and Connect alike.
func TestSocketTypes(t *testing.T) {
	zctx := core.NewContext()
	t.Cleanup(func() { zctx.Term() })
	for _, typ := range []core.SocketType{core.REQ, core.REP, core.DEALER, core.ROUTER, core.PUSH, core.PULL, core.PAIR} {
		s, err := zctx.NewSocket(typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range []string{"epgm://127.0.0.1;239.192.9.9:5555", "pgm://127.0.0.1;239.192.9.9:5555"} {
			if err := s.Bind(ep); !errors.Is(err, core.ErrNoCompatProto) {
				t.Errorf("%v Bind(%s): %v", typ, ep, err)
			}
			if err := s.Connect(ep); !errors.Is(err, core.ErrNoCompatProto) {
				t.Errorf("%v Connect(%s): %v", typ, ep, err)
			}
		}
		s.Close()
	}
}

// Malformed endpoints fail Bind and Connect at once.
func TestBadEndpoints(t *testing.T) {
	zctx := core.NewContext()
	t.Cleanup(func() { zctx.Term() })
	s, _ := zctx.NewSocket(core.SUB)
	for _, c := range []struct {
		ep   string
		want error
	}{
		{"epgm://127.0.0.1;239.192.9.9", core.ErrInvalid},
		{"epgm://127.0.0.1;192.0.2.9:5555", core.ErrInvalid},
		{"epgm://127.0.0.1;239.1.1.1,239.1.1.2:5555", core.ErrInvalid},
		{"epgm://nosuchif9;239.192.9.9:5555", core.ErrNoDevice},
		{"epgm://203.0.113.99;239.192.9.9:5555", core.ErrAddrNotAvailable},
	} {
		if err := s.Bind(c.ep); !errors.Is(err, c.want) {
			t.Errorf("Bind(%s): %v, want %v", c.ep, err, c.want)
		}
		if err := s.Connect(c.ep); !errors.Is(err, c.want) {
			t.Errorf("Connect(%s): %v, want %v", c.ep, err, c.want)
		}
	}
}

// Without CAP_NET_RAW, pgm:// fails at Bind and Connect with an error that
// says so and points to epgm://. As root, the test runs itself again as
// nobody.
func TestRawNeedsPrivilege(t *testing.T) {
	if os.Getenv("PGM_TEST_UNPRIVILEGED") == "" && os.Geteuid() == 0 {
		// a copy of the test binary that nobody may run
		dir, err := os.MkdirTemp("", "pgmtest")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		bin, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		exe := filepath.Join(dir, "pgm.test")
		if err := os.WriteFile(exe, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestRawNeedsPrivilege$", "-test.v")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PGM_TEST_UNPRIVILEGED=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		t.Logf("as nobody:\n%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRawNeedsPrivilege") {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return
	}
	zctx := core.NewContext()
	t.Cleanup(func() { zctx.Term() })
	s, _ := zctx.NewSocket(core.SUB)
	for _, op := range []func(string) error{s.Bind, s.Connect} {
		err := op("pgm://127.0.0.1;239.192.9.9:5555")
		if !errors.Is(err, core.ErrNotSupported) || !strings.Contains(err.Error(), "CAP_NET_RAW") ||
			!strings.Contains(err.Error(), "epgm://") {
			t.Fatalf("pgm without CAP_NET_RAW: %v", err)
		}
		t.Log(err)
	}
}

// A subscriber cut off for longer than the publisher's recovery interval
// reports the loss (EventDataLost, zmqkit's extension) and resumes at a
// message start.
func TestDataLostEvent(t *testing.T) {
	rig := pgmtest.NewRig(t)
	zctx := core.NewContext()
	t.Cleanup(func() { zctx.Term() })
	sub := bindIn(t, zctx, rig, 1, core.SUB, rig.Endpoint(1, "epgm", 5556), core.WithSubscribe(""), core.WithRate(10000))
	ev, err := sub.WatchEvents(context.Background(), core.EventDataLost)
	if err != nil {
		t.Fatal(err)
	}
	// a window of 1000 kbit/s * 100 ms / 1500 = 8 packets
	pub := bindIn(t, zctx, rig, 0, core.PUB, rig.Endpoint(0, "epgm", 5556), core.WithRate(1000),
		core.WithRecoveryInterval(100*time.Millisecond))
	msg := func(i int) []byte {
		b := make([]byte, 500)
		binary.BigEndian.PutUint32(b, uint32(i))
		return b
	}
	send(t, pub, msg(0))
	if m := recv(t, sub); binary.BigEndian.Uint32(m[0]) != 0 {
		t.Fatal("first message")
	}
	if err := rig.Loss(1, 100); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 60; i++ {
		send(t, pub, msg(i))
	}
	time.Sleep(time.Second) // the window moves on past what was dropped
	if err := rig.Loss(1, 0); err != nil {
		t.Fatal(err)
	}
	for i := 61; i <= 80; i++ {
		send(t, pub, msg(i))
	}
	select {
	case e := <-ev:
		if e.Event != core.EventDataLost || e.Value == 0 || !strings.HasPrefix(e.Remote, "pgm-tsi://") {
			t.Fatalf("event %+v", e)
		}
		t.Logf("%v: %d packets from %s (%v)", e.Event, e.Value, e.Remote, e.Err)
	case <-time.After(10 * time.Second):
		t.Fatal("no DATA_LOST event")
	}
	last := 0
	for last < 80 {
		m := recv(t, sub)
		i := int(binary.BigEndian.Uint32(m[0]))
		if i <= last || len(m[0]) != 500 {
			t.Fatalf("message %d after %d", i, last)
		}
		last = i
	}
}

// Garbage from a third party reaching a subscriber (random octets, bad
// checksums, truncated and oversized packets, forged sessions) and a
// publisher (malformed and misaddressed NAKs) over real sockets is counted
// and ignored: the real stream arrives whole and in order.
func TestGarbageCounted(t *testing.T) {
	rig := pgmtest.NewRig(t)
	zctx := core.NewContext()
	t.Cleanup(func() { zctx.Term() })
	const port = 5557
	subEP, pubEP := rig.Endpoint(1, "epgm", port), rig.Endpoint(0, "epgm", port)
	sub := bindIn(t, zctx, rig, 1, core.SUB, subEP, core.WithSubscribe(""), core.WithRate(100000))
	pub := bindIn(t, zctx, rig, 0, core.PUB, pubEP, core.WithRate(100000))
	var down, up net.Conn // to the group from the publisher's side; to the publisher
	if err := rig.Do(0, func() (err error) {
		down, err = net.Dial("udp4", netip.AddrPortFrom(rig.Group, port).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if err := rig.Do(1, func() (err error) {
		up, err = net.Dial("udp4", netip.AddrPortFrom(rig.Addr[0], port).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	foreign := wire.Hdr{SPort: 4242, DPort: port, GSI: wire.GSI{1, 2, 3, 4, 5, 6}}
	odata := wire.AppendData(nil, foreign, wire.TypeODATA, 7, 0, []byte{0xFF, 0xFF, 'x'}, nil) // no message start: never delivered
	nak := wire.AppendNAK(nil, wire.Hdr{SPort: port, DPort: 4242, GSI: foreign.GSI}, wire.TypeNAK,
		[]uint32{1, 2, 3}, rig.Addr[0], rig.Group)
	flip := func(b []byte) []byte { b = slices.Clone(b); b[len(b)-1] ^= 0x55; return b }
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// the TSDU length says 3 (and its 60 KB overflow the subscriber's
	// socket buffer now and then: the real stream is repaired)
	oversized := slices.Concat(odata, make([]byte, 60000))
	garbage := func(i int) {
		for _, b := range [][]byte{junk(1 + i%40), flip(odata), odata[:10], oversized,
			wire.AppendSPM(nil, foreign, uint32(i), 0, uint32(i), rig.Addr[0], false)} {
			_, _ = down.Write(b)
		}
		for _, b := range [][]byte{junk(1 + i%40), flip(nak), nak[:20], nak} {
			_, _ = up.Write(b)
		}
	}
	msg := func(i int) []byte {
		b := make([]byte, 100+i*10)
		binary.BigEndian.PutUint32(b, uint32(i))
		return b
	}
	const n = 200
	for i := range n {
		if i%2 == 0 {
			garbage(i)
		}
		send(t, pub, msg(i))
	}
	for i := range n {
		m := recv(t, sub)
		if len(m) != 1 || !bytes.Equal(m[0], msg(i)) {
			t.Fatalf("message %d: %d frames, %d octets", i, len(m), len(m[0]))
		}
	}
	var rs, ss *pgm.SessionStats
	for _, st := range pgm.Stats() {
		switch st.Endpoint {
		case subEP:
			rs = &st
		case pubEP:
			ss = &st
		}
	}
	if rs == nil || ss == nil {
		t.Fatalf("no stats for %s and %s: %+v", subEP, pubEP, pgm.Stats())
	}
	t.Logf("subscriber: bad %d, %+v", rs.BadPackets, *rs.Receiver)
	t.Logf("publisher: bad %d, %+v", ss.BadPackets, *ss.Sender)
	if rs.BadPackets < n/2 || rs.Receiver.Lost != 0 || rs.Receiver.PeersAdded < 2 {
		t.Errorf("subscriber: bad %d, %+v", rs.BadPackets, *rs.Receiver)
	}
	if ss.BadPackets < n/2 || ss.Sender.BadUpstream == 0 {
		t.Errorf("publisher: bad %d, %+v", ss.BadPackets, *ss.Sender)
	}
}
