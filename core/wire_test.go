package core_test

// Raw-socket ZMTP tests: a plain net.Conn speaks bytes to a zmqkit socket
// over tcp and checks what comes back byte for byte, as libzmq's
// tests/test_mock_pub_sub.cpp, test_heartbeats.cpp and the testutil.hpp
// fixtures do.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// --- byte builders (independent of package zmtp on purpose) ---

// wSig is a 10-octet signature with padding idLen+1, as libzmq sends.
func wSig(idLen int) []byte {
	b := []byte{0xFF}
	b = binary.BigEndian.AppendUint64(b, uint64(idLen)+1)
	return append(b, 0x7F)
}

// wGreetingRest is octets 11..63: minor, mechanism, as-server, filler.
func wGreetingRest(minor byte, mech string) []byte {
	b := make([]byte, 53)
	b[0] = minor
	copy(b[1:21], mech)
	return b
}

// wGreeting is a whole 64-octet ZMTP 3.x greeting.
func wGreeting(minor byte, mech string) []byte {
	b := append(wSig(0), 3)
	return append(b, wGreetingRest(minor, mech)...)
}

func wProp(name, value string) []byte {
	b := []byte{byte(len(name))}
	b = append(b, name...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// wCommand is a command frame: flags 0x04 (short) or 0x06 (long).
func wCommand(name string, data []byte) []byte {
	body := append([]byte{byte(len(name))}, name...)
	body = append(body, data...)
	return wFrame(0x04, body)
}

func wFrame(flags byte, body []byte) []byte {
	if len(body) > 255 {
		b := binary.BigEndian.AppendUint64([]byte{flags | 0x02}, uint64(len(body)))
		return append(b, body...)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

func wReady(socketType string, extra ...[]byte) []byte {
	data := wProp("Socket-Type", socketType)
	for _, x := range extra {
		data = append(data, x...)
	}
	return wCommand("READY", data)
}

// testutil.hpp's zmtp_ready_dealer: READY from a DEALER without routing id.
var libzmqReadyDealer = []byte("\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00")

// --- connection helpers ---

func wDial(t *testing.T, ep string) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(ep, "tcp://")
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func wWrite(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func wRead(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d octets: %v", n, err)
	}
	return b
}

func wExpect(t *testing.T, c net.Conn, want []byte, what string) {
	t.Helper()
	got := wRead(t, c, len(want))
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got % x\nwant % x", what, got, want)
	}
}

// wQuiet asserts that nothing arrives within d.
func wQuiet(t *testing.T, c net.Conn, d time.Duration, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var b [64]byte
	n, err := c.Read(b[:])
	if n > 0 {
		t.Fatalf("%s: zmqkit sent % x too early", what, b[:n])
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%s: connection ended: %v", what, err)
	}
}

// wClosed asserts that the peer closes the connection within d (anything
// read before is discarded).
func wClosed(t *testing.T, c net.Conn, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	c.SetReadDeadline(deadline)
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s: connection still open after %v", what, d)
		}
		return
	}
}

// wReadFrame reads one ZMTP 3.x frame.
func wReadFrame(t *testing.T, c net.Conn) (byte, []byte) {
	t.Helper()
	h := wRead(t, c, 2)
	flags := h[0]
	size := uint64(h[1])
	if flags&0x02 != 0 {
		rest := wRead(t, c, 7)
		size = binary.BigEndian.Uint64(append([]byte{h[1]}, rest...))
	}
	return flags, wRead(t, c, int(size))
}

// wHandshake does a full NULL handshake as a ZMTP 3.minor peer of type
// socketType, and returns zmqkit's READY frame (flags+size+body).
func wHandshake(t *testing.T, c net.Conn, minor byte, socketType string) []byte {
	t.Helper()
	g := wGreeting(minor, "NULL")
	wWrite(t, c, g)
	peer := wRead(t, c, 64)
	if peer[0] != 0xFF || peer[9] != 0x7F || peer[10] != 3 {
		t.Fatalf("zmqkit greeting % x", peer)
	}
	wWrite(t, c, wReady(socketType))
	flags, body := wReadFrame(t, c)
	if flags != 0x04 {
		t.Fatalf("expected READY command, got flags %#x body %q", flags, body)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

func wBound(t *testing.T, ctx *core.Context, typ core.SocketType, opts ...core.Option) (*core.Socket, string) {
	t.Helper()
	s, err := ctx.NewSocket(typ, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	return s, s.LastEndpoint()
}

func wCtx(t *testing.T) *core.Context {
	ctx := core.NewContext()
	t.Cleanup(func() { ctx.Term() })
	return ctx
}

// --- tests ---

// libzmq sends only the 10-octet signature first; the major version only
// after the peer's signature; the rest only after the peer's major.
func TestWireGreetingSendOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  core.SocketType
		opts []core.Option
		pad  int
	}{
		{"PULL", core.PULL, nil, 0},
		{"DEALER-with-id", core.DEALER, []core.Option{core.WithRoutingID([]byte("abc"))}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := wCtx(t)
			s, ep := wBound(t, ctx, tc.typ, tc.opts...)
			c := wDial(t, ep)
			wExpect(t, c, wSig(tc.pad), "signature (octets 0-9)")
			wQuiet(t, c, 100*time.Millisecond, "before our signature")
			wWrite(t, c, wSig(0))
			wExpect(t, c, []byte{3}, "major version after our signature")
			wQuiet(t, c, 100*time.Millisecond, "before our major version")
			wWrite(t, c, []byte{3})
			wExpect(t, c, wGreetingRest(1, "NULL"), "greeting octets 11-63 (minor 1, NULL, as-server 0, filler)")
			wWrite(t, c, wGreetingRest(1, "NULL"))
			wWrite(t, c, wReady("DEALER"))
			flags, body := wReadFrame(t, c)
			if flags != 0x04 || !bytes.HasPrefix(body, []byte("\x05READY")) {
				t.Fatalf("expected READY, got %#x %q", flags, body)
			}
			if tc.typ == core.DEALER {
				wWrite(t, c, wFrame(0, []byte("hello")))
				cfExpectFrames(t, cfRecv(t, s), "hello")
			}
		})
	}
}

// READY bytes match libzmq's (testutil.hpp zmtp_ready_dealer), and other
// types send Socket-Type only (Identity only for REQ, DEALER, ROUTER).
func TestWireReadyBytes(t *testing.T) {
	for _, tc := range []struct {
		typ  core.SocketType
		opts []core.Option
		want []byte
	}{
		{core.DEALER, nil, libzmqReadyDealer},
		{core.PULL, nil, wReady("PULL")},
		{core.PUB, nil, wReady("PUB")},
		{core.ROUTER, []core.Option{core.WithRoutingID([]byte("R1"))}, wReady("ROUTER", wProp("Identity", "R1"))},
		{core.REQ, nil, wReady("REQ", wProp("Identity", ""))},
		{core.DEALER, []core.Option{core.WithMetadata("X-Color", "red")}, wReady("DEALER", wProp("Identity", ""), wProp("X-Color", "red"))},
	} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			ctx := wCtx(t)
			_, ep := wBound(t, ctx, tc.typ, tc.opts...)
			c := wDial(t, ep)
			peer := map[core.SocketType]string{core.DEALER: "DEALER", core.PULL: "PUSH", core.PUB: "SUB", core.ROUTER: "DEALER", core.REQ: "REP"}[tc.typ]
			got := wHandshake(t, c, 1, peer)
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("READY:\n got % x\nwant % x", got, tc.want)
			}
		})
	}
}

