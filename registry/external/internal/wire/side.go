package wire

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Side channel record types.
const (
	RecFD    = 1 // a descriptor (SCM_RIGHTS) for the call tagged ID
	RecEvent = 2 // a lifecycle event (JSON Event) for the host hook ID
)

// recHeader is [type u8][0 0 0][payload length u32][id u64].
const recHeader = 16

// maxSideRecord bounds a side channel record's payload.
const maxSideRecord = 16 << 20

// ErrSideClosed is returned once the side channel is gone (the plugin
// exited).
var ErrSideClosed = errors.New("plugin side channel closed")

// The side channel and the local channels come in two forms:
//
//   - Unix (SideFDEnv): the side channel is a socketpair the host passes
//     as the plugin's descriptor 3; descriptors, including the host ends
//     of new socketpairs serving as local channels, cross it with
//     SCM_RIGHTS;
//   - dial-back (SideAddrEnv, SideKeyEnv; every system, the only one
//     without Unix descriptor passing): the host listens on a loopback
//     TCP port; the plugin dials it for the side channel and for each
//     local channel, each connection opening with the start's secret key
//     and the token of the call it serves. Nothing else is accepted.
const (
	// SideAddrEnv is the host's loopback address for dial-back channels.
	SideAddrEnv = "ZMQKIT_PLUGIN_SIDE_ADDR"
	// SideKeyEnv is the hex secret that dial-back channels present.
	SideKeyEnv = "ZMQKIT_PLUGIN_SIDE_KEY"
)

// keySize is the size of a dial-back secret.
const keySize = 32

// helloSize is a dial-back hello: [key][token u64][info length u32].
const helloSize = keySize + 8 + 4

// SideToken is the token of the side channel's own dial-back connection.
const SideToken = 0

// helloTimeout bounds the wait for a dial-back connection's hello.
const helloTimeout = 10 * time.Second

// SideWriter is the plugin's end of the side channel.
type SideWriter struct {
	mu   sync.Mutex
	c    net.Conn
	fds  bool   // descriptors can cross (a Unix socket)
	addr string // dial-back: the host's address and key
	key  []byte
}

// NewSideWriter wraps c, a Unix socket that descriptors cross.
func NewSideWriter(c net.Conn) *SideWriter { return &SideWriter{c: c, fds: canPassFDs(c)} }

// DialSide dials the host's dial-back listener at addr with the hex key
// and returns the side channel.
func DialSide(addr, hexKey string) (*SideWriter, error) {
	key, err := hex.DecodeString(hexKey)
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("wire: bad %s", SideKeyEnv)
	}
	w := &SideWriter{addr: addr, key: key}
	c, err := w.dial(SideToken, nil)
	if err != nil {
		return nil, err
	}
	w.c = c
	return w, nil
}

