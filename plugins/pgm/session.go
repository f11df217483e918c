package pgm

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/proto"
	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// role is what a session does: PUB and XPUB send, SUB and XSUB receive.
type role int

const (
	roleSender role = iota
	roleReceiver
)

func (r role) String() string {
	if r == roleSender {
		return "sender"
	}
	return "receiver"
}

// settings are a session's protocol parameters, from the socket's options.
type settings struct {
	rateKbps   int           // ZMQ_RATE
	recovery   time.Duration // ZMQ_RECOVERY_IVL
	maxTPDU    int           // ZMQ_MULTICAST_MAXTPDU
	maxMsgSize int64         // ZMQ_MAXMSGSIZE
	sock       sockOpts
	timers     proto.Timers
}

// Receive queue bounds: messages decoded but not yet read by the core.
// Beyond them the session keeps data in its receive windows.
const (
	maxQueueMsgs  = 4096
	maxQueueBytes = 8 << 20
)

// closeDrain bounds how long Close keeps sending queued data.
const closeDrain = 2 * time.Second

// session is one pgm or epgm endpoint of a socket: a PGM source or a
// receiver of every source of its group, and the transport.FrameConn the
// core reads messages from or writes them to.
type session struct {
	ep       endpoint
	raw      bool
	role     role
	endpoint string // as the application gave it
	local    string
	epoch    time.Time

	mu   sync.Mutex
	cond sync.Cond
	snd  *proto.Sender
	rcv  *proto.Receiver
	data *pconn // the sender's socket, or the receiver's group socket
	ctl  *pconn // the receiver's socket for NAKs and SPMRs
	grp  *pconn // the sender's socket on the group: SPMRs sent to it

	// the sender's own look at its sockets between bursts (pollUpstream)
	lastPoll proto.Time
	pollBuf  []byte
	pollPkt  wire.Packet

	// the sender's group packets of one protocol call, back to back in
	// outBuf (ends at outEnd), sent together by flushOut
	outBuf []byte
	outEnd []int
	outPkt [][]byte
	batch  batcher
	wake   chan struct{}
	done   chan struct{}
	closed bool
	wg     sync.WaitGroup

	// received messages not yet read: their frames' bodies back to back
	// in qdata, the frames in qents from qhead on
	qdata   []byte
	qents   []qent
	qhead   int
	qMsgs   int
	qBytes  int
	blocked bool // the receiver holds data until the queue drains

	// timerAt is when the timer loop wakes next: new deadlines before it
	// wake it early (kick)
	timerAt proto.Time

	bad      uint64 // packets that failed to parse
	sendErrs uint64
	lost     uint64 // packets lost for good (receiver)
	cfg      *transport.Config
	pending  []transport.Event // loss events, emitted outside the lock
}

// qent is a received frame waiting in a session's queue.
type qent struct {
	off, n int
	more   bool
}

var (
	_ transport.FrameConn   = (*session)(nil)
	_ transport.FrameModer  = (*session)(nil)
	_ transport.FrameBuffer = (*session)(nil)

	sessionsMu sync.Mutex
	sessions   = map[*session]struct{}{}
)

func (s *session) now() proto.Time { return proto.Time(time.Since(s.epoch)) }

// newTSI makes a random GSI and data-source port (not the destination
// port), as OpenPGM does.
func newTSI(dport uint16) wire.TSI {
	var b [8]byte
	_, _ = crand.Read(b[:])
	var t wire.TSI
	copy(t.GSI[:], b[:6])
	t.SPort = binary.BigEndian.Uint16(b[6:])
	for t.SPort == 0 || t.SPort == dport {
		t.SPort = uint16(rand.Uint32())
	}
	return t
}

// ipHeaderLen is what the rate limit adds per packet for the IP (and UDP)
// headers, as OpenPGM counts it.
func ipHeaderLen(raw, v6 bool) int {
	n := 20
	if v6 {
		n = 40
	}
	if !raw {
		n += 8
	}
	return n
}

