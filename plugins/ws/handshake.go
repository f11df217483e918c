package ws

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// The ZWS 2.0 subprotocols (RFC 45; "ZWS2.0/CURVE" is libzmq's).
const (
	protoBare = "ZWS2.0"
	protoNull = "ZWS2.0/NULL"
)

// maxHead bounds the HTTP request or response head: libzmq's ws engine
// has an 8 KiB buffer; responses get a little more room.
const (
	maxRequestHead  = 8 << 10
	maxResponseHead = 16 << 10
)

// offers lists the subprotocols a client with mechanism mech offers, in
// libzmq's order: "ZWS2.0/NULL", "ZWS2.0" for NULL ("ZWS2.0" first with
// BareFirst), "ZWS2.0/<MECHANISM>" otherwise.
func offers(mech string, bareFirst bool) []string {
	switch mech {
	case "", "NULL":
		if bareFirst {
			return []string{protoBare, protoNull}
		}
		return []string{protoNull, protoBare}
	}
	return []string{"ZWS2.0/" + mech}
}

// acceptable reports whether a server with mechanism mech speaks
// subprotocol p: NULL takes "ZWS2.0/NULL" and the bare "ZWS2.0".
func acceptable(mech, p string) bool {
	switch mech {
	case "", "NULL":
		return strings.EqualFold(p, protoNull) || strings.EqualFold(p, protoBare)
	}
	return strings.EqualFold(p, "ZWS2.0/"+mech)
}

// choose picks the subprotocol as libzmq does: the first of the client's
// offers (in the client's order) that the server's mechanism speaks.
func choose(mech string, offered []string) string {
	for _, p := range offered {
		if acceptable(mech, p) {
			return p
		}
	}
	return ""
}

// headerTokens splits the comma-separated values of header h.
func headerTokens(hdr http.Header, h string) []string {
	var out []string
	for _, v := range hdr.Values(h) {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func hasToken(hdr http.Header, h, token string) bool {
	for _, t := range headerTokens(hdr, h) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}

func modeOf(proto string) transport.FrameMode {
	if strings.EqualFold(proto, protoBare) {
		return transport.FrameRoutingID
	}
	return transport.FrameMechanism
}

// refused is a handshake failure of the peer's making:
// HANDSHAKE_FAILED_PROTOCOL with ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED.
func refused(format string, args ...any) error {
	return &transport.HandshakeError{Code: mechanism.ErrWSUnspecified, Err: fmt.Errorf(format, args...)}
}

// Handshake runs the TLS handshake (wss) and the HTTP upgrade within
// ctx: the client offers its mechanism's subprotocols, the server takes
// the first one its mechanism speaks, in the client's order, as libzmq
// does. A request that is no WebSocket upgrade, or offers no acceptable
// subprotocol, is answered "400 Bad Request" (libzmq closes without a
// word); a refusal is a *transport.HandshakeError.
func (c *conn) Handshake(ctx context.Context) error {
	release := c.bound(ctx)
	defer release()
	if c.client {
		return c.clientHandshake(ctx)
	}
	return c.serverHandshake(ctx)
}

// aLongTimeAgo is a deadline in the past: it interrupts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// bound puts ctx's deadline on the connection and interrupts its I/O when
// ctx is cancelled; release undoes both.
func (c *conn) bound(ctx context.Context) (release func()) {
	raw := c.nc // TLS, once started, sets its deadlines on this one
	if d, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(d)
	}
	var mu sync.Mutex
	done := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		if !done {
			_ = raw.SetDeadline(aLongTimeAgo)
		}
		mu.Unlock()
	})
	return func() {
		stop()
		mu.Lock()
		done = true
		_ = raw.SetDeadline(time.Time{})
		mu.Unlock()
	}
}

// startTLS runs the TLS handshake of a wss connection.
func (c *conn) startTLS(ctx context.Context) error {
	if c.scheme != "wss" || c.tlsDone {
		return nil
	}
	var tc *tls.Conn
	if c.client {
		tc = tls.Client(c.nc, c.st.tls)
	} else {
		tc = tls.Server(c.nc, c.st.tls)
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && !c.client && rh.Conn != nil {
			// plaintext to a wss endpoint: tell an HTTP client so, as
			// net/http's TLS server does
			_, _ = io.WriteString(rh.Conn, "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n"+
				"zmq: plaintext request to a wss (TLS) endpoint\n")
			return refused("wss: TLS handshake: the client did not speak TLS: %w", err)
		}
		if errors.As(err, &rh) && c.client {
			return refused("wss: TLS handshake: the server did not speak TLS (a ws endpoint?): %w", err)
		}
		return fmt.Errorf("wss: TLS handshake: %w", err)
	}
	c.nc, c.tlsDone = tc, true
	return nil
}

