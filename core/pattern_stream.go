package core

import (
	"encoding/binary"
	"math/rand/v2"
)

// STREAM (ZMQ_STREAM): raw TCP/IPC connections addressed by routing id, as
// libzmq's stream_t. The connections run the raw engine (engine_raw.go).
//
// Receiving gives [routing id][chunk]: one chunk is what one read of the
// connection returned (at most IN_BATCH_SIZE bytes: 8 KiB in libzmq, 64 KiB
// by default here), so message boundaries mean nothing.
// With STREAM_NOTIFY (the default) an empty chunk, [id][empty], says that
// the connection was made (first message) or closed by the peer (last).
//
// Sending takes [routing id][data]:
//   - an unknown or closed id fails with ErrHostUnreachable;
//   - a connection whose outbound queue is at SNDHWM makes Send block
//     (ErrWouldBlock for TrySend or after SNDTIMEO);
//   - [id][empty] closes that connection once what was queued before it is
//     written; data it had received but the application had not read yet
//     is dropped, and no disconnect notification follows (libzmq terminates
//     the pipe, which ends its session). A connect-side connection closed
//     this way is not re-established.
//   - libzmq ignores the MORE flag of the data frame. zmqkit sends whole
//     messages, so frames after the id are all data: they are written one
//     after another, and the connection is closed only when all are empty.
//   - a message of a single frame is silently ignored, as libzmq ignores a
//     routing-id frame without MORE.
//
// Routing ids are 5 bytes: 0x00 and a 32-bit big-endian counter starting
// at a random value (libzmq's stream_t::identify_peer), unless
// CONNECT_ROUTING_ID named the peer of a Connect. As in libzmq, a
// generated id is also stored as the socket's ROUTING_ID option.
//
// The socket can always send as far as polling is concerned (libzmq's
// xhas_out is always true): whether a send succeeds depends on the peer.

func init() {
	patterns[STREAM] = func(s *Socket) pattern { return newStreamPattern(s) }
}

// streamPattern routes by routing id, like ROUTER, but to raw connections.
type streamPattern struct {
	s      *Socket
	in     fq
	byID   map[string]*pipe
	nextID uint32
	// closing holds pipes the application closed with [id][empty]; they
	// are already out of byID and the fair queue.
	closing map[*pipe]struct{}
}

// newStreamPattern returns the STREAM pattern of s; generated routing ids
// count up from a random value.
func newStreamPattern(s *Socket) *streamPattern {
	return &streamPattern{s: s, byID: map[string]*pipe{}, nextID: rand.Uint32(),
		closing: map[*pipe]struct{}{}}
}

// genID returns the next free generated routing id.
func (t *streamPattern) genID() []byte {
	for {
		id := make([]byte, 5)
		binary.BigEndian.PutUint32(id[1:], t.nextID)
		t.nextID++
		if _, taken := t.byID[string(id)]; !taken {
			return id
		}
	}
}

// attach names the new connection's pipe and starts reading from it. An id
// from CONNECT_ROUTING_ID that is already in use is replaced by a
// generated one (libzmq asserts that it is free).
func (t *streamPattern) attach(p *pipe) {
	if _, dup := t.byID[string(p.id)]; len(p.id) == 0 || dup {
		p.id = t.genID()
		t.s.opts.RoutingID = append(t.s.opts.RoutingID[:0:0], p.id...)
	}
	t.byID[string(p.id)] = p
	t.in.add(p)
}

// detach forgets a connection that ended. What it delivered — including
// the disconnect notification — stays readable until drained.
func (t *streamPattern) detach(p *pipe) {
	if _, ok := t.closing[p]; ok {
		delete(t.closing, p)
		t.in.drop(p)
		return
	}
	if t.byID[string(p.id)] == p {
		delete(t.byID, string(p.id))
	}
	t.in.remove(p)
}

// send routes [id][data...] to the connection named by id (see the rules
// at the top of this file).
func (t *streamPattern) send(m *Msg) error {
	if len(m.Frames) < 2 {
		return nil // a routing id without data: ignored, as libzmq
	}
	p, ok := t.byID[string(m.Frames[0])]
	if !ok {
		return ErrHostUnreachable
	}
	data := m.Frames[1:]
	empty := true
	for _, f := range data {
		if len(f) > 0 {
			empty = false
			break
		}
	}
	if empty {
		// [id][empty]: close the connection after what is queued. libzmq
		// checks for room (check_write) before anything else, so a full
		// pipe makes even this wait.
		if p.out.full() {
			return ErrWouldBlock
		}
		if p.inproc {
			// No engine to close a connection: end the pipe; the peer
			// still reads what was queued before (pipe.terminate). It
			// takes the socket lock, which is held here.
			go p.terminate(false)
		} else if !p.out.pushk(nil, nil, kindStreamClose, true) {
			return ErrWouldBlock
		}
		delete(t.byID, string(p.id))
		t.closing[p] = struct{}{}
		t.in.drop(p)
		p.in.drain()
		return nil
	}
	if !p.out.push(nil, data, kindData) {
		return ErrWouldBlock
	}
	return nil
}

// streamUp is the userData of a STREAM pipe whose connect notification
// was received and whose disconnect notification was not.
type streamUp struct{}

// recv returns the next chunk or notification, fair-queued over the
// connections, as [id][chunk].
func (t *streamPattern) recv(m *Msg) error {
	p, err := t.in.recv(m)
	if err != nil {
		return err
	}
	if !p.inproc && len(m.Frames) == 1 && len(m.Frames[0]) == 0 {
		// A notification (reads never give empty chunks): the first says
		// the connection is up, the next that it is gone. Forget the id
		// now, so a send after reading the disconnect fails at once with
		// ErrHostUnreachable instead of racing with the pipe's detach.
		if _, up := p.userData.(streamUp); up {
			p.userData = nil
			if t.byID[string(p.id)] == p {
				delete(t.byID, string(p.id))
			}
		} else {
			p.userData = streamUp{}
			if _, taken := t.byID[string(p.id)]; !taken {
				// a pipe kept across reconnects is routable again
				t.byID[string(p.id)] = p
			}
		}
	}
	prependID(m, p.id)
	return nil
}

// prependID puts a copy of id before m's frames. The raw engine leaves
// room behind the chunk in m.buf, so the copy usually costs nothing; the
// caller gets an id it may keep or modify without touching the pipe's.
func prependID(m *Msg, id []byte) {
	var f []byte
	n := len(m.buf)
	if len(m.Frames) == 1 && len(m.Frames[0]) == n && cap(m.buf)-n >= len(id) &&
		(n == 0 || &m.Frames[0][0] == &m.buf[0]) {
		// the only frame is all of m.buf: appending cannot overwrite it
		m.buf = append(m.buf, id...)
		f = m.buf[n:len(m.buf):len(m.buf)]
	} else {
		f = append([]byte(nil), id...)
	}
	prependFrame(m, f)
}

// hasIn reports whether a chunk or notification is waiting.
func (t *streamPattern) hasIn() bool { return t.in.hasIn() }

// hasOut is always true, as libzmq's stream_t::xhas_out.
func (t *streamPattern) hasOut() bool { return true }
