package core

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// The raw engine serves the connections of STREAM sockets (libzmq's
// raw_engine_t with raw_decoder_t / raw_encoder_t): no ZMTP greeting, no
// framing, no socket-type check. Bytes read from the connection are handed
// to the socket as they arrive, and every outbound data frame is written
// as is.

func init() {
	engineFactory[STREAM] = func(s *Socket, c transport.StreamConn, endpoint string, connect bool) connEngine {
		e := newRawEngine(s, c, endpoint)
		e.connect = connect
		return e
	}
}

const (
	// rawReadSize is the read size when IN_BATCH_SIZE is unset. The most one
	// read delivers as one chunk is IN_BATCH_SIZE: libzmq's raw decoder reads
	// into a buffer of in_batch_size (8192 there by default) bytes, so a peer
	// sending more arrives as several messages.
	rawReadSize = 8192
	// rawIDRoom is spare room kept behind a chunk so the STREAM pattern can
	// put the routing-id frame into the same storage without allocating.
	rawIDRoom = 16
	// rawBatch is how many queued messages the writer takes at a time.
	rawBatch = 64
	// rawCoalesce: data frames smaller than this are copied into one write
	// buffer; larger ones are written in place (writev).
	rawCoalesce = 16 << 10
)

// kindStreamClose marks the message a STREAM socket queues when the
// application sends [id][empty]: the writer flushes what was queued before
// it, then closes the connection.
const kindStreamClose msgKind = 0x80

// errStreamClosed is how a raw engine reports that the application closed
// the connection with [id][empty]. It is returned as a protocol-class
// engineError so that a connecter gives the endpoint up: libzmq's session
// of a raw socket terminates itself when its pipe is terminated, so it does
// not reconnect.
var errStreamClosed = errors.New("zmq: stream connection closed by the application")

// rawEngine runs one raw connection. It reuses engine's plumbing — the
// done channel and stop, the reader/writer wake-ups, deliver with HWM
// waits and the idle flag that linger looks at through pipe.eng — and
// replaces the ZMTP handshake and codec with raw reads and writes.
//
// ZMTP-only options (heartbeats, HANDSHAKE_IVL, MAXMSGSIZE, mechanisms)
// do not apply to raw connections, as in libzmq.
type rawEngine struct {
	*engine

	// appClosed is set when the writer closed the connection because the
	// application asked for it ([id][empty]); broken when a write failed.
	appClosed atomic.Bool
	broken    atomic.Bool

	wg sync.WaitGroup // the writer goroutine
}

// newRawEngine makes the engine of one STREAM connection. Both sides of a
// raw connection behave alike, so it does not matter which one dialled.
func newRawEngine(s *Socket, c transport.StreamConn, endpoint string) *rawEngine {
	return &rawEngine{engine: newEngine(s, c, endpoint)}
}

// run serves the connection until it ends. The pipe is requested at once
// (there is no handshake); its properties carry Peer-Address. With
// STREAM_NOTIFY the application gets an empty message on the pipe when the
// connection starts, and another when the peer closes it or an I/O error
// ends it — not when the application or the socket closed it.
func (e *rawEngine) run(getPipe func(props *Properties) *pipe) error {
	e.props = e.baseProps()
	p := getPipe(e.props)
	if p == nil {
		e.stop()
		return &engineError{kind: errConnection, err: errStopped}
	}
	e.attach(p)

	if e.opts.StreamNotify {
		e.notify() // libzmq raw_engine_t::plug: a 0-length message on connect
	}
	e.wg.Add(1)
	go e.writeLoop()
	err := e.readLoop()
	// The reader stopped without a local stop: the peer closed the
	// connection or reading failed.
	peerGone := !e.isDone()
	e.stop()
	e.wg.Wait()
	if e.broken.Load() {
		peerGone = true // a write failed first and stopped the reader
	}
	if peerGone && !e.appClosed.Load() {
		e.monitorEnd(classify(err, false), false, true) // libzmq: NO_DETAIL then DISCONNECTED
	}
	if peerGone && !e.appClosed.Load() && e.opts.StreamNotify {
		e.notify() // libzmq raw_engine_t::error: a 0-length message on disconnect
	}
	e.idle.Store(true)

	e.detach(p)
	if e.appClosed.Load() {
		return &engineError{kind: errProtocol, err: errStreamClosed}
	}
	return classify(err, false)
}

