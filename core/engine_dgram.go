package core

import (
	"errors"
	"sync"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// MaxDatagram is the largest datagram RADIO and DGRAM send over udp, as
// libzmq's MAX_UDP_MSG; larger messages are dropped, as libzmq does.
const MaxDatagram = 8192

// maxDatagramIn bounds what is read: anything a UDP datagram can carry.
const maxDatagramIn = 64 << 10

// dgramEngine runs a datagram connection (transport.KindDatagram) for a
// RADIO, DISH or DGRAM socket. There is no handshake and no ZMTP: each
// message is one datagram, in libzmq's udp_engine layout.
//
//   - RADIO (connected, send only): [group length][group][body];
//   - DISH (bound, receive only): the same, parsed; its JOINs and LEAVEs
//     are dropped (a udp DISH filters locally);
//   - DGRAM (bound, both ways): the body alone, the peer's "ip:port"
//     travelling as the message's first frame.
type dgramEngine struct {
	sock     *Socket
	conn     transport.DatagramConn
	endpoint string
	typ      SocketType
	pipe     *pipe

	wake chan struct{}
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newDgramEngine(s *Socket, c transport.DatagramConn, endpoint string) *dgramEngine {
	return &dgramEngine{sock: s, conn: c, endpoint: endpoint, typ: s.typ,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (e *dgramEngine) stop() {
	e.once.Do(func() {
		close(e.done)
		e.conn.Close()
	})
}

func (e *dgramEngine) signalWriter() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *dgramEngine) run(getPipe func(props *Properties) *pipe) error {
	p := getPipe(&Properties{})
	if p == nil {
		e.stop()
		return &engineError{kind: errConnection, err: errStopped}
	}
	e.pipe = p
	p.mu.Lock()
	if p.cn == nil {
		// a bound socket's pipe: terminating it (a second DGRAM bind)
		// ends the engine; a connecter stops its own
		p.onClose = func(*pipe) { e.stop() }
	}
	p.mu.Unlock()
	p.out.setOnReadable(e.signalWriter)

	e.wg.Add(1)
	go e.writeLoop()
	var err error
	if e.typ == DISH || e.typ == DGRAM {
		err = e.readLoop()
	} else {
		<-e.done
	}
	e.stop()
	e.wg.Wait()
	p.out.setOnReadable(nil)
	if err != nil {
		return &engineError{kind: errConnection, err: err}
	}
	return nil
}

// readLoop queues each datagram as a message; when the pipe is at its HWM
// the datagram is dropped, as libzmq's udp engine does.
func (e *dgramEngine) readLoop() error {
	buf := make([]byte, maxDatagramIn)
	var m Msg
	for {
		n, from, err := e.conn.ReadDatagram(buf)
		if err != nil {
			select {
			case <-e.done:
				return nil
			default:
			}
			if errors.Is(err, transport.ErrClosed) {
				return nil
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				continue
			}
			return err
		}
		d := buf[:n]
		if e.typ == DGRAM {
			m.setFrames(nil, [][]byte{[]byte(from), d})
		} else {
			if n < 1 || n-1 < int(d[0]) {
				continue // does not fit: ignored
			}
			gl := int(d[0])
			m.setFrames(nil, [][]byte{d[1+gl:]})
			m.group = string(d[1 : 1+gl])
		}
		m.kind = kindData
		m.props = e.pipe.props
		if !e.pipe.in.pushSwap(&m, false) {
			m.group = ""
		}
	}
}

// writeLoop sends each queued message as a datagram (DISH: drops its
// JOINs and LEAVEs).
func (e *dgramEngine) writeLoop() {
	defer e.wg.Done()
	batch := make([]Msg, writeBatch)
	out := make([]byte, 0, MaxDatagram)
	for {
		n := e.pipe.out.popBatch(batch)
		for i := 0; i < n; i++ {
			m := &batch[i]
			switch {
			case e.typ == RADIO && m.kind == kindData && len(m.Frames) == 1:
				if 1+len(m.group)+len(m.Frames[0]) > MaxDatagram {
					continue
				}
				out = append(out[:0], byte(len(m.group)))
				out = append(out, m.group...)
				out = append(out, m.Frames[0]...)
				e.conn.WriteDatagram(out, "") // lost datagrams are UDP's lot
			case e.typ == DGRAM && m.kind == kindData && len(m.Frames) == 2:
				if len(m.Frames[1]) > MaxDatagram {
					continue
				}
				to := m.Frames[0]
				if k := len(to); k > 0 && to[k-1] == 0 {
					to = to[:k-1] // libzmq's address frames end with a NUL
				}
				e.conn.WriteDatagram(m.Frames[1], string(to)) // bad address: dropped, as libzmq
			}
		}
		if n > 0 {
			continue
		}
		select {
		case <-e.wake:
		case <-e.done:
			return
		}
	}
}
