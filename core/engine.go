package core

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqkit/zmqkit/internal/bufpool"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/zmtp"
)

const (
	writeBatch = 64
	largeFrame = 16 << 10 // frames this large are written without copying
	readBatch  = 32       // messages decoded before they are queued together
)

// readAheadBytes caps how far a connection's reader runs ahead of the
// socket: besides RCVHWM messages, it stops reading once the queued
// messages hold this many payload octets, and goes on when the socket has
// taken half of them. The kernel's socket buffer still holds what the
// peer sends meanwhile. The cap keeps the storage that large messages
// cycle through small enough to stay in the CPU cache: with the whole
// RCVHWM in flight, 1000 messages of 64 KiB, the kernel copied each body
// into memory that had left the cache, and the receiver spent a third more
// CPU than a plain read loop (docs/performance.md). libzmq documents that
// the actual limit may be lower than the HWM; small messages reach the
// HWM first.
const readAheadBytes = 256 << 10

// engineError classifies why a connection ended, as libzmq's engine does:
// connection errors and timeouts reconnect, protocol errors do not.
type engineError struct {
	kind      int // errConnection, errTimeout, errProtocol
	handshake bool
	err       error
}

const (
	errConnection = iota
	errTimeout
	errProtocol
)

func (e *engineError) Error() string { return e.err.Error() }
func (e *engineError) Unwrap() error { return e.err }

func protoErr(err error) error { return &engineError{kind: errProtocol, err: err} }

// framingErr classifies an error of the frame reader: a frame that breaks
// the rules or the size limit is a protocol error, anything else (a
// timeout, a reset, the end of the stream) is the connection's.
func framingErr(err error) error {
	if errors.Is(err, zmtp.ErrFrameTooLarge) || errors.Is(err, zmtp.ErrMalformed) {
		return protoErr(err)
	}
	return err
}

// engine runs ZMTP over one stream connection: the greeting, the
// mechanism handshake, then a reader loop (this goroutine) and a writer
// goroutine that batches many messages per write. Over a frame connection
// (fc set, engine_frame.go) the same engine runs without stream framing.
type engine struct {
	sock     *Socket
	conn     transport.Conn
	sc       transport.StreamConn // the stream connection (nil over frames)
	rd       *zmtp.Reader
	opts     Options
	endpoint string
	ver      zmtp.Version
	mech     mechanism.Session
	xform    bool
	bat      *batchCodec // the mechanism transforms frames in batches
	props    *Properties
	pipe     *pipe

	wake chan struct{} // writer: out queue became readable / command queued
	// The writer goroutine runs while there is something to write and ends
	// when idle: an idle connection has only its reader, parked in the
	// kernel's read, and no write buffers (heartbeats start a writer when
	// one is due).
	wstate atomic.Int32  // wOff, wIdle, wRunning, wClosed
	wexit  chan struct{} // a writer goroutine ended
	rwake  chan struct{} // reader: in queue has room again
	done   chan struct{}
	once   sync.Once

	idle     atomic.Bool
	recvSeen atomic.Uint64 // frames received, for heartbeats
	hb       *heartbeat    // the writers' (made by the first one)
	hbDue    atomic.Bool   // hb's timer expired: the next writer fires it

	cmdMu    sync.Mutex
	cmds     [][]byte      // command bodies waiting for the writer
	cmdBytes int           // their octets
	cmdRoom  chan struct{} // the writer took the queued commands

	ttlReq time.Duration // a PING TTL for the writer to arm (cmdMu)

	inBatch  []Msg // decoded messages not yet queued (reader)
	nIn      int
	wbuf     []byte
	bw       transport.Buffers // writev, when the connection has it
	iov      [][]byte          // pieces of wbuf and large frames to write
	seg      int               // start of wbuf's piece not yet in iov
	iovBytes int
	scratch  []byte
	scratch2 []byte
	scratch3 []byte
	batch    []Msg
	wbufp    *[]byte // wbuf's pooled storage, while the writer runs
	wsmall   bool    // wbuf is small (cmdWriteBuf): commands only so far
	batchp   *[]Msg  // batch's, likewise

	asm assembly // the message being assembled (reader)

	connect bool                        // the connecting side (monitor endpoints)
	fault   atomic.Pointer[engineFault] // why the engine stopped itself (monitor)

	frameState // over a frame connection (engine_frame.go)
}

func newEngine(s *Socket, conn transport.StreamConn, endpoint string) *engine {
	e := newEngineConn(s, conn, endpoint)
	e.sc = conn
	return e
}