// isDone reports whether the engine was stopped.
func (e *rawEngine) isDone() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// notify queues an empty one-frame message: the STREAM pattern turns it
// into [id][empty]. It ignores the HWM so a notification is never lost.
func (e *rawEngine) notify() {
	var m Msg
	m.buf = make([]byte, 0, rawIDRoom)
	m.fr = append(m.fr[:0], m.buf[:0:0])
	m.Frames = m.fr
	m.props = e.props
	m.kind = kindData
	e.pipe.in.pushSwap(&m, true)
}

// readLoop delivers every read as a one-frame message, waiting while the
// pipe's inbound queue is at its HWM or read-ahead cap (which stops
// reading, so TCP flow control pushes back on the peer). It reads into one
// buffer of IN_BATCH_SIZE bytes, as libzmq's raw decoder does, and copies
// each chunk into storage of its own size, so a queue of small chunks holds
// little memory.
func (e *rawEngine) readLoop() error {
	size := e.opts.InBatchSize
	if size <= 0 {
		size = rawReadSize
	}
	rbuf := make([]byte, size)
	var m Msg
	for {
		n, err := e.sc.Read(rbuf)
		if n > 0 {
			if cap(m.buf) < n+rawIDRoom {
				m.buf = make([]byte, 0, n+rawIDRoom)
			}
			m.buf = append(m.buf[:0], rbuf[:n]...)
			m.fr = append(m.fr[:0], m.buf[:n:n])
			m.Frames = m.fr
			m.props = e.props
			m.kind = kindData
			if derr := e.deliver(&m, false); derr != nil {
				return derr
			}
		}
		if err != nil {
			return err
		}
	}
}

// writeLoop writes queued messages: every data frame raw, in order, many
// per system call. A kindStreamClose message closes the connection once
// everything before it is written.
func (e *rawEngine) writeLoop() {
	defer e.wg.Done()
	batch := make([]Msg, rawBatch)
	var wbuf []byte
	var iov [][]byte
	bw, _ := e.conn.(transport.Buffers)
	for {
		e.idle.Store(false)
		n := e.pipe.out.popBatch(batch)
		closing := false
		wbuf, iov = wbuf[:0], iov[:0]
		seg := 0
		for i := 0; i < n && !closing; i++ {
			m := &batch[i]
			if m.kind == kindStreamClose {
				closing = true
				break
			}
			for _, f := range m.Frames {
				switch {
				case len(f) == 0:
				case len(f) < rawCoalesce:
					wbuf = append(wbuf, f...)
				default:
					if seg < len(wbuf) {
						iov = append(iov, wbuf[seg:])
						seg = len(wbuf)
					}
					iov = append(iov, f)
				}
			}
		}
		if seg < len(wbuf) {
			iov = append(iov, wbuf[seg:])
		}
		if len(iov) > 0 {
			if err := e.writeIOV(bw, iov); err != nil {
				if !e.isDone() {
					e.broken.Store(true) // not our own stop: the peer is gone
				}
				e.stop()
				e.idle.Store(true)
				return
			}
		}
		for i := 0; i < n; i++ {
			batch[i].props = nil
		}
		if closing {
			e.appClosed.Store(true)
			e.stop()
			e.idle.Store(true)
			return
		}
		if n > 0 {
			continue
		}
		e.idle.Store(true)
		if !e.pipe.out.empty() {
			continue
		}
		select {
		case <-e.wake:
		case <-e.done:
			return
		}
	}
}

// writeIOV writes bufs in order, with one writev when the connection can.
func (e *rawEngine) writeIOV(bw transport.Buffers, bufs [][]byte) error {
	if bw != nil && len(bufs) > 1 {
		_, err := bw.WriteBuffers(bufs)
		return err
	}
	for _, b := range bufs {
		if err := e.write(b); err != nil {
			return err
		}
	}
	return nil
}