// dial opens a dial-back connection for token, info going with it.
func (w *SideWriter) dial(token uint64, info []byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", w.addr, helloTimeout)
	if err != nil {
		return nil, fmt.Errorf("wire: dialling the host: %w", err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	b := make([]byte, helloSize, helloSize+len(info))
	copy(b, w.key)
	binary.BigEndian.PutUint64(b[keySize:], token)
	binary.BigEndian.PutUint32(b[keySize+8:], uint32(len(info)))
	b = append(b, info...)
	if _, err := c.Write(b); err != nil {
		c.Close()
		return nil, fmt.Errorf("wire: dialling the host: %w", err)
	}
	return c, nil
}

// Conn is the side channel's connection.
func (w *SideWriter) Conn() net.Conn { return w.c }

// FDPassing reports whether descriptors can be handed to the host.
func (w *SideWriter) FDPassing() bool { return w.fds }

func (w *SideWriter) send(typ byte, id uint64, payload []byte, fd int) error {
	b := make([]byte, recHeader, recHeader+len(payload))
	b[0] = typ
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	binary.BigEndian.PutUint64(b[8:], id)
	b = append(b, payload...)
	w.mu.Lock()
	defer w.mu.Unlock()
	if fd >= 0 {
		return writeRights(w.c, b, fd)
	}
	_, err := w.c.Write(b)
	return err
}

// SendFD hands fd over for the call tagged token, with info (the call's
// reply, JSON) for a host that gave the call up. The plugin keeps its own
// descriptor. Only where FDPassing.
func (w *SideWriter) SendFD(token uint64, fd int, info any) error {
	if !w.fds {
		return errors.New("wire: descriptors can not be handed over here")
	}
	b, err := marshalInfo(info)
	if err != nil {
		return err
	}
	return w.send(RecFD, token, b, fd)
}

func marshalInfo(info any) ([]byte, error) {
	if info == nil {
		return nil, nil
	}
	return json.Marshal(info)
}

// Open returns this process's end of a new local channel whose other end
// the host gets for the call tagged token, with info (as SendFD): a
// socketpair whose end crosses the side channel, or a dial-back
// connection.
func (w *SideWriter) Open(token uint64, info any) (net.Conn, error) {
	b, err := marshalInfo(info)
	if err != nil {
		return nil, err
	}
	if !w.fds {
		return w.dial(token, b)
	}
	mine, theirs, err := Socketpair("zmqkit-local")
	if err != nil {
		return nil, err
	}
	err = w.send(RecFD, token, b, int(theirs.Fd()))
	theirs.Close()
	if err != nil {
		mine.Close()
		return nil, err
	}
	c, err := net.FileConn(mine)
	mine.Close()
	return c, err
}

// Handed is a connection handed over (its descriptor, or for a dial-back
// channel the connection itself) and what the plugin said about it.
type Handed struct {
	FD   int      // -1 when Conn is set
	Conn net.Conn // a dial-back channel
	Info []byte
}

// Close closes what was handed over.
func (h Handed) Close() {
	if h.Conn != nil {
		h.Conn.Close()
		return
	}
	closeFD(h.FD)
}

// SendEvent sends an event for host hook id.
func (w *SideWriter) SendEvent(hook uint64, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return w.send(RecEvent, hook, b, -1)
}

// Close closes the channel.
func (w *SideWriter) Close() error { return w.c.Close() }

// SideReader is the host's end of the side channel: it collects what is
// handed over (descriptors, dial-back channels) and passes events to a
// function.
type SideReader struct {
	c       net.Conn
	ln      *ChannelListener // dial-back channels, or nil
	onEvent func(hook uint64, e Event)

	mu      sync.Mutex
	waiting map[uint64]chan Handed  // token → where its connection goes
	dropped map[uint64]func(Handed) // tokens whose caller gave up, and who takes their connection
	closed  bool
	done    chan struct{}
}

// NewSideReader starts reading c; onEvent is called on the reader's
// goroutine, in order. ln, when not nil, is the dial-back listener c came
// from: its later connections are handed over too, and Close closes it.
func NewSideReader(c net.Conn, ln *ChannelListener, onEvent func(hook uint64, e Event)) *SideReader {
	r := &SideReader{c: c, ln: ln, onEvent: onEvent, waiting: map[uint64]chan Handed{},
		dropped: map[uint64]func(Handed){}, done: make(chan struct{})}
	if ln != nil {
		ln.setDeliver(r.deliver)
	}
	go r.run()
	return r
}

// Done is closed once the channel is gone.
func (r *SideReader) Done() <-chan struct{} { return r.done }

// Close closes the channel (and the dial-back listener) and waits for the
// reader.
func (r *SideReader) Close() error {
	err := r.c.Close()
	if r.ln != nil {
		r.ln.Close()
	}
	<-r.done
	return err
}

// Expect registers token before the call that hands a connection over.
func (r *SideReader) Expect(token uint64) {
	r.mu.Lock()
	r.waiting[token] = make(chan Handed, 1)
	r.mu.Unlock()
}

// Take waits up to d for the connection of token. On failure the token
// is dropped: a connection arriving later is closed.
func (r *SideReader) Take(token uint64, d time.Duration) (Handed, error) {
	r.mu.Lock()
	ch := r.waiting[token]
	r.mu.Unlock()
	if ch == nil {
		return Handed{FD: -1}, fmt.Errorf("wire: no connection expected for call %d", token)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case h := <-ch:
		r.forget(token)
		return h, nil
	case <-t.C:
		r.Drop(token, nil)
		return Handed{FD: -1}, fmt.Errorf("wire: the connection of call %d did not arrive within %v", token, d)
	case <-r.done:
		select {
		case h := <-ch:
			r.forget(token)
			return h, nil
		default:
		}
		r.Drop(token, nil)
		return Handed{FD: -1}, ErrSideClosed
	}
}

func (r *SideReader) forget(token uint64) {
	r.mu.Lock()
	delete(r.waiting, token)
	r.mu.Unlock()
}

// Drop gives a token up. Its connection, if it came or comes, goes to
// orphan, or is closed when orphan is nil.
func (r *SideReader) Drop(token uint64, orphan func(Handed)) {
	r.mu.Lock()
	ch, ok := r.waiting[token]
	if !ok {
		r.mu.Unlock()
		return
	}
	delete(r.waiting, token)
	select {
	case h := <-ch:
		r.mu.Unlock()
		give(h, orphan)
		return
	default:
	}
	if !r.closed {
		r.dropped[token] = orphan
	}
	r.mu.Unlock()
}

func give(h Handed, orphan func(Handed)) {
	if orphan != nil {
		orphan(h)
		return
	}
	h.Close()
}

func (r *SideReader) deliver(token uint64, h Handed) {
	r.mu.Lock()
	if ch, ok := r.waiting[token]; ok {
		select {
		case ch <- h:
			r.mu.Unlock()
			return
		default:
		}
	}
	orphan := r.dropped[token]
	delete(r.dropped, token)
	r.mu.Unlock()
	give(h, orphan)
}

func (r *SideReader) run() {
	defer func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.done)
	}()
	var fds []int
	defer func() {
		for _, fd := range fds {
			closeFD(fd)
		}
	}()
	buf := make([]byte, 64<<10)
	oob := make([]byte, oobSpace)
	var acc []byte
	for {
		n, got, err := readRights(r.c, buf, oob)
		fds = append(fds, got...)
		acc = append(acc, buf[:max(n, 0)]...)
		for len(acc) >= recHeader {
			plen := int(binary.BigEndian.Uint32(acc[4:]))
			if plen > maxSideRecord {
				return // the channel is broken
			}
			if len(acc) < recHeader+plen {
				break
			}
			typ := acc[0]
			id := binary.BigEndian.Uint64(acc[8:])
			payload := acc[recHeader : recHeader+plen]
			switch typ {
			case RecFD:
				if len(fds) == 0 {
					return // a record without its descriptor: the channel is broken
				}
				fd := fds[0]
				fds = fds[1:]
				r.deliver(id, Handed{FD: fd, Info: append([]byte(nil), payload...)})
			case RecEvent:
				var e Event
				if json.Unmarshal(payload, &e) == nil && r.onEvent != nil {
					r.onEvent(id, e)
				}
			}
			acc = acc[recHeader+plen:]
		}
		if len(acc) == 0 {
			acc = acc[:0:0]
		}
		if err != nil {
			return
		}
	}
}