// newEngineConn makes an engine for a connection of any kind.
func newEngineConn(s *Socket, conn transport.Conn, endpoint string) *engine {
	s.mu.Lock()
	opts := s.opts
	s.mu.Unlock()
	e := &engine{
		sock:     s,
		conn:     conn,
		opts:     opts,
		endpoint: endpoint,
		wake:     make(chan struct{}, 1),
		rwake:    make(chan struct{}, 1),
		cmdRoom:  make(chan struct{}, 1),
		wexit:    make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	e.idle.Store(true)
	return e
}

// States of the writer goroutine (engine.wstate).
const (
	wOff     = iota // the handshake is not done
	wIdle           // no writer runs; signalWriter starts one
	wRunning        // a writer runs
	wClosed         // the connection ended: no writer will start
)

func (e *engine) signalWriter() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
	e.startWriter()
}

// startWriter starts the writer goroutine unless one runs.
func (e *engine) startWriter() {
	if e.wstate.Load() == wIdle && e.wstate.CompareAndSwap(wIdle, wRunning) {
		go e.writeLoop()
	}
}

// waitWriter waits for the writer to end once the connection stopped,
// and keeps new ones from starting.
func (e *engine) waitWriter() {
	for {
		s := e.wstate.Load()
		if s == wClosed || s == wOff || s == wIdle && e.wstate.CompareAndSwap(wIdle, wClosed) {
			return
		}
		<-e.wexit
	}
}

func (e *engine) signalReader() {
	select {
	case e.rwake <- struct{}{}:
	default:
	}
}

// stop makes run return soon.
func (e *engine) stop() {
	e.once.Do(func() {
		close(e.done)
		e.conn.Close()
	})
}

func (e *engine) write(b []byte) error {
	_, err := e.sc.Write(b)
	return err
}

// handshake runs the greeting and the mechanism handshake, with libzmq's
// send order: signature, then major version, then the rest, each only
// after the peer's matching part has arrived.
func (e *engine) handshake() error {
	if e.opts.HandshakeInterval > 0 {
		d := time.Now().Add(e.opts.HandshakeInterval)
		e.sc.SetReadDeadline(d)
		e.sc.SetWriteDeadline(d)
		defer func() {
			e.sc.SetReadDeadline(time.Time{})
			e.sc.SetWriteDeadline(time.Time{})
		}()
	}
	out := zmtp.AppendSignature(make([]byte, 0, 64), len(e.opts.RoutingID))
	if err := e.write(out); err != nil {
		return err
	}
	b, err := e.rd.PeekAvailable()
	if err != nil {
		return err
	}
	if b[0] != 0xFF {
		return e.handshakeV1()
	}
	if b, err = e.rd.Peek(zmtp.SignatureSize); err != nil {
		return err
	}
	if zmtp.IsV1Signature(b) {
		return e.handshakeV1()
	}
	if err := e.write([]byte{3}); err != nil {
		return err
	}
	if b, err = e.rd.Peek(zmtp.SignatureSize + 1); err != nil {
		return err
	}
	switch b[10] {
	case 0:
		return protoErr(fmt.Errorf("%w: versioned ZMTP/1.0 peer", ErrProtocol))
	case 1:
		return e.handshakeV2()
	}
	out = zmtp.AppendGreetingTail(out[:0], e.opts.Mechanism, e.opts.AsServer)
	if err := e.write(out); err != nil {
		return err
	}
	if b, err = e.rd.Peek(zmtp.GreetingSize); err != nil {
		return err
	}
	g, err := zmtp.ParseGreeting(b)
	if err != nil {
		return protoErr(err)
	}
	e.rd.Discard(zmtp.GreetingSize)
	e.ver = zmtp.PeerVersion(g.Major, g.Minor)
	if g.Mechanism != zmtp.MechanismField(e.opts.Mechanism) {
		return protoErr(&mechanism.ProtocolError{Code: mechanism.ErrZMTPMechanismMismatch,
			Msg: fmt.Sprintf("peer mechanism %q, ours %q", g.MechanismName(), e.opts.Mechanism)})
	}
	return e.mechanismHandshake()
}

func (e *engine) legacyAllowed() error {
	if e.opts.Mechanism != "NULL" || e.opts.ZAPDomain != "" {
		return protoErr(fmt.Errorf("%w: ZMTP/1.0 or 2.0 peer with security enabled", ErrProtocol))
	}
	return nil
}

// handshakeV1 completes the greeting with a ZMTP/1.0 peer: the signature we
// sent is the header of our identity frame; its identity frame follows.
func (e *engine) handshakeV1() error {
	if err := e.legacyAllowed(); err != nil {
		return err
	}
	if len(e.opts.RoutingID) > 0 {
		if err := e.write(e.opts.RoutingID); err != nil {
			return err
		}
	}
	_, size, err := e.rd.ReadV1Header(255)
	if err != nil {
		return framingErr(err)
	}
	id, err := e.rd.ReadBody(nil, size)
	if err != nil {
		return err
	}
	e.ver = zmtp.V10
	e.props = e.baseProps()
	e.props.set("Identity", string(id))
	return nil
}