// open starts a session on the resolved endpoint.
func open(e endpoint, raw bool, r role, epStr string, st settings) (*session, error) {
	s := &session{ep: e, raw: raw, role: r, endpoint: epStr, epoch: time.Now(),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.cond.L = &s.mu
	v6 := e.group.Is6()
	ipHdr := ipHeaderLen(raw, v6)
	sqns := proto.WindowSqns(st.rateKbps, st.recovery, st.maxTPDU)
	scheme := "epgm"
	if raw {
		scheme = "pgm"
	}
	var err error
	switch r {
	case roleSender:
		o := st.sock
		o.reuse, o.mcastTx = true, true
		// NAKs and SPMRs come to the interface's address at the port
		if s.data, err = listen(raw, netip.AddrPortFrom(e.local, e.port), &e, o, false); err != nil {
			return nil, err
		}
		// and a receiver's SPM request goes to the group too: OpenPGM's
		// sources hear both copies and answer each (two SPMs, so that a
		// receiver still learns the source's address when one is lost)
		g := sockOpts{reuse: true, rcvbuf: st.sock.rcvbuf}
		if s.grp, err = listen(raw, netip.AddrPortFrom(e.group, e.port), &e, g, true); err != nil {
			s.data.close()
			return nil, err
		}
		tsi := newTSI(e.port)
		s.snd = proto.NewSender(proto.SenderConfig{
			TSI: tsi, DPort: e.port, Group: e.group, NLA: e.local.WithZone(""),
			MaxTPDU: st.maxTPDU, IPHeaderLen: ipHdr,
			Rate:    int64(st.rateKbps) * 1000 / 8,
			TxwSqns: sqns, MaxQueue: 64, Timers: st.timers,
		}, sessionNet{s}, s.now())
		s.local = fmt.Sprintf("%s://%s;%s:%d", scheme, e.local.WithZone(""), e.group, e.port)
	case roleReceiver:
		// the group's traffic at its port; bound to the group so that
		// unicast traffic to the port (NAKs for a source on this host)
		// goes elsewhere
		o := st.sock
		o.reuse = true
		bind := netip.AddrPortFrom(e.group, e.port)
		if raw {
			bind = netip.AddrPortFrom(unspecified(v6), 0)
		}
		if s.data, err = listen(raw, bind, &e, o, true); err != nil {
			return nil, err
		}
		if raw {
			s.ctl = s.data
		} else {
			ctlOpts := sockOpts{hops: st.sock.hops, loop: st.sock.loop, tos: st.sock.tos, mcastTx: true}
			if s.ctl, err = listen(false, netip.AddrPortFrom(e.local, 0), &e, ctlOpts, false); err != nil {
				s.data.close()
				return nil, err
			}
			s.ctl.port = e.port
		}
		var seed [16]byte
		_, _ = crand.Read(seed[:])
		s.rcv = proto.NewReceiver(proto.ReceiverConfig{
			DPort: e.port, Group: e.group, RxwSqns: sqns, MaxMsgSize: st.maxMsgSize,
			Timers:  st.timers,
			Borrow:  true,
			Rand:    rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:]), binary.LittleEndian.Uint64(seed[8:]))),
			Deliver: s.deliver,
			Ready:   s.ready,
			Loss:    s.loss,
		}, sessionNet{s})
		s.local = fmt.Sprintf("%s://%s;%s:%d", scheme, e.local.WithZone(""), e.group, e.port)
	}
	s.mu.Lock()
	if s.snd != nil {
		s.snd.Start(s.now())
		s.flushOut()
	}
	s.mu.Unlock()
	s.wg.Add(2)
	go s.readLoop(s.data)
	if s.grp != nil {
		s.wg.Add(1)
		go s.readLoop(s.grp)
	}
	go s.timerLoop()
	sessionsMu.Lock()
	sessions[s] = struct{}{}
	sessionsMu.Unlock()
	return s, nil
}