// The peer's metadata reaches messages as properties.
func TestWirePeerProperties(t *testing.T) {
	ctx := wCtx(t)
	s, ep := wBound(t, ctx, core.ROUTER)
	c := wDial(t, ep)
	wWrite(t, c, wGreeting(1, "NULL"))
	wRead(t, c, 64)
	wWrite(t, c, wReady("DEALER", wProp("Identity", "peer-7"), wProp("X-Hello", "world")))
	wReadFrame(t, c)
	wWrite(t, c, wFrame(0, []byte("hi")))
	c2, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	m, err := s.Recv(c2)
	if err != nil {
		t.Fatal(err)
	}
	cfExpectFrames(t, cfFrames(m), "peer-7", "hi")
	for name, want := range map[string]string{"Socket-Type": "DEALER", "Identity": "peer-7", "X-Hello": "world", "Peer-Address": "127.0.0.1"} {
		if v, ok := m.Property(name); !ok || v != want {
			t.Errorf("Property(%q) = %q, %v; want %q", name, v, ok, want)
		}
	}
	// names are case-sensitive, as in libzmq
	if _, ok := m.Property("socket-type"); ok {
		t.Errorf("Property(socket-type) found: lookups must be case-sensitive")
	}
}

// test_mock_pub_sub: a SUB sends subscriptions to a ZMTP 3.0 peer as data
// frames (\x01topic) and to a 3.1 peer as SUBSCRIBE/CANCEL commands.
func TestWireSubscriptionEncodingFromSub(t *testing.T) {
	for _, minor := range []byte{0, 1} {
		t.Run([]string{"zmtp3.0", "zmtp3.1"}[minor], func(t *testing.T) {
			ctx := wCtx(t)
			sub, ep := wBound(t, ctx, core.SUB)
			c := wDial(t, ep)
			wHandshake(t, c, minor, "XPUB")
			time.Sleep(20 * time.Millisecond)
			if err := sub.Subscribe("A"); err != nil {
				t.Fatal(err)
			}
			if minor == 1 {
				wExpect(t, c, []byte("\x04\x0b\x09SUBSCRIBEA"), "SUBSCRIBE command")
			} else {
				wExpect(t, c, []byte("\x00\x02\x01A"), "subscription data frame")
			}
			wWrite(t, c, []byte("\x00\x04ALOL"))
			cfExpectFrames(t, cfRecv(t, sub), "ALOL")
			sub.Unsubscribe("A")
			if minor == 1 {
				wExpect(t, c, []byte("\x04\x08\x06CANCELA"), "CANCEL command")
			} else {
				wExpect(t, c, []byte("\x00\x02\x00A"), "unsubscription data frame")
			}
		})
	}
}