// handshakeV2 completes the greeting with a ZMTP/2.0 peer: socket type
// octet, then an identity frame each way.
func (e *engine) handshakeV2() error {
	if err := e.legacyAllowed(); err != nil {
		return err
	}
	out := []byte{byte(e.sock.typ)}
	out = zmtp.AppendFrame(out, e.opts.RoutingID, 0)
	if err := e.write(out); err != nil {
		return err
	}
	if _, err := e.rd.Peek(12); err != nil {
		return err
	}
	e.rd.Discard(12)
	_, size, err := e.rd.ReadHeader(255, false)
	if err != nil {
		return framingErr(err)
	}
	id, err := e.rd.ReadBody(nil, size)
	if err != nil {
		return err
	}
	e.ver = zmtp.V20
	e.props = e.baseProps()
	e.props.set("Identity", string(id))
	return nil
}

func (e *engine) baseProps() *Properties {
	p := &Properties{}
	if pa := e.conn.PeerAddress(); pa != "" {
		p.set("Peer-Address", pa)
	}
	return p
}

func (e *engine) localMetadata() []mechanism.Property {
	props := []mechanism.Property{{Name: "Socket-Type", Value: []byte(e.sock.typ.String())}}
	switch e.sock.typ {
	case REQ, DEALER, ROUTER:
		props = append(props, mechanism.Property{Name: "Identity", Value: e.opts.RoutingID})
	}
	for _, k := range sortedKeys(e.opts.Metadata) {
		props = append(props, mechanism.Property{Name: k, Value: []byte(e.opts.Metadata[k])})
	}
	return props
}

func (e *engine) checkPeer(props []mechanism.Property) error {
	for _, p := range props {
		if p.Name == "Socket-Type" {
			if e.sock.typ == STREAM || e.sock.typ.Compatible(string(p.Value)) {
				return nil
			}
			return &mechanism.ProtocolError{Code: mechanism.ErrZMTPInvalidMetadata,
				Msg: fmt.Sprintf("socket type %s can not talk to %s", e.sock.typ, p.Value)}
		}
	}
	return &mechanism.ProtocolError{Code: mechanism.ErrZMTPInvalidMetadata, Msg: "no Socket-Type"}
}

func (e *engine) mechanismHandshake() error {
	var m mechanism.Mechanism = nullMechanism{}
	if e.opts.Mechanism != "NULL" {
		var err error
		if m, err = e.sock.ctx.reg.Mechanism(e.opts.Mechanism); err != nil {
			return protoErr(err)
		}
	}
	zap := newZAPClient(e)
	defer zap.close()
	sess, err := m.NewSession(&mechanism.Config{
		AsServer:         e.opts.AsServer,
		SocketType:       e.sock.typ.String(),
		Metadata:         e.localMetadata(),
		Options:          e.opts.MechanismOptions,
		ZAPDomain:        e.opts.ZAPDomain,
		ZAPEnforceDomain: e.opts.ZAPEnforceDomain,
		PeerAddress:      e.conn.PeerAddress(),
		RoutingID:        e.opts.RoutingID,
		ZAP:              zap,
		CheckPeer:        e.checkPeer,
	})
	if err != nil {
		return protoErr(err)
	}
	e.mech = sess
	var body []byte
	for {
		for {
			cmd, err := sess.Next()
			if err != nil {
				return protoErr(err)
			}
			if cmd == nil {
				break
			}
			if err := e.sendCommand(cmd); err != nil {
				return err
			}
		}
		switch sess.Status() {
		case mechanism.Ready:
			e.xform = sess.Transforms()
			if bs, ok := sess.(mechanism.BatchSession); ok && e.xform && e.fc == nil {
				// (over frames every frame is transformed on its own)
				e.bat = &batchCodec{sess: bs}
			}
			e.props = e.baseProps()
			for _, p := range sess.PeerProperties() {
				e.props.set(p.Name, string(p.Value))
			}
			return nil
		case mechanism.Failed:
			return protoErr(fmt.Errorf("%w: handshake failed", ErrProtocol))
		}
		flags, b, err := e.readCommand(body[:0])
		if err != nil {
			return err
		}
		body = b
		if flags&zmtp.FlagCommand == 0 {
			return protoErr(&mechanism.ProtocolError{Code: mechanism.ErrZMTPUnexpectedCommand, Msg: "data frame during handshake"})
		}
		if zmtp.IsCommand(body, zmtp.CmdError) {
			_, data, _ := zmtp.ParseCommand(body)
			reason, _ := zmtp.ParseError(data)
			switch reason {
			case "300", "400", "500":
				return protoErr(mechanism.NewAuthError(reason, ""))
			}
			return protoErr(fmt.Errorf("%w: peer sent ERROR %q", ErrProtocol, reason))
		}
		if err := sess.Process(body); err != nil {
			return protoErr(err)
		}
	}
}

