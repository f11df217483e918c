package ws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// fakeStream is a transport.StreamConn (and net.Conn) that reads in from
// a fixed input and keeps what is written.
type fakeStream struct {
	in  io.Reader
	mu  sync.Mutex
	out bytes.Buffer
}

func (f *fakeStream) Read(b []byte) (int, error) { return f.in.Read(b) }
func (f *fakeStream) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(b)
}
func (f *fakeStream) Close() error                     { return nil }
func (f *fakeStream) LocalAddr() net.Addr              { return nil }
func (f *fakeStream) RemoteAddr() net.Addr             { return nil }
func (f *fakeStream) SetDeadline(time.Time) error      { return nil }
func (f *fakeStream) SetReadDeadline(time.Time) error  { return nil }
func (f *fakeStream) SetWriteDeadline(time.Time) error { return nil }
func (f *fakeStream) LocalAddress() string             { return "" }
func (f *fakeStream) RemoteAddress() string            { return "" }
func (f *fakeStream) PeerAddress() string              { return "" }
func (f *fakeStream) FD() int                          { return -1 }

var _ transport.StreamConn = (*fakeStream)(nil)

func fakeConn(in []byte, client bool, mech string, maxMsg int64) (*conn, *fakeStream) {
	fs := &fakeStream{in: bytes.NewReader(in)}
	ep := &endpointInfo{scheme: "ws", path: "/", host: "h", hostPort: "h:1", mechanism: mech, maxMsg: maxMsg}
	return newConn(fs, client, ep, &settings{}, "", ""), fs
}

// FuzzReadFrame feeds arbitrary bytes to the data-phase decoder of both
// sides: it must never panic, never return a body over MAXMSGSIZE (or
// MaxCommandSize for commands) and end on a clear error.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("\x82\x85abcd\x61\x0b\x0c\x07\x61"), false) // masked "\x00hello"
	f.Add([]byte("\x82\x06\x00hello\x82\x02\x01a\x82\x01\x02"), true)
	f.Add([]byte("\x89\x00\x8a\x00\x88\x02\x03\xe8"), true)
	f.Add([]byte("\x82\x7e\x00\x04\x00abc"), true)
	f.Add([]byte("\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff"), true)
	f.Add([]byte("\x81\x02\x00x\x02\x02\x00x\x80\x01\x00"), true)
	f.Fuzz(func(t *testing.T, in []byte, client bool) {
		c, _ := fakeConn(in, client, "NULL", 1000)
		c.startData(nil)
		var buf []byte
		for i := 0; i < 1000; i++ {
			body, flags, err := c.ReadFrame(buf[:0])
			if err != nil {
				if !errors.Is(err, transport.ErrProtocol) && !errors.Is(err, io.EOF) &&
					!errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			limit := 1000
			if flags&transport.FlagCommand != 0 {
				limit = transport.MaxCommandSize
			}
			if len(body) > limit || flags&^(transport.FlagMore|transport.FlagCommand) != 0 {
				t.Fatalf("frame of %d octets, flags %#x", len(body), flags)
			}
			buf = body
		}
	})
}

// FuzzRoundTrip writes frames as one side and reads them as the other.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), byte(1), 3, true)
	f.Add(bytes.Repeat([]byte{0xAA}, 70000), byte(4), 1, false)
	f.Add([]byte{}, byte(5), 7, true)
	f.Fuzz(func(t *testing.T, body []byte, flags byte, n int, client bool) {
		flags &= transport.FlagMore | transport.FlagCommand
		n = 1 + n&7
		w, out := fakeConn(nil, client, "NULL", -1)
		w.startData(nil)
		for i := 0; i < n; i++ {
			if err := w.WriteFrame(body[:len(body)*i/n], flags); err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if err := w.Ping(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, _ := fakeConn(out.out.Bytes(), !client, "NULL", -1)
		r.startData(nil)
		for i := 0; i < n; i++ {
			got, fl, err := r.ReadFrame(nil)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if !bytes.Equal(got, body[:len(body)*i/n]) || fl != flags {
				t.Fatalf("frame %d: %d octets flags %#x, want %d flags %#x", i, len(got), fl, len(body)*i/n, flags)
			}
		}
		if _, _, err := r.ReadFrame(nil); !errors.Is(err, io.EOF) {
			t.Fatalf("after the frames: %v", err)
		}
		if n > 1 && r.Activity() != uint64(n+1) {
			t.Fatalf("activity %d, want %d (frames and the ping)", r.Activity(), n+1)
		}
	})
}

// FuzzServerHandshake feeds arbitrary requests to the server side of the
// upgrade: it must not panic, must answer, and must accept only a
// request it can answer with a subprotocol of its mechanism.
func FuzzServerHandshake(f *testing.F) {
	good := "GET /zmq HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	f.Add([]byte(good), "NULL")
	f.Add([]byte(good+"\x82\x81abcd\x61"), "NULL")
	f.Add([]byte(strings.Replace(good, "ZWS2.0/NULL,ZWS2.0", "ZWS2.0/PLAIN", 1)), "PLAIN")
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), "NULL")
	f.Add([]byte("GET / HTTP/1.0\nUpgrade: websocket\nConnection: upgrade\n\n"), "CURVE")
	f.Fuzz(func(t *testing.T, req []byte, mech string) {
		c, out := fakeConn(req, false, mech, -1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := c.Handshake(ctx)
		resp := out.out.String()
		if err == nil {
			if !strings.HasPrefix(resp, "HTTP/1.1 101 Switching Protocols\r\n") || !acceptable(mech, c.proto) {
				t.Fatalf("accepted with %q, protocol %q", resp, c.proto)
			}
			return
		}
		var he *transport.HandshakeError
		if errors.As(err, &he) && !strings.HasPrefix(resp, "HTTP/1.1 4") {
			t.Fatalf("refused (%v) with %q", err, resp)
		}
	})
}

// FuzzClientHandshake feeds arbitrary responses to the client side.
func FuzzClientHandshake(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: x\r\nSec-WebSocket-Protocol: ZWS2.0\r\n\r\n\x82\x01\x00"))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"))
	f.Add([]byte("HTTP/1.1 101 OK\r\n\r\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, resp []byte) {
		c, out := fakeConn(resp, true, "NULL", -1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := c.Handshake(ctx)
		if !strings.HasPrefix(out.out.String(), "GET / HTTP/1.1\r\n") {
			t.Fatalf("request %q", out.out.String())
		}
		if err == nil {
			// a fuzzer can not forge Sec-WebSocket-Accept for a random key
			t.Fatalf("accepted %q", resp)
		}
	})
}

// FuzzParseAddress checks the endpoint parser.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5555", "*:*/x", "[::1]:80/a/b", "host:1/p?q", "h", ":1", "[::1", "a:b:c/d:e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAddress(s, true)
		if err != nil {
			return
		}
		if !strings.HasPrefix(a.path, "/") || a.host == "" || a.port == "" {
			t.Fatalf("%q parsed as %+v", s, a)
		}
		if checkPath(a.path) != nil {
			t.Fatalf("%q: bad path accepted", s)
		}
	})
}