func unspecified(v6 bool) netip.Addr {
	if v6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// sessionNet is the proto.Net of a session.
type sessionNet struct{ s *session }

func (n sessionNet) SendGroup(pkt []byte) {
	s := n.s
	if s.role != roleSender {
		n.send(pkt, s.ep.group)
		return
	}
	s.outBuf = append(s.outBuf, pkt...)
	s.outEnd = append(s.outEnd, len(s.outBuf))
	if len(s.outEnd) >= maxBatch {
		s.flushOut()
	}
}

// maxBatch bounds the packets a sender hands the kernel at once.
const maxBatch = 64

// flushOut sends the sender's pending group packets in one batch
// (sendmmsg on Linux); s.mu is held.
func (s *session) flushOut() {
	if len(s.outEnd) == 0 {
		return
	}
	s.outPkt = s.outPkt[:0]
	start := 0
	for _, end := range s.outEnd {
		s.outPkt = append(s.outPkt, s.outBuf[start:end])
		start = end
	}
	if err := s.data.writeBatch(&s.batch, s.outPkt, s.ep.group); err != nil {
		s.sendErrs++
	}
	clear(s.outPkt)
	s.outBuf, s.outEnd = s.outBuf[:0], s.outEnd[:0]
}

func (n sessionNet) SendTo(pkt []byte, to netip.Addr) {
	if n.s.ep.local.Is6() && to.Is6() && to.IsLinkLocalUnicast() && to.Zone() == "" {
		to = to.WithZone(n.s.ep.ifName)
	}
	n.send(pkt, to)
}

func (n sessionNet) send(pkt []byte, to netip.Addr) {
	c := n.s.data
	if n.s.role == roleReceiver {
		c = n.s.ctl
	}
	if err := c.write(pkt, to); err != nil {
		n.s.sendErrs++
	}
}

func (s *session) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// readLoop reads packets from c and hands them to the protocol.
func (s *session) readLoop(c *pconn) {
	defer s.wg.Done()
	buf := make([]byte, 65536)
	var p wire.Packet
	for {
		n, from, err := c.read(buf)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if isClosed(err) {
				return
			}
			continue // transient (ICMP errors, truncation)
		}
		if c == s.grp && !wire.UpstreamType(buf[:n]) {
			continue // the group's data (another source's, or ours looped back)
		}
		if err := wire.Parse(buf[:n], &p); err != nil {
			s.mu.Lock()
			s.bad++
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		now := s.now()
		var due proto.Time
		if s.snd != nil {
			s.snd.Handle(now, &p, from)
			s.flushOut()
			due = s.snd.Due()
		} else {
			s.rcv.Handle(now, &p, from)
			due = s.rcv.Due()
		}
		wake := due < s.timerAt
		ev := len(s.pending) > 0
		s.mu.Unlock()
		if ev {
			s.emit()
		}
		if wake {
			s.kick()
		}
	}
}

// timerLoop runs the protocol's timers (and the sender's rate-limited
// sending).
func (s *session) timerLoop() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		next := s.tick()
		s.timerAt = next
		ev := len(s.pending) > 0
		s.mu.Unlock()
		if ev {
			s.emit()
		}
		d := time.Duration(next - s.now())
		if next == proto.Never || d > time.Hour {
			d = time.Hour
		}
		t.Reset(max(d, 0))
		select {
		case <-s.wake:
			if !t.Stop() {
				<-t.C
			}
		case <-t.C:
		case <-s.done:
			return
		}
	}
}

// pollGap is how often the sending goroutines look for NAKs and SPMRs
// themselves (pollUpstream).
const pollGap = proto.Time(250 * time.Microsecond)