// ---------------------------------------------------------------------
// Server side.

// errHeadTooLarge is a request head over maxRequestHead; errNotHTTP
// input that can not start an HTTP message (a TLS ClientHello to a ws
// endpoint, say): it is refused at once instead of waiting for a head that
// will never come.
var (
	errHeadTooLarge = errors.New("request head too large")
	errNotHTTP      = errors.New("not HTTP")
)

// readHead reads an HTTP head (up to and including the empty line) from
// r; rest is what was read past it.
func readHead(r io.Reader, max int) (head, rest []byte, err error) {
	buf := make([]byte, 0, 1024)
	for {
		if i := headEnd(buf); i >= 0 {
			return buf[:i], buf[i:], nil
		}
		if len(buf) >= max {
			return nil, nil, errHeadTooLarge
		}
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(2*cap(buf), max))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > 0 && !(buf[0] >= 'A' && buf[0] <= 'Z' || buf[0] >= 'a' && buf[0] <= 'z') {
			return nil, nil, errNotHTTP
		}
		if err != nil {
			if i := headEnd(buf); i >= 0 {
				return buf[:i], buf[i:], nil
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, err
		}
	}
}

// headEnd returns the length of the head in b (through the empty line
// that ends it, CRLF or bare LF), or -1.
func headEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

// parseRequest parses a request head.
func parseRequest(head []byte) (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
}

