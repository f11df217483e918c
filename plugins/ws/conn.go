package ws

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqkit/zmqkit/internal/bufpool"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/zmtp"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// ZWS 2.0 flags (RFC 45): the first octet of every binary message.
const (
	zwsMore    = 0x01
	zwsCommand = 0x02
)

// WebSocket close status codes (RFC 6455 §7.4.1).
const (
	closeNormal      = 1000
	closeProtocol    = 1002
	closeUnsupported = 1003
	closeTooBig      = 1009
)

// Buffer sizes of the data phase.
const (
	readBufSize  = 64 << 10
	writeBufSize = 64 << 10
	// flushAt: WriteFrame writes the buffer out once it holds this much,
	// so a stream of small frames goes out in large writes.
	flushAt = 32 << 10
	// largeBody: unmasked bodies this large are written in place (writev)
	// instead of being copied into the write buffer.
	largeBody  = 16 << 10
	maxHeader  = 14 // 2 + 8 (length) + 4 (mask key)
	maxControl = 125
)

// conn is one ws or wss connection: a transport.FrameConn carrying ZWS
// 2.0 frames. Its Handshake runs the TLS handshake (wss) and the HTTP
// upgrade; then every ZeroMQ frame is one binary WebSocket message of a
// flags octet and the body, read and written by conn itself (the
// upgrade goes through coder/websocket).
type conn struct {
	sc     transport.StreamConn // the TCP connection
	nc     net.Conn             // what the data phase runs over: sc, or TLS over it
	client bool
	scheme string
	ep     *endpointInfo // what the bind or connect knows
	st     *settings
	local  string
	remote string

	// set by the port router of a shared port (server): the request head
	// and what followed it, already read
	head, rest []byte

	tlsDone bool
	hsDone  atomic.Bool
	proto   string // the negotiated subprotocol
	mode    transport.FrameMode

	// reader (one goroutine)
	rd       *zmtp.Reader
	ctl      [maxControl]byte
	maxMsg   int64
	activity atomic.Uint64

	// writer (one goroutine)
	wbuf  []byte  // nil between batches (see Flush)
	wbufp *[]byte // wbuf's pooled storage
	iov   [][]byte
	bw    transport.Buffers // writev, when the connection has it (not TLS)
	rng   *mrand.ChaCha8    // the client's masking keys

	// wmu serialises writes to nc: the writer's, and the control frames
	// (pong, close) that the reader and Close send.
	wmu     sync.Mutex
	ctlMu   sync.Mutex
	pending []byte // control frames drainControl is to send (ctlMu)
	ctlBusy bool   // a drainControl goroutine is under way (ctlMu)

	closed   atomic.Bool
	sentClos atomic.Bool
}

// endpointInfo is what a bind or a connect tells its connections.
type endpointInfo struct {
	scheme    string
	path      string // request path (client), bind path (server)
	host      string // client: the host to put in the request
	hostPort  string // client: HOST:PORT as given
	mechanism string
	maxMsg    int64
}

var (
	_ transport.FrameConn   = (*conn)(nil)
	_ transport.FrameModer  = (*conn)(nil)
	_ transport.Handshaker  = (*conn)(nil)
	_ transport.Pinger      = (*conn)(nil)
	_ transport.FrameBuffer = (*conn)(nil)
)

func newConn(sc transport.StreamConn, client bool, ep *endpointInfo, st *settings, local, remote string) *conn {
	c := &conn{sc: sc, nc: asNetConn(sc), client: client, scheme: ep.scheme, ep: ep, st: st, local: local, remote: remote,
		maxMsg: ep.maxMsg}
	if client {
		var seed [32]byte
		_, _ = rand.Read(seed[:])
		c.rng = mrand.NewChaCha8(seed)
	}
	return c
}

// LocalAddress is the local endpoint: "ws://IP:PORT", with the bind's
// path on the accepting side (the endpoint libzmq's monitor reports).
func (c *conn) LocalAddress() string { return c.local }