const maxHandshakeCommand = transport.MaxCommandSize

// sendCommand writes one command frame of the handshake.
func (e *engine) sendCommand(cmd []byte) error {
	if e.fc != nil {
		if err := e.fc.WriteFrame(cmd, zmtp.FlagCommand); err != nil {
			return err
		}
		return e.fc.Flush()
	}
	return e.write(zmtp.AppendFrame(e.scratch[:0], cmd, zmtp.FlagCommand))
}

// readCommand reads one frame of the handshake, appending its body to
// body; handshake frames are at most maxHandshakeCommand octets.
func (e *engine) readCommand(body []byte) (byte, []byte, error) {
	if e.fc != nil {
		return e.readHandshakeFrame(body)
	}
	flags, size, err := e.rd.ReadHeader(maxHandshakeCommand, true)
	if err != nil {
		if errors.Is(err, zmtp.ErrFrameTooLarge) || errors.Is(err, zmtp.ErrMalformed) {
			return 0, body, protoErr(err)
		}
		return 0, body, err
	}
	body, err = e.rd.ReadBody(body, size)
	return flags, body, err
}

// run drives the connection until it ends. getPipe is called once the
// handshake succeeded to obtain the pipe to serve.
func (e *engine) run(getPipe func(props *Properties) *pipe) error {
	defer e.closeMech()
	if e.fc != nil {
		return e.runFrames(getPipe)
	}
	e.rd = zmtp.NewReader(e.sc, e.opts.InBatchSize)
	defer e.rd.Release()
	if err := e.handshake(); err != nil {
		return e.handshakeFailed(err)
	}
	return e.serve(getPipe, e.readLoop)
}

// handshakeFailed reports a failed handshake and stops the engine.
func (e *engine) handshakeFailed(err error) error {
	err = classify(err, true)
	e.monitorEnd(err, true, false)
	e.stop()
	return err
}

// serve runs a connection whose handshake is done until it ends: the
// writer goroutine, and read (the reader loop) on this one.
func (e *engine) serve(getPipe func(props *Properties) *pipe, read func() error) error {
	p := getPipe(e.props)
	if p == nil {
		e.monitorReady()
		e.stop()
		return &engineError{kind: errConnection, err: errStopped}
	}
	e.attach(p)

	e.wstate.Store(wIdle)
	e.startWriter() // for what was queued before the connection
	if (e.ver == zmtp.V10 || e.oneWay) && (e.sock.typ == PUB || e.sock.typ == XPUB) {
		// ZMTP/1.0 peers and one-way connections never subscribe:
		// subscribe them to everything.
		p.subscribeAll()
	}
	// HANDSHAKE_SUCCEEDED once the pipe is the socket's: a message sent
	// when the event is seen (a ROUTER's to this peer) finds it, as in
	// libzmq; nothing has been read yet
	e.monitorReady()
	err := read()
	local := e.doneClosed()
	e.stop()
	e.waitWriter()
	if e.hb != nil {
		e.hb.stop() // no writer runs or starts now: hb is ours
	}
	e.detach(p)
	// DISCONNECTED only once no writer of this connection can take a
	// message: one sent when the event is seen waits in the pipe for the
	// next connection (as in libzmq, where the engine is gone by then)
	e.monitorEndStopped(classify(err, false), false, false, local)
	return classify(err, false)
}

// attach makes e the connection of p: linger sees its queued output and
// pipe.terminate stops it, its writer is woken by output and its reader
// by room in the inbound queue, which reads at most readAheadBytes ahead.
func (e *engine) attach(p *pipe) {
	e.pipe = p
	p.mu.Lock()
	p.eng = e
	p.mu.Unlock()
	p.out.setOnReadable(e.signalWriter)
	p.in.setOnWritable(e.signalReader)
	p.in.setByteCap(readAheadBytes)
}

// detach undoes attach once e's reader and writer have stopped.
func (e *engine) detach(p *pipe) {
	p.out.setOnReadable(nil)
	p.in.setOnWritable(nil)
	p.in.setByteCap(0)
	p.mu.Lock()
	if p.eng == e {
		p.eng = nil
	}
	p.mu.Unlock()
}

func classify(err error, handshake bool) error {
	var ee *engineError
	if errors.As(err, &ee) {
		ee.handshake = handshake
		return ee
	}
	kind := errConnection
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		kind = errTimeout
	}
	return &engineError{kind: kind, handshake: handshake, err: err}
}