// upgradeWriter is the http.ResponseWriter coder/websocket's Accept
// writes its response into; serverHandshake sends it.
type upgradeWriter struct {
	hdr      http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (w *upgradeWriter) Header() http.Header {
	if w.hdr == nil {
		w.hdr = http.Header{}
	}
	return w.hdr
}

func (w *upgradeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *upgradeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// Hijack hands coder/websocket a connection it does nothing with: the
// data phase is conn's own.
func (w *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return nopConn{}, bufio.NewReadWriter(bufio.NewReader(eofReader{}), bufio.NewWriter(io.Discard)), nil
}

// response formats the response head and body.
func (w *upgradeWriter) response() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
	if w.status != http.StatusSwitchingProtocols {
		w.Header().Set("Connection", "close")
		w.Header().Set("Content-Length", fmt.Sprint(w.body.Len()))
	}
	_ = w.Header().Write(&b)
	b.WriteString("\r\n")
	if w.status != http.StatusSwitchingProtocols {
		b.Write(w.body.Bytes())
	}
	return b.Bytes()
}

// refuse answers the request with status and reason and returns the
// handshake error.
func (c *conn) refuse(status int, reason string) error {
	w := &upgradeWriter{}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if status == http.StatusBadRequest {
		w.Header().Set("Sec-WebSocket-Version", "13")
	}
	w.WriteHeader(status)
	fmt.Fprintf(&w.body, "zmq: %s\n", reason)
	_, _ = c.nc.Write(w.response())
	return refused("%s: upgrade refused (%d): %s", c.scheme, status, reason)
}

func (c *conn) serverHandshake(ctx context.Context) error {
	if err := c.startTLS(ctx); err != nil {
		return err
	}
	head, rest := c.head, c.rest
	if head == nil {
		var err error
		if head, rest, err = readHead(c.nc, maxRequestHead); err != nil {
			if errors.Is(err, errHeadTooLarge) {
				return c.refuse(http.StatusRequestHeaderFieldsTooLarge, "request head over 8 KiB")
			}
			if errors.Is(err, errNotHTTP) {
				return c.refuse(http.StatusBadRequest, "not an HTTP request (TLS to a ws:// endpoint?)")
			}
			return err
		}
	}
	c.head, c.rest = nil, nil
	req, err := parseRequest(head)
	if err != nil {
		return c.refuse(http.StatusBadRequest, "malformed HTTP request: "+err.Error())
	}
	if !hasToken(req.Header, "Upgrade", "websocket") || !hasToken(req.Header, "Connection", "upgrade") {
		return c.refuse(http.StatusBadRequest, "not a WebSocket upgrade: this is a ZeroMQ endpoint "+
			"(ZWS 2.0, RFC 45): connect with a WebSocket client offering the subprotocol "+
			strings.Join(offers(c.ep.mechanism, false), " or "))
	}
	offered := headerTokens(req.Header, "Sec-WebSocket-Protocol")
	proto := choose(c.ep.mechanism, offered)
	if proto == "" {
		return c.refuse(http.StatusBadRequest, fmt.Sprintf("no acceptable subprotocol: offered %q, this socket speaks %s",
			offered, strings.Join(offers(c.ep.mechanism, false), " or ")))
	}
	opts := &websocket.AcceptOptions{Subprotocols: []string{proto}, CompressionMode: websocket.CompressionDisabled}
	if len(c.st.origins) > 0 {
		opts.OriginPatterns = c.st.origins
	} else {
		opts.InsecureSkipVerify = true // libzmq does not look at Origin
	}
	w := &upgradeWriter{}
	if _, err := websocket.Accept(w, req, opts); err != nil || !w.hijacked || w.status != http.StatusSwitchingProtocols {
		if w.status == 0 || w.status == http.StatusSwitchingProtocols {
			w.status, w.hdr = http.StatusBadRequest, nil
		}
		if w.status == http.StatusUpgradeRequired {
			w.status = http.StatusBadRequest
		}
		_, _ = c.nc.Write(w.response())
		return refused("%s: upgrade refused (%d): %v", c.scheme, w.status, err)
	}
	if _, err := c.nc.Write(w.response()); err != nil {
		return err
	}
	c.proto, c.mode = w.hdr.Get("Sec-WebSocket-Protocol"), modeOf(proto)
	return c.startData(rest)
}

// nopConn is the connection upgradeWriter hands coder/websocket.
type nopConn struct{}

func (nopConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (nopConn) Write(b []byte) (int, error)      { return len(b), nil }
func (nopConn) Close() error                     { return nil }
func (nopConn) LocalAddr() net.Addr              { return nil }
func (nopConn) RemoteAddr() net.Addr             { return nil }
func (nopConn) SetDeadline(time.Time) error      { return nil }
func (nopConn) SetReadDeadline(time.Time) error  { return nil }
func (nopConn) SetWriteDeadline(time.Time) error { return nil }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// ---------------------------------------------------------------------
// Client side.

func (c *conn) clientHandshake(ctx context.Context) error {
	if err := c.startTLS(ctx); err != nil {
		return err
	}
	rt := &upgradeTransport{c: c}
	hc := &http.Client{Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	offered := offers(c.ep.mechanism, c.st.bareFirst)
	url := "ws://" + c.ep.hostPort + c.ep.path
	_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc, Subprotocols: offered,
		CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if rt.answered || rt.malformed {
			status := ""
			if resp != nil {
				status = resp.Status
			}
			return refused("%s: upgrade refused %s: %w", c.scheme, status, err)
		}
		if rt.ioErr != nil {
			return rt.ioErr
		}
		return err
	}
	proto := resp.Header.Get("Sec-WebSocket-Protocol")
	ok := false
	for _, p := range offered {
		ok = ok || strings.EqualFold(p, proto)
	}
	if !ok {
		return refused("%s: the server chose subprotocol %q; offered %q", c.scheme, proto, offered)
	}
	c.proto, c.mode = proto, modeOf(proto)
	return c.startData(rt.rest)
}

// upgradeTransport is the http.RoundTripper coder/websocket's Dial runs
// its request through: one request on the connection already made, its
// response read with a bounded head, and what follows the head kept for
// the data phase.
type upgradeTransport struct {
	c         *conn
	used      bool
	answered  bool // a well-formed response came
	malformed bool // something came that is no HTTP response
	ioErr     error
	rest      []byte
}

func (rt *upgradeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt.used {
		return nil, errors.New("ws: the server redirected the upgrade")
	}
	rt.used = true
	if err := req.Write(rt.c.nc); err != nil {
		rt.ioErr = err
		return nil, err
	}
	lr := &io.LimitedReader{R: rt.c.nc, N: maxResponseHead}
	br := bufio.NewReaderSize(lr, 4096)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		var ne net.Error
		switch {
		case lr.N == 0:
			rt.malformed = true
			err = fmt.Errorf("response head over %d octets: %w", maxResponseHead, err)
		case errors.As(err, &ne), errors.Is(err, net.ErrClosed), br.Buffered() == 0 && lr.N == maxResponseHead:
			rt.ioErr = err // nothing, or the connection failed
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			rt.ioErr = err
		default:
			rt.malformed = true
		}
		return nil, err
	}
	rt.answered = true
	b, _ := br.Peek(br.Buffered())
	if resp.StatusCode == http.StatusSwitchingProtocols {
		rt.rest = append([]byte(nil), b...)
		resp.Body = nopBody{}
	} else {
		resp.Body = io.NopCloser(bytes.NewReader(append([]byte(nil), b[:min(len(b), 1024)]...)))
	}
	return resp, nil
}

// nopBody is the body of a 101 response: coder/websocket only requires
// it to be an io.ReadWriteCloser.
type nopBody struct{}

func (nopBody) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopBody) Write(b []byte) (int, error) { return len(b), nil }
func (nopBody) Close() error                { return nil }