// XPUB accepts subscriptions in both forms whatever the peer's version.
func TestWireSubscriptionDecodingByXPub(t *testing.T) {
	for _, tc := range []struct {
		name  string
		minor byte
		sub   []byte
	}{
		{"zmtp3.1-command", 1, []byte("\x04\x0b\x09SUBSCRIBEA")},
		{"zmtp3.0-legacy", 0, []byte("\x00\x02\x01A")},
		{"zmtp3.0-command", 0, []byte("\x04\x0b\x09SUBSCRIBEA")},
		{"zmtp3.1-legacy", 1, []byte("\x00\x02\x01A")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := wCtx(t)
			xpub, ep := wBound(t, ctx, core.XPUB)
			c := wDial(t, ep)
			wHandshake(t, c, tc.minor, "SUB")
			wWrite(t, c, tc.sub)
			cfExpectFrames(t, cfRecv(t, xpub), "\x01A")
			cfSend(t, xpub, "ALOL")
			cfSend(t, xpub, "BLOL") // not subscribed: filtered
			cfSend(t, xpub, "AB")
			wExpect(t, c, []byte("\x00\x04ALOL\x00\x02AB"), "published frames")
			wWrite(t, c, []byte("\x04\x08\x06CANCELA"))
			cfExpectFrames(t, cfRecv(t, xpub), "\x00A")
		})
	}
}