// readLoop decodes frames into whole messages and queues them.
func (e *engine) readLoop() error {
	if e.bat != nil {
		return e.readLoopBatch()
	}
	var cmd []byte
	maxSize := e.opts.MaxMsgSize
	cmdAllowed := e.ver >= zmtp.V30
	e.asm = newAssembly(&e.opts)
	// Messages are assembled in place in inBatch[nIn]; the slot after a
	// full batch holds the next one (flushIn moves it to the front).
	e.inBatch = make([]Msg, readBatch+1)
	for {
		if e.nIn > 0 && (e.ver == zmtp.V10 || !e.rd.HasFrame()) {
			if err := e.flushIn(); err != nil {
				return err
			}
		}
		var flags byte
		var size int
		var err error
		if e.ver == zmtp.V10 {
			flags, size, err = e.rd.ReadV1Header(maxSize)
		} else {
			flags, size, err = e.rd.ReadHeader(maxSize, cmdAllowed)
		}
		if err != nil {
			return framingErr(err)
		}
		e.recvSeen.Add(1)
		staging := &e.inBatch[e.nIn] // the message being assembled
		if err := e.asm.check(staging, size, flags&zmtp.FlagCommand == 0 || e.xform); err != nil {
			return err
		}
		if e.xform {
			if cmd, err = e.rd.ReadBody(cmd[:0], size); err != nil {
				return err
			}
			// decrypt straight into the message being assembled
			dst, in := e.asm.target(staging, len(cmd))
			s := len(dst)
			out, fl, err := e.mech.Decode(dst, cmd, flags)
			if err != nil {
				return protoErr(err)
			}
			if fl&zmtp.FlagCommand != 0 {
				if in {
					staging.buf = out[:s]
				}
				if err := e.command(out[s:]); err != nil {
					return err
				}
				continue
			}
			e.asm.add(staging, out, s, in)
			flags = fl
		} else if flags&zmtp.FlagCommand != 0 {
			if cmd, err = e.rd.ReadBody(cmd[:0], size); err != nil {
				return err
			}
			if err := e.command(cmd); err != nil {
				return err
			}
			continue
		} else {
			dst, in := e.asm.target(staging, size)
			s := len(dst)
			if dst, err = e.rd.ReadBody(dst, size); err != nil {
				return err
			}
			e.asm.add(staging, dst, s, in)
		}
		if flags&zmtp.FlagMore != 0 {
			continue
		}
		if err := e.finishMsg(staging); err != nil {
			return err
		}
	}
}

// finishMsg completes the message assembled in staging (e.asm), and
// queues it with its batch.
func (e *engine) finishMsg(staging *Msg) error {
	e.asm.finish(staging)
	staging.props = e.props
	staging.kind = kindData
	if e.sock.typ == DISH {
		if err := dishFrames(staging); err != nil {
			return err
		}
	}
	e.nIn++
	if e.nIn == readBatch {
		return e.flushIn()
	}
	return nil
}

// flushIn queues the decoded batch, waiting for room (HWM) while the
// connection lives. The message being assembled (inBatch[nIn]) moves to
// the front.
func (e *engine) flushIn() error {
	done := 0
	for done < e.nIn {
		k := e.pipe.in.pushBatch(e.inBatch[done:e.nIn], false)
		done += k
		if done < e.nIn {
			select {
			case <-e.rwake:
			case <-e.done:
				e.nIn = 0
				return errStopped
			}
		}
	}
	if e.nIn > 0 {
		e.inBatch[e.nIn].swap(&e.inBatch[0])
	}
	e.nIn = 0
	return nil
}

// deliver queues m on the pipe, waiting for room (HWM) while the
// connection lives.
func (e *engine) deliver(m *Msg, force bool) error {
	for !e.pipe.in.pushSwap(m, force) {
		select {
		case <-e.rwake:
		case <-e.done:
			return errStopped
		}
	}
	return nil
}