// RemoteAddress is the peer's endpoint: "ws://IP:PORT", with the path on
// the connecting side.
func (c *conn) RemoteAddress() string { return c.remote }

// PeerAddress is the peer's numeric IP (ZMQ's Peer-Address property).
func (c *conn) PeerAddress() string { return c.sc.PeerAddress() }

// FD is the TCP connection's descriptor.
func (c *conn) FD() int { return c.sc.FD() }

// FrameMode is FrameRoutingID for the bare "ZWS2.0" subprotocol and
// FrameMechanism for "ZWS2.0/NULL", "/PLAIN" and "/CURVE".
func (c *conn) FrameMode() transport.FrameMode { return c.mode }

// Subprotocol is the negotiated subprotocol ("" before Handshake).
func (c *conn) Subprotocol() string { return c.proto }

// Close sends a WebSocket close frame if it can do so at once and closes
// the connection. A second Close returns an error wrapping ErrClosed.
func (c *conn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("%s: close: %w", c.scheme, transport.ErrClosed)
	}
	if c.hsDone.Load() && !c.sentClos.Load() && c.wmu.TryLock() {
		if !c.sentClos.Swap(true) {
			_ = c.nc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			var b [maxHeader + 2]byte
			_, _ = c.nc.Write(c.controlFrame(b[:0], opClose, closePayload(closeNormal, nil)))
		}
		c.wmu.Unlock()
	}
	// the TCP connection itself: closing the TLS layer would first try to
	// send close_notify, which may wait for a peer that does not read
	return c.sc.Close()
}

func closePayload(code int, reason []byte) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	if len(reason) > maxControl-2 {
		reason = reason[:maxControl-2]
	}
	return append(p, reason...)
}

// ---------------------------------------------------------------------
// Writing.

// writerKey returns a masking key for the writer goroutine (client side).
func (c *conn) writerKey() (key [4]byte) {
	if c.client {
		binary.LittleEndian.PutUint32(key[:], uint32(c.rng.Uint64()))
	}
	return key
}

// randomKey returns a masking key from crypto/rand, for control frames
// built outside the writer goroutine.
func randomKey() (key [4]byte) {
	_, _ = rand.Read(key[:])
	return key
}

