package wire

import (
	"encoding/binary"
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

// ErrSideClosed is returned once the side channel is gone (the plugin
// exited).
var ErrSideClosed = errors.New("plugin side channel closed")

// SideWriter is the plugin's end of the side channel.
type SideWriter struct {
	mu sync.Mutex
	c  *net.UnixConn
}

// NewSideWriter wraps c.
func NewSideWriter(c *net.UnixConn) *SideWriter { return &SideWriter{c: c} }

func (w *SideWriter) send(typ byte, id uint64, payload []byte, rights []byte) error {
	b := make([]byte, recHeader, recHeader+len(payload))
	b[0] = typ
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	binary.BigEndian.PutUint64(b[8:], id)
	b = append(b, payload...)
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _, err := w.c.WriteMsgUnix(b, rights, nil)
	if err == nil && n < len(b) {
		_, err = w.c.Write(b[n:])
	}
	return err
}

// SendFD hands fd over for the call tagged token, with info (the call's
// reply, JSON) for a host that gave the call up. The plugin keeps its own
// descriptor.
func (w *SideWriter) SendFD(token uint64, fd int, info any) error {
	var b []byte
	if info != nil {
		var err error
		if b, err = json.Marshal(info); err != nil {
			return err
		}
	}
	return w.send(RecFD, token, b, unixRights(fd))
}

// Handed is a descriptor handed over and what the plugin said about it.
type Handed struct {
	FD   int
	Info []byte
}

// SendEvent sends an event for host hook id.
func (w *SideWriter) SendEvent(hook uint64, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return w.send(RecEvent, hook, b, nil)
}

// Close closes the channel.
func (w *SideWriter) Close() error { return w.c.Close() }

// SideReader is the host's end of the side channel: it collects the
// descriptors handed over and passes events to a function.
type SideReader struct {
	c       *net.UnixConn
	onEvent func(hook uint64, e Event)

	mu      sync.Mutex
	waiting map[uint64]chan Handed  // token → where its descriptor goes
	dropped map[uint64]func(Handed) // tokens whose caller gave up, and who takes their descriptor
	closed  bool
	done    chan struct{}
}

// NewSideReader starts reading c; onEvent is called on the reader's
// goroutine, in order.
func NewSideReader(c *net.UnixConn, onEvent func(hook uint64, e Event)) *SideReader {
	r := &SideReader{c: c, onEvent: onEvent, waiting: map[uint64]chan Handed{},
		dropped: map[uint64]func(Handed){}, done: make(chan struct{})}
	go r.run()
	return r
}

// Done is closed once the channel is gone.
func (r *SideReader) Done() <-chan struct{} { return r.done }

// Close closes the channel and waits for the reader.
func (r *SideReader) Close() error {
	err := r.c.Close()
	<-r.done
	return err
}

// Expect registers token before the call that hands a descriptor over.
func (r *SideReader) Expect(token uint64) {
	r.mu.Lock()
	r.waiting[token] = make(chan Handed, 1)
	r.mu.Unlock()
}

// Take waits up to d for the descriptor of token. On failure the token
// is dropped: a descriptor arriving later is closed.
func (r *SideReader) Take(token uint64, d time.Duration) (int, error) {
	r.mu.Lock()
	ch := r.waiting[token]
	r.mu.Unlock()
	if ch == nil {
		return -1, fmt.Errorf("wire: no descriptor expected for call %d", token)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case h := <-ch:
		r.forget(token)
		return h.FD, nil
	case <-t.C:
		r.Drop(token, nil)
		return -1, fmt.Errorf("wire: descriptor of call %d did not arrive within %v", token, d)
	case <-r.done:
		select {
		case h := <-ch:
			r.forget(token)
			return h.FD, nil
		default:
		}
		r.Drop(token, nil)
		return -1, ErrSideClosed
	}
}

func (r *SideReader) forget(token uint64) {
	r.mu.Lock()
	delete(r.waiting, token)
	r.mu.Unlock()
}

// Drop gives a token up. Its descriptor, if it came or comes, goes to
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
		r.give(h, orphan)
		return
	default:
	}
	if !r.closed {
		r.dropped[token] = orphan
	}
	r.mu.Unlock()
}

func (r *SideReader) give(h Handed, orphan func(Handed)) {
	if orphan != nil {
		orphan(h)
		return
	}
	closeFD(h.FD)
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
	r.give(h, orphan)
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
		n, oobn, _, _, err := r.c.ReadMsgUnix(buf, oob)
		n, oobn = max(n, 0), max(oobn, 0)
		if oobn > 0 {
			got, perr := parseRights(oob[:oobn])
			fds = append(fds, got...)
			if perr != nil {
				return
			}
		}
		acc = append(acc, buf[:n]...)
		for len(acc) >= recHeader {
			plen := int(binary.BigEndian.Uint32(acc[4:]))
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
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				_ = err
			}
			return
		}
	}
}