// command handles a command frame received after the handshake.
func (e *engine) command(body []byte) error {
	name, data, err := zmtp.ParseCommand(body)
	if err != nil {
		return protoErr(err)
	}
	switch string(name) {
	case zmtp.CmdPing:
		ttl, ctx, err := zmtp.ParsePing(data)
		if err != nil {
			return protoErr(err)
		}
		e.queueCommand(zmtp.AppendPong(nil, ctx))
		if ttl > 0 {
			e.armTTL(time.Duration(ttl) * 100 * time.Millisecond)
		}
		return e.waitCommandRoom()
	case zmtp.CmdPong:
	case zmtp.CmdSubscribe, zmtp.CmdCancel:
		var m Msg
		first := byte(1)
		kind := kindSubscribe
		if string(name) == zmtp.CmdCancel {
			first, kind = 0, kindCancel
		}
		m.buf = append(m.buf[:0], first)
		m.buf = append(m.buf, data...)
		m.fr = append(m.fr[:0], m.buf)
		m.Frames = m.fr
		m.props = e.props
		m.kind = kind
		if err := e.flushIn(); err != nil {
			return err
		}
		return e.deliver(&m, true)
	case zmtp.CmdError:
		return protoErr(fmt.Errorf("%w: peer sent ERROR", ErrProtocol))
	case zmtp.CmdJoin, zmtp.CmdLeave:
		if e.sock.typ != RADIO {
			return nil
		}
		m := joinMsg(string(name) == zmtp.CmdJoin, string(data))
		m.props = e.props
		if err := e.flushIn(); err != nil {
			return err
		}
		return e.deliver(&m, true)
	}
	return nil // other commands are ignored, as libzmq does
}

func (e *engine) queueCommand(body []byte) {
	e.cmdMu.Lock()
	e.cmds = append(e.cmds, body)
	e.cmdBytes += len(body)
	e.cmdMu.Unlock()
	e.signalWriter()
}

// Bounds of the commands (PONGs) queued for the writer: past them the
// reader stops reading until the writer has taken them, as libzmq stops
// reading from a peer whose output it can not flush. A peer that floods
// PINGs and never reads then costs at most this much, plus one write
// batch, plus the kernel's socket buffers.
const (
	maxQueuedCommands     = 1024
	maxQueuedCommandBytes = 64 << 10
)

// waitCommandRoom blocks the reader while the queued commands are at
// their bounds (the writer takes them all at once).
func (e *engine) waitCommandRoom() error {
	for {
		e.cmdMu.Lock()
		full := len(e.cmds) >= maxQueuedCommands || e.cmdBytes >= maxQueuedCommandBytes
		e.cmdMu.Unlock()
		if !full {
			return nil
		}
		select {
		case <-e.cmdRoom:
		case <-e.done:
			return errStopped
		}
	}
}

// ttl handling: the writer loop owns the timers; armTTL passes the request.
func (e *engine) armTTL(d time.Duration) {
	e.cmdMu.Lock()
	if e.ttlReq == 0 {
		e.ttlReq = d
	}
	e.cmdMu.Unlock()
	e.signalWriter()
}

// writeLoop is the writer goroutine: it writes until there is nothing
// left to write, then gives its buffers back and ends (see wstate).
func (e *engine) writeLoop() {
	for {
		idle := e.writeRun()
		e.releaseWriteBuffers()
		if !idle {
			e.wstate.Store(wClosed)
			break
		}
		e.wstate.Store(wIdle)
		// whoever queued something since the last look has seen the writer
		// running: look again, and run on if nobody started another one
		wanted := !e.pipe.out.empty()
		select {
		case <-e.wake:
			wanted = true
		default:
		}
		if !wanted || !e.wstate.CompareAndSwap(wIdle, wRunning) {
			break
		}
	}
	select {
	case e.wexit <- struct{}{}:
	default:
	}
}

// writerLinger is how long a writer with nothing to write waits for more
// before it ends.
const writerLinger = 100 * time.Millisecond

// Write buffers of running writers come from pools.
var writeBatchPool = sync.Pool{New: func() any {
	b := make([]Msg, writeBatch)
	return &b
}}

// cmdWriteBuf is the size of the buffer of a writer run that starts with
// commands only (a heartbeat's PING, PONGs, subscriptions): no need for
// OutBatchSize octets to send a few dozen (thousands of peers pinged at
// once would take as many large buffers).
const cmdWriteBuf = 512

// takeWriteBuffers lends the writer its buffers: small ones for commands
// only (see cmdWriteBuf), else a batch buffer of OutBatchSize.
func (e *engine) takeWriteBuffers(small bool) {
	size := e.opts.OutBatchSize + 1024
	if small {
		size = cmdWriteBuf
	}
	e.wsmall = small
	e.wbufp = bufpool.Get(size)
	e.wbuf = (*e.wbufp)[:0]
	e.batchp = writeBatchPool.Get().(*[]Msg)
	e.batch = *e.batchp
}

// releaseWriteBuffers gives the writer's buffers back; the storage of
// the messages last written goes back to the queue, for reuse.
func (e *engine) releaseWriteBuffers() {
	if e.batchp == nil {
		return
	}
	e.pipe.out.recycle(e.batch)
	clear(e.iov)
	e.iov = e.iov[:0]
	writeBatchPool.Put(e.batchp)
	bufpool.Put(e.wbufp)
	e.wbuf, e.wbufp, e.batch, e.batchp = nil, nil, nil, nil
}