// appendHeader appends a FIN frame header of opcode op for a payload of
// n octets, with the masking key on the client side.
func (c *conn) appendHeader(dst []byte, op byte, n int, key [4]byte) []byte {
	b1 := byte(0)
	if c.client {
		b1 = 0x80
	}
	dst = append(dst, 0x80|op)
	switch {
	case n <= 125:
		dst = append(dst, b1|byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, b1|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if c.client {
		dst = append(dst, key[:]...)
	}
	return dst
}

// controlFrame appends a whole control frame. Its masking key comes from
// crypto/rand: control frames are built outside the writer goroutine.
func (c *conn) controlFrame(dst []byte, op byte, payload []byte) []byte {
	key := randomKey()
	dst = c.appendHeader(dst, op, len(payload), key)
	s := len(dst)
	dst = append(dst, payload...)
	if c.client {
		mask(key, 0, dst[s:])
	}
	return dst
}

func zwsFlags(flags byte) byte {
	z := flags & transport.FlagMore
	if flags&transport.FlagCommand != 0 {
		z |= zwsCommand
	}
	return z
}

// WriteFrame queues one frame as a binary message: the ZWS flags octet,
// then body. Bodies are copied (and masked, on the client side), except
// large unmasked ones, which are written at once with what is buffered.
func (c *conn) WriteFrame(body []byte, flags byte) error {
	c.takeWriteBuf()
	n := len(body) + 1
	if !c.client && c.bw != nil && len(body) >= largeBody {
		c.wbuf = c.appendHeader(c.wbuf, opBinary, n, [4]byte{})
		c.wbuf = append(c.wbuf, zwsFlags(flags))
		c.iov = append(c.iov[:0], c.wbuf, body)
		c.wmu.Lock()
		_, err := c.bw.WriteBuffers(c.iov)
		c.wmu.Unlock()
		c.iov[0], c.iov[1] = nil, nil
		c.wbuf = c.wbuf[:0]
		return c.writeErr(err)
	}
	if len(c.wbuf)+maxHeader+1 > cap(c.wbuf) {
		if err := c.flush(); err != nil {
			return err
		}
	}
	key := c.writerKey()
	c.wbuf = c.appendHeader(c.wbuf, opBinary, n, key)
	c.wbuf = append(c.wbuf, zwsFlags(flags))
	if c.client {
		c.wbuf[len(c.wbuf)-1] ^= key[0]
	}
	pos := 1
	for len(body) > 0 {
		room := cap(c.wbuf) - len(c.wbuf)
		if room == 0 {
			if err := c.flush(); err != nil {
				return err
			}
			room = cap(c.wbuf)
		}
		k := min(room, len(body))
		s := len(c.wbuf)
		c.wbuf = append(c.wbuf, body[:k]...)
		if c.client {
			pos = mask(key, pos, c.wbuf[s:])
		}
		body = body[k:]
	}
	if len(c.wbuf) >= flushAt {
		return c.flush()
	}
	return nil
}

// Ping queues a WebSocket ping.
func (c *conn) Ping() error {
	c.takeWriteBuf()
	if len(c.wbuf)+maxHeader > cap(c.wbuf) {
		if err := c.flush(); err != nil {
			return err
		}
	}
	c.wbuf = c.appendHeader(c.wbuf, opPing, 0, c.writerKey())
	return nil
}

// Activity counts the frames (data and control) received.
func (c *conn) Activity() uint64 { return c.activity.Load() }

// Flush writes out what WriteFrame and Ping queued. It ends the core's
// batch: the write buffer goes back to its pool until the next one, so
// that an idle connection holds none.
func (c *conn) Flush() error {
	err := c.flush()
	if c.wbufp != nil && len(c.wbuf) == 0 {
		bufpool.Put(c.wbufp)
		c.wbuf, c.wbufp = nil, nil
	}
	return err
}

// takeWriteBuf gives the writer its buffer if it has none.
func (c *conn) takeWriteBuf() {
	if c.wbuf == nil {
		c.wbufp = bufpool.Get(writeBufSize + maxHeader + 1)
		c.wbuf = (*c.wbufp)[:0]
	}
}

func (c *conn) flush() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	c.wmu.Lock()
	var err error
	if c.tlsDone {
		err = writeRecords(c.nc, c.wbuf)
	} else {
		_, err = c.nc.Write(c.wbuf)
	}
	c.wmu.Unlock()
	c.wbuf = c.wbuf[:0]
	return c.writeErr(err)
}

// tlsRecordMax bounds the plaintext of each TLS record written on wss.
// libzmq 4.3's wss engine reads one gnutls_record_recv of its in-batch
// size (8 KiB) per readiness event: what GnuTLS decrypted beyond that stays
// in its buffer, unseen, until more bytes reach the socket. Records no
// larger than that read are always consumed whole, so the last message of
// a burst is never stranded at a libzmq peer.
const tlsRecordMax = 8192

// writeRecords writes b through a *tls.Conn in writes of at most
// tlsRecordMax bytes: crypto/tls makes each such write one record.
func writeRecords(w io.Writer, b []byte) error {
	for len(b) > 0 {
		n := min(len(b), tlsRecordMax)
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (c *conn) writeErr(err error) error {
	if err != nil && c.closed.Load() {
		return fmt.Errorf("%s: write: %w: %w", c.scheme, transport.ErrClosed, err)
	}
	return err
}

// sendControl sends a control frame for the reader: at once when no
// write is under way, else from a short-lived goroutine that waits for
// the write to end. The reader never waits for a write: with both peers
// writing into full buffers, that could deadlock them.
func (c *conn) sendControl(op byte, payload []byte) {
	if c.wmu.TryLock() {
		var b [maxHeader + maxControl]byte
		_, _ = c.nc.Write(c.controlFrame(b[:0], op, payload))
		c.wmu.Unlock()
		return
	}
	c.ctlMu.Lock()
	if op == opPong {
		c.pending = c.pending[:0] // answering the latest ping is enough (RFC 6455 §5.5.3)
	}
	c.pending = c.controlFrame(c.pending, op, payload)
	start := !c.ctlBusy
	c.ctlBusy = true
	c.ctlMu.Unlock()
	if start {
		go c.drainControl()
	}
}

// drainControl writes the control frames sendControl queued.
func (c *conn) drainControl() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ctlMu.Lock()
	b := c.pending
	c.pending = nil
	c.ctlBusy = false
	c.ctlMu.Unlock()
	_, _ = c.nc.Write(b)
}

// ---------------------------------------------------------------------
// Reading.

// protocolError is a frame that breaks ZWS 2.0 or RFC 6455: it is
// answered with a close frame (status code) and ends the connection.
func (c *conn) protocolError(code int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if !c.sentClos.Swap(true) {
		c.sendControl(opClose, closePayload(code, []byte(msg)))
	}
	return fmt.Errorf("%w: %s: %s", transport.ErrProtocol, c.scheme, msg)
}

// frameHeader decodes a frame header from b (at least 2 octets): its
// length hl, payload length and masking key; hl is 0 when b is too short.
func frameHeader(b []byte) (hl int, plen uint64, masked bool, key [4]byte) {
	hl = 2
	plen = uint64(b[1] & 0x7f)
	switch plen {
	case 126:
		hl = 4
	case 127:
		hl = 10
	}
	masked = b[1]&0x80 != 0
	if masked {
		hl += 4
	}
	if len(b) < hl {
		return 0, 0, masked, key
	}
	switch plen {
	case 126:
		plen = uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		plen = binary.BigEndian.Uint64(b[2:10])
	}
	if masked {
		copy(key[:], b[hl-4:hl])
	}
	return hl, plen, masked, key
}

// HasFrame reports whether a whole binary frame is buffered (a control
// frame does not count: a close frame ends the reading).
func (c *conn) HasFrame() bool {
	n := c.rd.Buffered()
	if n < 2 {
		return false
	}
	b, err := c.rd.Peek(min(n, maxHeader))
	if err != nil {
		return false
	}
	hl, plen, _, _ := frameHeader(b)
	return hl > 0 && b[0]&0x0f == opBinary && plen <= uint64(n-hl)
}

// ReadFrame reads the next binary message and returns its body and flags,
// answering pings and a close frame on the way. Everything RFC 45 and
// libzmq refuse is a protocol error: a fragmented message, a text frame,
// an empty binary frame, a client frame without mask or a server frame
// with one, reserved bits without a negotiated extension, a data frame
// over MAXMSGSIZE.
func (c *conn) ReadFrame(buf []byte) ([]byte, byte, error) {
	for {
		h, err := c.rd.Peek(2)
		if err != nil {
			return buf, 0, c.readErr(err)
		}
		b0 := h[0]
		hl := 2
		switch h[1] & 0x7f {
		case 126:
			hl = 4
		case 127:
			hl = 10
		}
		if h[1]&0x80 != 0 {
			hl += 4
		}
		if h, err = c.rd.Peek(hl); err != nil {
			return buf, 0, c.readErr(err)
		}
		_, plen, masked, key := frameHeader(h)
		op := b0 & 0x0f
		switch {
		case b0&0x70 != 0:
			return buf, 0, c.protocolError(closeProtocol, "reserved bits %#x set: no extension was negotiated", b0&0x70)
		case op == opContinuation:
			return buf, 0, c.protocolError(closeProtocol, "continuation frame: fragmented messages are not supported")
		case b0&0x80 == 0:
			return buf, 0, c.protocolError(closeProtocol, "fragmented message (no FIN): not supported")
		case masked != !c.client:
			if c.client {
				return buf, 0, c.protocolError(closeProtocol, "masked frame from the server")
			}
			return buf, 0, c.protocolError(closeProtocol, "unmasked frame from the client")
		}
		switch op {
		case opBinary:
		case opText:
			return buf, 0, c.protocolError(closeUnsupported, "text frame: ZWS messages are binary")
		case opClose, opPing, opPong:
			if plen > maxControl {
				return buf, 0, c.protocolError(closeProtocol, "control frame of %d octets", plen)
			}
			c.rd.Discard(hl)
			p := c.ctl[:plen]
			if err := c.rd.ReadFull(p); err != nil {
				return buf, 0, c.readErr(err)
			}
			if masked {
				mask(key, 0, p)
			}
			c.activity.Add(1)
			switch op {
			case opPing:
				c.sendControl(opPong, p)
			case opClose:
				if !c.sentClos.Swap(true) {
					echo := p
					if len(echo) >= 2 {
						echo = echo[:2] // the status code, as libzmq echoes it
					}
					c.sendControl(opClose, echo)
				}
				return buf, 0, io.EOF
			}
			continue
		default:
			return buf, 0, c.protocolError(closeProtocol, "unknown opcode %#x", op)
		}
		if plen == 0 {
			return buf, 0, c.protocolError(closeProtocol, "empty binary frame: no ZWS flags octet")
		}
		if h, err = c.rd.Peek(hl + 1); err != nil {
			return buf, 0, c.readErr(err)
		}
		zf := h[hl]
		if masked {
			zf ^= key[0]
		}
		var flags byte
		if zf&zwsMore != 0 {
			flags |= transport.FlagMore
		}
		limit := c.maxMsg
		if zf&zwsCommand != 0 {
			flags |= transport.FlagCommand
			if limit >= 0 && limit < transport.MaxCommandSize {
				limit = transport.MaxCommandSize
			}
		}
		size := plen - 1
		if limit >= 0 && size > uint64(limit) || size > math.MaxInt32 {
			return buf, 0, c.protocolError(closeTooBig, "frame of %d octets over MAXMSGSIZE %d", size, limit)
		}
		c.rd.Discard(hl + 1)
		s := len(buf)
		if buf, err = c.rd.ReadBody(buf, int(size)); err != nil {
			return buf, 0, c.readErr(err)
		}
		if masked {
			mask(key, 1, buf[s:])
		}
		c.activity.Add(1)
		return buf, flags, nil
	}
}

func (c *conn) readErr(err error) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: read: %w: %w", c.scheme, transport.ErrClosed, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	return err
}

// startData sets the data phase up over nc, with rest, read past the
// HTTP head, in the reader's buffer first (so that the connection's idle
// reads stay). rest is never longer than a head may be (readHead's max,
// the client's 4 KiB reads), which is less than the buffer.
func (c *conn) startData(rest []byte) error {
	rd := zmtp.NewReader(c.nc, readBufSize)
	if !rd.Prefill(rest) {
		return fmt.Errorf("%s: %d octets read past the HTTP head: %w", c.scheme, len(rest), transport.ErrProtocol)
	}
	c.rd = rd
	c.bw, _ = c.nc.(transport.Buffers)
	c.hsDone.Store(true)
	return nil
}

// What a handshake reads past the head fits the reader's buffer.
var _ [readBufSize - maxResponseHead]struct{}
var _ [readBufSize - maxRequestHead]struct{}

// asNetConn returns sc as a net.Conn (the tcp plugin's connections are
// one), for crypto/tls.
func asNetConn(sc transport.StreamConn) net.Conn {
	if nc, ok := sc.(net.Conn); ok {
		return nc
	}
	return streamNetConn{sc}
}

type streamNetConn struct{ transport.StreamConn }

func (streamNetConn) LocalAddr() net.Addr  { return nil }
func (streamNetConn) RemoteAddr() net.Addr { return nil }
func (c streamNetConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}
