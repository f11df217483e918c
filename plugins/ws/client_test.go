package ws_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/ws"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

// rawServer accepts connections by hand, to see what a zmqkit client
// sends and to answer what no well-behaved server would.
type rawServer struct {
	t     *testing.T
	ln    net.Listener
	conns chan net.Conn
}

func newRawServer(t *testing.T) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{t: t, ln: ln, conns: make(chan net.Conn, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for {
			select {
			case c := <-s.conns:
				c.Close()
				continue
			default:
			}
			return
		}
	})
	return s
}

func (s *rawServer) endpoint(path string) string { return "ws://" + s.ln.Addr().String() + path }

// next returns the next connection and the request it sent.
func (s *rawServer) next() (net.Conn, *bufio.Reader, *http.Request) {
	s.t.Helper()
	select {
	case c := <-s.conns:
		s.t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(wait))
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			s.t.Fatalf("reading the request: %v", err)
		}
		return c, br, req
	case <-time.After(wait):
		s.t.Fatal("no connection")
		return nil, nil, nil
	}
}

// nothing asserts that no connection comes within d.
func (s *rawServer) nothing(d time.Duration) {
	s.t.Helper()
	select {
	case c := <-s.conns:
		c.Close()
		s.t.Fatal("the client connected again")
	case <-time.After(d):
	}
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// switching is a 101 response to req choosing protocol.
func switching(req *http.Request, protocol string) string {
	r := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
	if protocol != "" {
		r += "Sec-WebSocket-Protocol: " + protocol + "\r\n"
	}
	return r + "\r\n"
}

// What a zmqkit client offers: libzmq's lists, bare ZWS2.0 first on
// request (for jszmq's server, which takes the first offer), the path,
// version 13, no compression.
func TestClientOffers(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []core.Option
		want string
	}{
		{"NULL", nil, "ZWS2.0/NULL,ZWS2.0"},
		{"NULL bare first", []core.Option{core.WithTransportOption(ws.BareFirst(true))}, "ZWS2.0,ZWS2.0/NULL"},
		{"PLAIN", []core.Option{core.WithMechanism(plain.Client("u", "p"))}, "ZWS2.0/PLAIN"},
		{"CURVE", []core.Option{core.WithMechanism("CURVE", false, map[string][]byte{
			"CURVE_SERVERKEY": make([]byte, 32), "CURVE_PUBLICKEY": make([]byte, 32), "CURVE_SECRETKEY": make([]byte, 32)})},
			"ZWS2.0/CURVE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t)
			push := sock(t, newCtx(t), core.PUSH, tc.opts...)
			if err := push.Connect(srv.endpoint("/some/path")); err != nil {
				t.Fatal(err)
			}
			_, _, req := srv.next()
			if got := strings.Join(req.Header.Values("Sec-WebSocket-Protocol"), ","); got != tc.want {
				t.Errorf("offered %q, want %q", got, tc.want)
			}
			if req.URL.Path != "/some/path" || req.Method != "GET" {
				t.Errorf("request %s %s", req.Method, req.URL)
			}
			if req.Header.Get("Sec-WebSocket-Version") != "13" || req.Header.Get("Sec-WebSocket-Extensions") != "" {
				t.Errorf("headers %v", req.Header)
			}
		})
	}
}

