package ws_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// rawClient speaks HTTP and WebSocket by hand to a zmqkit ws bind, to
// send what no well-behaved client would.
type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// hostPort returns "HOST:PORT" of a ws endpoint.
func hostPort(ep string) string {
	rest := ep[strings.Index(ep, "://")+3:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func rawDial(t *testing.T, ep string) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", hostPort(ep), wait)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(wait))
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

// upgradeRequest is a well-formed upgrade request for path offering
// protocols, with extra header lines.
func upgradeRequest(path, protocols string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path)
	b.WriteString("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	if protocols != "" {
		fmt.Fprintf(&b, "Sec-WebSocket-Protocol: %s\r\n", protocols)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// send writes s.
func (r *rawClient) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatal(err)
	}
}

// response reads an HTTP response and its body.
func (r *rawClient) response() (*http.Response, string) {
	r.t.Helper()
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		r.t.Fatalf("reading the response: %v", err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ = io.ReadAll(resp.Body)
	}
	return resp, string(body)
}

// upgrade sends an upgrade request and expects 101 with protocol want.
func (r *rawClient) upgrade(path, protocols, want string) {
	r.t.Helper()
	r.send(upgradeRequest(path, protocols))
	resp, body := r.response()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		r.t.Fatalf("upgrade: %s %s", resp.Status, body)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != want {
		r.t.Fatalf("subprotocol %q, want %q", got, want)
	}
}

// frame builds a WebSocket frame: b0 is FIN/RSV/opcode, masked masks it.
func frame(b0 byte, masked bool, payload []byte) []byte {
	out := []byte{b0}
	mb := byte(0)
	if masked {
		mb = 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, mb|byte(n))
	case n <= 65535:
		out = append(out, mb|126, byte(n>>8), byte(n))
	default:
		out = append(out, mb|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !masked {
		return append(out, payload...)
	}
	var key [4]byte
	_, _ = rand.Read(key[:])
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

// zws is a masked binary frame of a ZWS message: flags octet and body.
func zws(flags byte, body string) []byte {
	return frame(0x82, true, append([]byte{flags}, body...))
}

func (r *rawClient) write(b []byte) {
	r.t.Helper()
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// readFrame reads one frame from the server (which must not mask).
func (r *rawClient) readFrame() (b0 byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		return 0, nil, fmt.Errorf("masked frame from the server")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(r.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(r.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r.br, payload)
	return h[0], payload, err
}

// expectFrame reads a frame and checks its first octet and payload.
func (r *rawClient) expectFrame(b0 byte, payload string) {
	r.t.Helper()
	got0, got, err := r.readFrame()
	if err != nil {
		r.t.Fatalf("reading a frame: %v", err)
	}
	if got0 != b0 || string(got) != payload {
		r.t.Fatalf("frame %#x %q, want %#x %q", got0, got, b0, payload)
	}
}

// expectClose reads frames until a close frame with code, then expects
// the connection to end.
func (r *rawClient) expectClose(code int) {
	r.t.Helper()
	for {
		b0, p, err := r.readFrame()
		if err != nil {
			r.t.Fatalf("no close frame: %v", err)
		}
		if b0 != 0x88 {
			continue
		}
		if len(p) < 2 || int(binary.BigEndian.Uint16(p)) != code {
			r.t.Fatalf("close frame %q, want code %d", p, code)
		}
		break
	}
	r.expectEOF()
}

// expectEOF expects the server to close the connection.
func (r *rawClient) expectEOF() {
	r.t.Helper()
	for {
		if _, err := r.br.ReadByte(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				r.t.Fatal("the server did not close the connection")
			}
			return
		}
	}
}

// watch returns s's monitor events.
func watch(t *testing.T, s *core.Socket) <-chan core.MonitorEvent {
	t.Helper()
	ch, err := s.WatchEvents(t.Context(), core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// expectEvents waits for the kinds in want, in order, skipping others.
func expectEvents(t *testing.T, ch <-chan core.MonitorEvent, want ...core.Event) []core.MonitorEvent {
	t.Helper()
	var got []core.MonitorEvent
	deadline := time.After(wait)
	for len(want) > 0 {
		select {
		case ev := <-ch:
			if ev.Event == want[0] {
				got = append(got, ev)
				want = want[1:]
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %v; got %v", want, got)
		}
	}
	return got
}

// noEvent asserts that no event of kind k arrives within d.
func noEvent(t *testing.T, ch <-chan core.MonitorEvent, d time.Duration, k core.Event) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-ch:
			if ev.Event == k {
				t.Fatalf("unexpected %v: %+v", k, ev)
			}
		case <-deadline:
			return
		}
	}
}

func recvString(t *testing.T, s *core.Socket) []string {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := s.Recv(c)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	out := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = string(f)
	}
	return out
}

func sendString(t *testing.T, s *core.Socket, frames ...string) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.Send(c, core.NewMsgString(frames...)); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func expectNothing(t *testing.T, s *core.Socket, d time.Duration) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := s.Recv(c); err == nil {
		t.Fatalf("received %q, expected nothing", m.Frames)
	}
}