// test_heartbeats: PING is answered with PONG echoing the context.
func TestWirePingPong(t *testing.T) {
	ctx := wCtx(t)
	_, ep := wBound(t, ctx, core.PULL)
	c := wDial(t, ep)
	wHandshake(t, c, 1, "PUSH")
	for _, pctx := range []string{"", "ctx", "0123456789abcdef"} {
		wWrite(t, c, wCommand("PING", append([]byte{0, 0}, pctx...)))
		wExpect(t, c, wCommand("PONG", []byte(pctx)), "PONG for context "+pctx)
	}
}

// A frame larger than MAXMSGSIZE drops the connection.
func TestWireMaxMsgSize(t *testing.T) {
	ctx := wCtx(t)
	pull, ep := wBound(t, ctx, core.PULL, core.WithMaxMsgSize(10))
	c := wDial(t, ep)
	wHandshake(t, c, 1, "PUSH")
	wWrite(t, c, wFrame(0, []byte("0123456789")))
	cfExpectFrames(t, cfRecv(t, pull), "0123456789")
	wWrite(t, c, wFrame(0, []byte("0123456789X")))
	wClosed(t, c, 2*time.Second, "after an 11-octet frame with MAXMSGSIZE 10")
	cfExpectNothing(t, pull, 50*time.Millisecond)
	// a long-form header announcing a huge frame is refused before allocation
	c2 := wDial(t, ep)
	wHandshake(t, c2, 1, "PUSH")
	wWrite(t, c2, []byte{0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	wClosed(t, c2, 2*time.Second, "after a 2^63 octet frame header")
}

// Garbage in place of a greeting disconnects without harming the socket.
func TestWireGarbageGreeting(t *testing.T) {
	ctx := wCtx(t)
	pull, ep := wBound(t, ctx, core.PULL, core.WithHandshakeInterval(time.Second))
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs [][]byte
	allFF := bytes.Repeat([]byte{0xFF}, 200)
	inputs = append(inputs, allFF)
	for i := 0; i < 8; i++ { // ZMTP 3 signature, random rest: mechanism mismatch
		b := make([]byte, 64+rng.IntN(64))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		b[0], b[9], b[10] = 0xFF, b[9]|1, 3
		b[12] = 'Z' // never a valid mechanism
		inputs = append(inputs, b)
	}
	for i, in := range inputs {
		c := wDial(t, ep)
		wWrite(t, c, in)
		wClosed(t, c, 3*time.Second, "garbage greeting")
		_ = i
	}
	// random garbage of any shape: must not panic or wedge the socket
	for i := 0; i < 16; i++ {
		c := wDial(t, ep)
		b := make([]byte, 1+rng.IntN(300))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		c.Write(b)
		c.Close()
	}
	push, err := ctx.NewSocket(core.PUSH)
	if err != nil {
		t.Fatal(err)
	}
	push.Connect(ep)
	cfSend(t, push, "still-works")
	// random bytes may well form a valid ZMTP/1.0 stream (libzmq takes any
	// first octet but 0xFF as one), so garbage messages may come first
	for {
		f, ok := cfTryRecv(pull, 5*time.Second)
		if !ok {
			t.Fatal("the socket no longer receives after garbage peers")
		}
		if len(f) == 1 && f[0] == "still-works" {
			break
		}
	}
}

// A peer whose greeting names another mechanism (PLAIN) is disconnected.
func TestWireMechanismMismatch(t *testing.T) {
	ctx := wCtx(t)
	_, ep := wBound(t, ctx, core.PULL)
	c := wDial(t, ep)
	wWrite(t, c, wGreeting(1, "PLAIN"))
	wRead(t, c, 64)
	wClosed(t, c, 2*time.Second, "PLAIN greeting to a NULL socket")
}

// An incompatible Socket-Type drops the connection; a connecting zmqkit
// socket then does not reconnect (a protocol error), while after a mere
// connection loss it does.
func TestWireIncompatibleSocketType(t *testing.T) {
	t.Run("accepting", func(t *testing.T) {
		ctx := wCtx(t)
		_, ep := wBound(t, ctx, core.PULL)
		c := wDial(t, ep)
		wWrite(t, c, wGreeting(1, "NULL"))
		wRead(t, c, 64)
		wWrite(t, c, wReady("PULL"))
		wClosed(t, c, 2*time.Second, "PULL peer to a PULL socket")
	})
	t.Run("connecting", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ctx := wCtx(t)
		push, _ := ctx.NewSocket(core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
		push.Connect("tcp://" + ln.Addr().String())
		accept := func(d time.Duration) net.Conn {
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(d))
			c, err := ln.Accept()
			if err != nil {
				return nil
			}
			t.Cleanup(func() { c.Close() })
			return c
		}
		// a plain connection loss: zmqkit reconnects
		c := accept(2 * time.Second)
		if c == nil {
			t.Fatal("no connection")
		}
		c.Close()
		c = accept(2 * time.Second)
		if c == nil {
			t.Fatal("no reconnection after a connection loss")
		}
		// a protocol error: no reconnection
		wWrite(t, c, wGreeting(1, "NULL"))
		wRead(t, c, 64)
		wWrite(t, c, wReady("PUSH"))
		wClosed(t, c, 2*time.Second, "PUSH peer to a PUSH socket")
		if c2 := accept(500 * time.Millisecond); c2 != nil {
			t.Fatal("zmqkit reconnected after a socket-type mismatch (libzmq does not)")
		}
	})
}

// A ZMTP 2.0 peer (revision 1): after its revision octet zmqkit sends its
// socket type octet and an empty identity frame, then v2 framing.
func TestWireZMTP20Peer(t *testing.T) {
	t.Run("PUSH-to-PULL", func(t *testing.T) {
		ctx := wCtx(t)
		pull, ep := wBound(t, ctx, core.PULL)
		c := wDial(t, ep)
		wExpect(t, c, wSig(0), "signature")
		wWrite(t, c, wSig(0))
		wExpect(t, c, []byte{3}, "major")
		wWrite(t, c, []byte{1})       // revision 1 = ZMTP/2.0
		wWrite(t, c, []byte{8, 0, 0}) // socket type PUSH, empty identity frame
		wExpect(t, c, []byte{byte(core.PULL), 0, 0}, "socket type octet and identity frame")
		wWrite(t, c, wFrame(0x01, []byte("hel")))
		wWrite(t, c, wFrame(0, []byte("lo")))
		cfExpectFrames(t, cfRecv(t, pull), "hel", "lo")
	})
	t.Run("PULL-from-PUSH", func(t *testing.T) {
		ctx := wCtx(t)
		push, ep := wBound(t, ctx, core.PUSH)
		c := wDial(t, ep)
		wWrite(t, c, append(wSig(0), 1, byte(core.PULL), 0, 0))
		wExpect(t, c, append(wSig(0), 3, byte(core.PUSH), 0, 0), "v2 handshake")
		cfSend(t, push, "a", "b")
		wExpect(t, c, []byte("\x01\x01a\x00\x01b"), "v2 frames")
	})
}

// A ZMTP 1.0 peer: no signature, an identity frame, then v1 framing
// (length includes the flags octet).
func TestWireZMTP10Peer(t *testing.T) {
	t.Run("PUSH-to-PULL", func(t *testing.T) {
		ctx := wCtx(t)
		pull, ep := wBound(t, ctx, core.PULL)
		c := wDial(t, ep)
		wWrite(t, c, []byte{0x01, 0x00})                 // empty identity
		wWrite(t, c, []byte("\x04\x01abc\x06\x00hello")) // [abc MORE][hello]
		cfExpectFrames(t, cfRecv(t, pull), "abc", "hello")
		// zmqkit's signature doubles as its v1 identity frame
		wExpect(t, c, wSig(0), "signature / identity frame")
	})
	t.Run("PULL-from-PUSH", func(t *testing.T) {
		ctx := wCtx(t)
		push, ep := wBound(t, ctx, core.PUSH)
		c := wDial(t, ep)
		wWrite(t, c, []byte{0x01, 0x00})
		wExpect(t, c, wSig(0), "signature / identity frame")
		cfSend(t, push, "x", "hello")
		big := strings.Repeat("z", 300)
		cfSend(t, push, big)
		want := []byte("\x02\x01x\x06\x00hello")
		want = append(want, 0xFF)
		want = binary.BigEndian.AppendUint64(want, 301)
		want = append(want, 0)
		want = append(want, big...)
		wExpect(t, c, want, "v1 frames")
	})
}

// A peer's stream cut at every kind of place (inside headers and bodies,
// between the frames of a message, after a full read batch) with PINGs
// between the frames of a message: every message arrives whole and in
// order, and every PING is answered.
func TestWireSplitMultipart(t *testing.T) {
	ctx := wCtx(t)
	pull, ep := wBound(t, ctx, core.PULL)
	c := wDial(t, ep)
	wHandshake(t, c, 1, "PUSH")
	rng := rand.New(rand.NewPCG(7, 11))
	sizes := []int{0, 1, 255, 256, 300, 5000, 70000}
	var stream []byte
	var want [][][]byte
	var cuts []int // stream offsets to pause at
	pings := 0
	for i := 0; i < 300; i++ {
		nf := 1 + rng.IntN(4)
		var msg [][]byte
		for j := 0; j < nf; j++ {
			size := sizes[rng.IntN(len(sizes))]
			if i%50 < 40 {
				size = rng.IntN(8) // runs of small messages fill whole read batches
			}
			body := make([]byte, size)
			for k := range body {
				body[k] = byte(i + j + k)
			}
			msg = append(msg, body)
			flags := byte(0)
			if j < nf-1 {
				flags = 0x01
			}
			stream = append(stream, wFrame(flags, body)...)
			if j < nf-1 && rng.IntN(4) == 0 {
				cuts = append(cuts, len(stream)) // between two frames
				if rng.IntN(2) == 0 {
					stream = append(stream, wCommand("PING", []byte{0, 0, 'p'})...)
					pings++
				}
			}
		}
		want = append(want, msg)
		if rng.IntN(8) == 0 {
			cuts = append(cuts, len(stream)-rng.IntN(3)) // inside the last header or body
		}
	}
	cuts = append(cuts, len(stream))
	// The peer writes while the test receives. wHandshake left a 2 s write
	// deadline on c; the pauses between the pieces can add up to more than
	// that on a loaded machine, so the writer sets its own, which only
	// bounds a hang (as the receive deadline does). A failed write ends
	// the receiving with its error.
	rc, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	werr := make(chan error, 1)
	go func() {
		c.SetWriteDeadline(time.Now().Add(60 * time.Second))
		prev := 0
		for _, cut := range cuts {
			if cut <= prev {
				continue
			}
			if _, err := c.Write(stream[prev:cut]); err != nil {
				werr <- fmt.Errorf("peer's write of stream[%d:%d]: %w", prev, cut, err)
				cancel()
				return
			}
			prev = cut
			time.Sleep(200 * time.Microsecond)
		}
		werr <- nil
	}()
	for i, w := range want {
		m, err := pull.Recv(rc)
		if err != nil {
			select {
			case werr := <-werr:
				if werr != nil {
					t.Fatalf("message %d: %v (%v)", i, err, werr)
				}
			default:
			}
			t.Fatalf("message %d: %v", i, err)
		}
		if len(m.Frames) != len(w) {
			t.Fatalf("message %d: %d frames, want %d", i, len(m.Frames), len(w))
		}
		for j := range w {
			if !bytes.Equal(m.Frames[j], w[j]) {
				t.Fatalf("message %d frame %d: %d octets differ from the %d sent", i, j, len(m.Frames[j]), len(w[j]))
			}
		}
	}
	pong := wCommand("PONG", []byte("p"))
	for i := 0; i < pings; i++ {
		wExpect(t, c, pong, "PONG")
	}
}