// Servers that break the upgrade: a refusal ends the endpoint, as a
// protocol error does in libzmq (HANDSHAKE_FAILED_PROTOCOL, no reconnect);
// a server that just closes is a connection error (reconnect).
func TestClientRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(req *http.Request) string
	}{
		{"404", func(*http.Request) string {
			return "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
		}},
		{"protocol not offered", func(r *http.Request) string { return switching(r, "ZWS2.0/PLAIN") }},
		{"no protocol", func(r *http.Request) string { return switching(r, "") }},
		{"bad accept key", func(r *http.Request) string {
			return strings.Replace(switching(r, "ZWS2.0"), acceptKey(r.Header.Get("Sec-WebSocket-Key")), "bogus", 1)
		}},
		{"not HTTP", func(*http.Request) string { return "SSH-2.0-OpenSSH_9.2\r\n\r\n" }},
		{"head too large", func(*http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nX: " + strings.Repeat("x", 20000) + "\r\n\r\n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t)
			push := sock(t, newCtx(t), core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
			ev := watch(t, push)
			if err := push.Connect(srv.endpoint("/")); err != nil {
				t.Fatal(err)
			}
			c, _, req := srv.next()
			_, _ = io.WriteString(c, tc.answer(req))
			got := expectEvents(t, ev, core.EventConnected, core.EventHandshakeFailedProtocol, core.EventDisconnected)
			if got[1].Value != uint64(core.ProtocolErrorWSUnspecified) {
				t.Errorf("HANDSHAKE_FAILED_PROTOCOL value %#x", got[1].Value)
			}
			srv.nothing(200 * time.Millisecond)
		})
	}
	t.Run("closed without an answer", func(t *testing.T) {
		// libzmq's server with no matching subprotocol closes in silence
		srv := newRawServer(t)
		push := sock(t, newCtx(t), core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
		ev := watch(t, push)
		if err := push.Connect(srv.endpoint("/")); err != nil {
			t.Fatal(err)
		}
		c, _, _ := srv.next()
		c.Close()
		expectEvents(t, ev, core.EventConnected, core.EventHandshakeFailedNoDetail, core.EventDisconnected,
			core.EventConnectRetried)
		c2, _, _ := srv.next() // it tries again
		c2.Close()
	})
	t.Run("masked server frame", func(t *testing.T) {
		srv := newRawServer(t)
		push := sock(t, newCtx(t), core.PUSH)
		ev := watch(t, push)
		if err := push.Connect(srv.endpoint("/")); err != nil {
			t.Fatal(err)
		}
		c, _, req := srv.next()
		_, _ = io.WriteString(c, switching(req, "ZWS2.0"))
		_, _ = c.Write(zws(0, "")) // masked: a client's frame
		expectEvents(t, ev, core.EventConnected, core.EventDisconnected)
	})
}

// A bare ZWS2.0 server (jszmq's kind) is spoken to without READY.
func TestClientBare(t *testing.T) {
	srv := newRawServer(t)
	dealer := sock(t, newCtx(t), core.DEALER, core.WithRoutingID([]byte("me")),
		core.WithTransportOption(ws.BareFirst(true)))
	if err := dealer.Connect(srv.endpoint("/")); err != nil {
		t.Fatal(err)
	}
	c, br, req := srv.next()
	_, _ = io.WriteString(c, switching(req, "ZWS2.0"))
	r := &rawClient{t: t, c: c, br: br}
	// the client's frames are masked: read them unmasked by hand
	readMasked := func() (byte, []byte) {
		t.Helper()
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatal(err)
		}
		if h[1]&0x80 == 0 {
			t.Fatal("unmasked client frame")
		}
		n := int(h[1] & 0x7f)
		var key [4]byte
		if _, err := io.ReadFull(br, key[:]); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			t.Fatal(err)
		}
		for i := range p {
			p[i] ^= key[i&3]
		}
		return h[0], p
	}
	if b0, p := readMasked(); b0 != 0x82 || string(p) != "\x00me" {
		t.Fatalf("routing id frame %#x %q", b0, p)
	}
	_, _ = c.Write(frame(0x82, false, []byte("\x00srv")))
	_, _ = c.Write(frame(0x82, false, []byte("\x00hello")))
	if got := recvString(t, dealer); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("received %q", got)
	}
	sendString(t, dealer, "a", "b")
	if b0, p := readMasked(); b0 != 0x82 || string(p) != "\x01a" {
		t.Fatalf("frame %#x %q", b0, p)
	}
	if b0, p := readMasked(); b0 != 0x82 || string(p) != "\x00b" {
		t.Fatalf("frame %#x %q", b0, p)
	}
	_ = r
}

// The TCP part is the tcp plugin's: a refused connect reports
// CONNECT_DELAYED, CLOSED, CONNECT_RETRIED with the ws endpoint.
func TestClientConnectRetried(t *testing.T) {
	ep := "ws://" + freeport.MustTCP(t) + "/x"
	push := sock(t, newCtx(t), core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
	ev := watch(t, push)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	got := expectEvents(t, ev, core.EventConnectDelayed, core.EventClosed, core.EventConnectRetried)
	for _, e := range got {
		if e.Endpoint != ep {
			t.Errorf("%v endpoint %q, want %q", e.Event, e.Endpoint, ep)
		}
	}
	if got[1].Errno != syscall.ECONNREFUSED && got[1].Err == nil {
		t.Errorf("CLOSED %+v", got[1])
	}
}

var _ = fmt.Sprint