// heartbeatDue runs when the heartbeat timer expires: a writer (this
// one started, or the one running) fires the heartbeat.
func (e *engine) heartbeatDue() {
	e.hbDue.Store(true)
	e.signalWriter()
}

// writeRun batches queued messages and commands into few writes, and
// fires heartbeats that came due. It returns true when there is nothing
// left to write, false when the connection ended.
func (e *engine) writeRun() bool {
	e.bw, _ = e.conn.(transport.Buffers)

	if e.hb == nil {
		e.hb = newHeartbeat(e)
	}
	hb := e.hb
	wroteData := false
	var linger *time.Timer
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()

	for {
		if e.batchp == nil {
			e.takeWriteBuffers(e.pipe.out.empty())
		}
		if e.hbDue.Load() && e.hbDue.CompareAndSwap(true, false) && !hb.fire() {
			e.fail(errHeartbeatTimeout)
			return false
		}
		// not idle from before the pop until the batch is written: linger
		// (pipe.pendingOut) reads the queue first, then this flag
		e.idle.Store(false)
		n := e.pipe.out.popBatch(e.batch)
		e.cmdMu.Lock()
		cmds := e.cmds
		e.cmds = nil
		if e.cmdBytes >= maxQueuedCommandBytes || len(cmds) >= maxQueuedCommands {
			select {
			case e.cmdRoom <- struct{}{}:
			default:
			}
		}
		e.cmdBytes = 0
		ttl := e.ttlReq
		e.ttlReq = 0
		e.cmdMu.Unlock()
		if ttl > 0 {
			hb.armTTL(ttl)
		}
		for _, c := range cmds {
			if err := e.encode(c, zmtp.FlagCommand); err != nil {
				e.fail(err)
				return false
			}
		}
		for i := 0; i < n; i++ {
			m := &e.batch[i]
			last := len(m.Frames) - 1
			if m.kind != kindData || e.oneWay {
				done, err := e.encodeSpecial(m)
				if err != nil {
					e.fail(err)
					return false
				}
				if done {
					continue
				}
			}
			if e.sock.typ == RADIO {
				// RADIO: the group travels as a frame before the body
				e.scratch2 = append(e.scratch2[:0], m.group...)
				if err := e.encode(e.scratch2, zmtp.FlagMore); err != nil {
					e.fail(err)
					return false
				}
			}
			for j, f := range m.Frames {
				var fl byte
				if j < last {
					fl = zmtp.FlagMore
				}
				if err := e.encode(f, fl); err != nil {
					e.fail(err)
					return false
				}
			}
		}
		// Large frames are referenced, not copied: they belong to e.batch,
		// so everything must be written before the next pop.
		if len(e.iov) == 0 && n == len(e.batch) && len(e.wbuf) < e.opts.OutBatchSize {
			continue // more may be queued: fill the buffer first
		}
		if err := e.flush(); err != nil {
			e.fail(err)
			return false
		}
		if n > 0 {
			wroteData = true
			if e.wsmall {
				// messages came after a start with commands only, and
				// all is written: the next round takes the large buffer
				e.releaseWriteBuffers()
			}
			continue
		}
		if len(cmds) > 0 {
			continue
		}
		e.idle.Store(true)
		if !e.pipe.out.empty() {
			e.idle.Store(false)
			continue
		}
		// the buffers go back while waiting (a burst to many peers leaves
		// as many writers waiting)
		e.releaseWriteBuffers()
		if !wroteData {
			// commands only (heartbeats, PONGs, subscriptions): end now
			return true
		}
		// after data stay a little for more (a busy connection would
		// otherwise start a writer per message), then end
		if linger == nil {
			linger = time.NewTimer(writerLinger)
		} else {
			linger.Reset(writerLinger)
		}
		select {
		case <-e.wake:
			continue
		case <-e.done:
			return false
		case <-linger.C:
			return true
		}
	}
}