// ChannelListener is the host's dial-back listener: a loopback TCP port
// that accepts only connections opening with its secret key.
type ChannelListener struct {
	ln  net.Listener
	key []byte

	mu      sync.Mutex
	deliver func(token uint64, h Handed)
	side    chan net.Conn
	pending map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// ListenChannels opens a dial-back listener on the loopback interface.
func ListenChannels() (*ChannelListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("wire: dial-back listener: %w", err)
	}
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		ln.Close()
		return nil, err
	}
	l := &ChannelListener{ln: ln, key: key, side: make(chan net.Conn, 1), pending: map[net.Conn]struct{}{}}
	l.wg.Add(1)
	go l.run()
	return l, nil
}

// Env is what the plugin needs to dial back: its environment variables.
func (l *ChannelListener) Env() []string {
	return []string{SideAddrEnv + "=" + l.ln.Addr().String(), SideKeyEnv + "=" + hex.EncodeToString(l.key)}
}

// Side waits up to d for the plugin's side channel.
func (l *ChannelListener) Side(d time.Duration, exited <-chan struct{}) (net.Conn, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case c := <-l.side:
		return c, nil
	case <-t.C:
		return nil, fmt.Errorf("wire: the plugin did not dial back within %v", d)
	case <-exited:
		return nil, errors.New("wire: the plugin exited before dialling back")
	}
}

func (l *ChannelListener) setDeliver(f func(uint64, Handed)) {
	l.mu.Lock()
	l.deliver = f
	l.mu.Unlock()
}

// Close stops listening and closes connections not handed over yet.
func (l *ChannelListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	for c := range l.pending {
		c.Close()
	}
	l.mu.Unlock()
	err := l.ln.Close()
	l.wg.Wait()
	select {
	case c := <-l.side:
		c.Close()
	default:
	}
	return err
}

func (l *ChannelListener) run() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return
		}
		l.pending[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.hello(c)
	}
}

// hello authenticates a dial-back connection and hands it over.
func (l *ChannelListener) hello(c net.Conn) {
	defer l.wg.Done()
	ok := false
	defer func() {
		l.mu.Lock()
		delete(l.pending, c)
		l.mu.Unlock()
		if !ok {
			c.Close()
		}
	}()
	c.SetReadDeadline(time.Now().Add(helloTimeout))
	var h [helloSize]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return
	}
	if subtle.ConstantTimeCompare(h[:keySize], l.key) != 1 {
		return
	}
	token := binary.BigEndian.Uint64(h[keySize:])
	n := binary.BigEndian.Uint32(h[keySize+8:])
	if n > maxSideRecord {
		return
	}
	info := make([]byte, n)
	if _, err := io.ReadFull(c, info); err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	if tc, isTCP := c.(*net.TCPConn); isTCP {
		tc.SetNoDelay(true)
	}
	l.mu.Lock()
	deliver, closed := l.deliver, l.closed
	l.mu.Unlock()
	if closed {
		return
	}
	if token == SideToken {
		select {
		case l.side <- c:
			ok = true
		default: // one side channel only
		}
		return
	}
	if deliver == nil {
		return
	}
	ok = true
	deliver(token, Handed{FD: -1, Conn: c, Info: info})
}