// pollUpstream hands the protocol the NAKs and SPMRs already waiting on a
// sender's sockets; s.mu is held. The goroutines that send call it before
// each burst, as OpenPGM's one thread reads between sends: a request is
// answered ahead of the queued data even when the read loops wait for a
// CPU behind them (SPM answers took 1 to 10 ms under load, and a libzmq
// subscriber declares lost what it misses before its first SPM).
func (s *session) pollUpstream() {
	now := s.now()
	if s.snd == nil || s.closed || now-s.lastPoll < pollGap {
		return
	}
	s.lastPoll = now
	if s.pollBuf == nil {
		s.pollBuf = make([]byte, 65536)
	}
	for _, c := range [...]*pconn{s.data, s.grp} {
		for c != nil {
			n, from, ok := c.tryRead(s.pollBuf)
			if !ok {
				break
			}
			b := s.pollBuf[:n]
			if !wire.UpstreamType(b) {
				continue
			}
			if err := wire.Parse(b, &s.pollPkt); err != nil {
				s.bad++
				continue
			}
			s.snd.Handle(now, &s.pollPkt, from)
		}
	}
}

// tick runs the protocol; s.mu is held.
func (s *session) tick() proto.Time {
	now := s.now()
	if s.snd != nil {
		s.pollUpstream()
		full := s.snd.QueueFull()
		next := s.snd.Tick(now)
		s.flushOut()
		if full && !s.snd.QueueFull() {
			s.cond.Broadcast()
		}
		return next
	}
	if s.blocked && s.ready() {
		s.blocked = false
		s.rcv.Resume(now)
	}
	return s.rcv.Tick(now)
}

// deliver queues a copy of a message of a source (proto.Receiver's
// Deliver, which lends the frames).
func (s *session) deliver(_ wire.TSI, frames [][]byte) {
	for i, f := range frames {
		s.qents = append(s.qents, qent{off: len(s.qdata), n: len(f), more: i < len(frames)-1})
		s.qdata = append(s.qdata, f...)
		s.qBytes += len(f)
	}
	s.qMsgs++
	if s.qhead == len(s.qents)-len(frames) {
		s.cond.Broadcast() // the queue was empty: a reader may wait
	}
}

// ready reports whether the queue takes more (proto.Receiver's Ready).
func (s *session) ready() bool {
	ok := s.qMsgs < maxQueueMsgs && s.qBytes < maxQueueBytes
	if !ok {
		s.blocked = true
	}
	return ok
}

// loss records unrecoverable loss from a source (proto.Receiver's Loss);
// the event goes out once the lock is released (emit).
func (s *session) loss(tsi wire.TSI, n uint64) {
	s.lost += n
	if s.cfg != nil && s.cfg.Hook != nil {
		s.pending = append(s.pending, transport.Event{Kind: transport.EventDataLost, Endpoint: s.endpoint,
			Local: s.local, Remote: "pgm-tsi://" + tsi.String(), FD: -1, Value: n,
			Err: fmt.Errorf("pgm: %s: %d packets from source %v lost for good: its messages resume at the next message start", s.endpoint, n, tsi)})
	}
}

// emit sends the pending events; s.mu must not be held.
func (s *session) emit() {
	s.mu.Lock()
	evs := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, ev := range evs {
		s.cfg.Emit(ev)
	}
}

// FrameMode is transport.FrameNone: no handshake, one-way traffic.
func (s *session) FrameMode() transport.FrameMode { return transport.FrameNone }

// ReadFrame returns the next frame of the next message from any source
// (receivers). On a sender it waits for Close.
func (s *session) ReadFrame(buf []byte) ([]byte, byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.qhead == len(s.qents) && !s.closed {
		s.cond.Wait()
	}
	if s.qhead == len(s.qents) {
		return buf, 0, fmt.Errorf("pgm: read %s: %w", s.endpoint, transport.ErrClosed)
	}
	e := s.qents[s.qhead]
	s.qhead++
	buf = append(buf, s.qdata[e.off:e.off+e.n]...)
	s.qBytes -= e.n
	var flags byte
	if e.more {
		flags = transport.FlagMore
	} else {
		s.qMsgs--
	}
	s.compact()
	if s.blocked && !e.more && s.qMsgs < maxQueueMsgs/2 && s.qBytes < maxQueueBytes/2 {
		s.kick() // the timer loop resumes delivery
	}
	return buf, flags, nil
}