// encodeSpecial writes a message that is not plain data: subscriptions
// as commands (ZMTP 3.1), JOIN and LEAVE commands (DISH). It reports
// whether m was dealt with; if not, it goes out as data (subscriptions to
// ZMTP 3.0 peers and over frame connections). A one-way connection
// sends nothing but data, and a receiving socket's nothing at all.
func (e *engine) encodeSpecial(m *Msg) (bool, error) {
	if e.oneWay {
		return m.kind != kindData || e.sock.typ == SUB || e.sock.typ == XSUB, nil
	}
	if (m.kind == kindSubscribe || m.kind == kindCancel) && e.ver >= zmtp.V31 && len(m.Frames) == 1 && len(m.Frames[0]) > 0 {
		name := zmtp.CmdSubscribe
		if m.kind == kindCancel {
			name = zmtp.CmdCancel
		}
		e.scratch2 = zmtp.AppendCommand(e.scratch2[:0], name, m.Frames[0][1:])
		return true, e.encode(e.scratch2, zmtp.FlagCommand)
	}
	if m.kind == kindJoin || m.kind == kindLeave {
		// DISH: JOIN/LEAVE commands (ZMTP 3.x only)
		if e.ver >= zmtp.V30 {
			name := zmtp.CmdJoin
			if m.kind == kindLeave {
				name = zmtp.CmdLeave
			}
			e.scratch2 = zmtp.AppendCommand(e.scratch2[:0], name, []byte(m.group))
			return true, e.encode(e.scratch2, zmtp.FlagCommand)
		}
		return true, nil
	}
	return false, nil
}

// encode adds one frame (a command when flags has FlagCommand) to the
// output, through the mechanism when it transforms frames. Small frames
// are copied into wbuf; large ones are referenced in e.iov and written
// with their neighbours by one writev. wbuf never grows past its capacity,
// so the iovecs that point into it stay valid until flush.
func (e *engine) encode(body []byte, flags byte) error {
	if e.fc != nil {
		return e.encodeFrame(body, flags)
	}
	if e.bat != nil {
		return e.bat.stage(e, body, flags)
	}
	if e.xform {
		var err error
		var fl byte
		e.scratch3, fl, err = e.mech.Encode(e.scratch3[:0], body, flags)
		if err != nil {
			return err
		}
		return e.put(e.scratch3, fl, true)
	}
	return e.put(body, flags, false)
}

// put adds one wire frame to the output (see encode); scratch says that
// body is the mechanism's output in scratch3, which the next Encode reuses.
func (e *engine) put(body []byte, flags byte, scratch bool) error {
	const maxHeader = 10
	// A large frame is referenced, not copied; one in scratch3 is written
	// at once.
	sealed := scratch && e.bw != nil && len(body) >= largeFrame
	large := sealed || e.bw != nil && !scratch && (len(body) >= largeFrame || len(body)+maxHeader > cap(e.wbuf)-maxHeader)
	need := maxHeader
	if !large {
		need += len(body)
	}
	if len(e.wbuf)+need > cap(e.wbuf) {
		if err := e.writeOut(); err != nil {
			return err
		}
	}
	if e.ver == zmtp.V10 {
		e.wbuf = zmtp.AppendV1FrameHeader(e.wbuf, len(body), flags&zmtp.FlagMore != 0)
	} else {
		e.wbuf = zmtp.AppendFrameHeader(e.wbuf, len(body), flags)
	}
	if large {
		e.iov = append(e.iov, e.wbuf[e.seg:len(e.wbuf)], body)
		e.seg = len(e.wbuf)
		e.iovBytes += len(body)
		if sealed || len(e.iov) >= maxIOV || e.iovBytes >= maxIOVBytes {
			return e.writeOut()
		}
		return nil
	}
	if len(body) > cap(e.wbuf)-len(e.wbuf) {
		// no writev: a frame larger than the buffer goes out on its own
		if err := e.writeOut(); err != nil {
			return err
		}
		return e.write(body)
	}
	e.wbuf = append(e.wbuf, body...)
	if len(e.wbuf) >= e.opts.OutBatchSize {
		return e.writeOut()
	}
	return nil
}

// Bounds of one gathered write.
const (
	maxIOV      = 128
	maxIOVBytes = 1 << 20
)

// flush writes everything encoded so far: wbuf alone with write, or wbuf's
// pieces and the referenced large frames together with one writev.
func (e *engine) flush() error {
	if e.fc != nil {
		return e.fc.Flush()
	}
	if e.bat != nil {
		if err := e.bat.encode(e); err != nil {
			return err
		}
	}
	return e.writeOut()
}

// writeOut writes wbuf and e.iov (see flush).
func (e *engine) writeOut() error {
	var err error
	if len(e.iov) == 0 {
		if len(e.wbuf) > 0 {
			err = e.write(e.wbuf)
		}
	} else {
		if e.seg < len(e.wbuf) {
			e.iov = append(e.iov, e.wbuf[e.seg:])
		}
		_, err = e.bw.WriteBuffers(e.iov)
		clear(e.iov)
		e.iov = e.iov[:0]
	}
	e.wbuf = e.wbuf[:0]
	e.seg = 0
	e.iovBytes = 0
	return err
}

// pingBody builds a PING with our TTL.
func (e *engine) pingBody() []byte {
	ttl := e.opts.HeartbeatTTL / (100 * time.Millisecond)
	return zmtp.AppendPing(nil, uint16(ttl), nil)
}