// compact drops the frames read from the queue: all at once when it is
// empty, else by moving the rest down once most of it has been read.
func (s *session) compact() {
	switch {
	case s.qhead == len(s.qents):
		s.qents, s.qhead = s.qents[:0], 0
		if cap(s.qdata) > maxQueueBytes {
			s.qdata = nil // after a burst of large messages
		} else {
			s.qdata = s.qdata[:0]
		}
	case s.qhead >= 256 && 2*s.qhead >= len(s.qents):
		base := s.qents[s.qhead].off
		n := copy(s.qdata, s.qdata[base:])
		s.qdata = s.qdata[:n]
		n = copy(s.qents, s.qents[s.qhead:])
		s.qents, s.qhead = s.qents[:n], 0
		for i := range s.qents {
			s.qents[i].off -= base
		}
	}
}

// HasFrame reports whether a frame can be read without waiting.
func (s *session) HasFrame() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.qhead < len(s.qents)
}

// WriteFrame packs a frame of an outgoing message (senders); it waits
// while the packets already packed wait for the rate limit. Receivers
// send nothing: frames written to them are dropped.
func (s *session) WriteFrame(body []byte, flags byte) error {
	if s.snd == nil || flags&transport.FlagCommand != 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.snd.QueueFull() && !s.closed {
		// send what the rate allows now; wait for the timer loop to send
		// the rest
		s.pollUpstream()
		s.snd.Tick(s.now())
		s.flushOut()
		if !s.snd.QueueFull() {
			break
		}
		s.kick()
		s.cond.Wait()
	}
	if s.closed {
		return fmt.Errorf("pgm: write %s: %w", s.endpoint, transport.ErrClosed)
	}
	s.snd.WriteFrame(body, flags&transport.FlagMore != 0)
	return nil
}

// Flush sends the packed data as far as the rate limit allows; the timer
// loop sends the rest.
func (s *session) Flush() error {
	if s.snd == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("pgm: write %s: %w", s.endpoint, transport.ErrClosed)
	}
	s.snd.Flush()
	s.pollUpstream()
	full := s.snd.QueueFull()
	next := s.snd.Tick(s.now())
	s.flushOut()
	if full && !s.snd.QueueFull() {
		s.cond.Broadcast()
	}
	// the timer loop sends what the rate holds back, and the heartbeat
	// SPMs that data restarts: wake it if that is due before it wakes
	wake := next < s.timerAt
	s.mu.Unlock()
	if wake {
		s.kick()
	}
	return nil
}

// Close ends the session: a sender first sends what it has packed (for up
// to two seconds, at its rate) and announces its end (OPT_FIN).
func (s *session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if s.snd != nil {
		s.snd.Flush()
		deadline := time.Now().Add(closeDrain)
		for !s.snd.Idle() && time.Now().Before(deadline) {
			next := s.snd.Tick(s.now())
			s.flushOut()
			s.mu.Unlock()
			time.Sleep(min(max(time.Duration(next-s.now()), 100*time.Microsecond), 10*time.Millisecond))
			s.mu.Lock()
		}
		s.snd.Close(s.now())
		s.flushOut()
	}

	s.closed = true
	close(s.done)
	s.cond.Broadcast()
	s.mu.Unlock()
	s.data.close()
	if s.grp != nil {
		s.grp.close()
	}
	if s.ctl != nil && s.ctl != s.data {
		s.ctl.close()
	}
	s.wg.Wait()
	sessionsMu.Lock()
	delete(sessions, s)
	sessionsMu.Unlock()
	return nil
}

func (s *session) LocalAddress() string  { return s.local }
func (s *session) RemoteAddress() string { return "" }
func (s *session) PeerAddress() string   { return "" }
func (s *session) FD() int               { return s.data.fdn }

func isClosed(err error) bool {
	return errors.Is(err, transport.ErrClosed) || errors.Is(err, errNetClosed)
}
