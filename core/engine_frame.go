package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/zmtp"
)

// The frame engine: the engine of engine.go over a transport.FrameConn
// (ws, pgm). The connection carries whole frames with ZMTP flags, so
// there is no greeting and no stream framing; everything else — the
// mechanism handshake, commands, batching, HWM and read-ahead, heartbeats,
// monitor events — is the stream engine's own code. Capabilities, not
// scheme names, decide what runs:
//
//   - transport.Handshaker: the transport's handshake (the HTTP upgrade of
//     ws) runs first, bounded by HANDSHAKE_IVL;
//   - transport.FrameModer: how the session starts (a ZMTP mechanism
//     handshake over command frames, a routing-id exchange, or nothing);
//   - transport.Pinger: heartbeats use the transport's pings instead of
//     ZMTP PING commands (libzmq drops ZMTP PING over ws);
//   - transport.FrameBuffer: decoded messages are queued in batches while
//     more frames are already buffered.
//
// Subscriptions go out as data frames (0x01/0x00 + topic, as to a ZMTP 3.0
// peer) and are accepted both as data and as SUBSCRIBE/CANCEL commands.

// frameState is what an engine keeps about its frame connection.
type frameState struct {
	fc     transport.FrameConn   // nil for stream connections
	fb     transport.FrameBuffer // nil: queue the read batch before every read
	pinger transport.Pinger      // nil: ZMTP PING commands, where there are commands
	oneWay bool                  // FrameNone: no handshake, data only
	noMech bool                  // FrameRoutingID: no mechanism (monitor)
	noPing bool                  // no heartbeats are possible
}

// errHandshakeTimeout is the cause of a frame connection's handshake
// outlasting HANDSHAKE_IVL.
var errHandshakeTimeout error = &timeoutError{"zmq: handshake timed out"}

// newFrameEngine makes the engine of one frame connection.
func newFrameEngine(s *Socket, c transport.FrameConn, endpoint string, connect bool) *engine {
	e := newEngineConn(s, c, endpoint)
	e.fc = c
	e.fb, _ = c.(transport.FrameBuffer)
	e.pinger, _ = c.(transport.Pinger)
	e.connect = connect
	return e
}

// runFrames is run for a frame connection.
func (e *engine) runFrames(getPipe func(props *Properties) *pipe) error {
	if err := e.frameHandshake(); err != nil {
		return e.handshakeFailed(err)
	}
	return e.serve(getPipe, e.readFrames)
}

// frameErr classifies an error of the frame connection: a peer breaking
// the transport's protocol is a protocol error.
func frameErr(err error) error {
	if errors.Is(err, transport.ErrProtocol) {
		return protoErr(err)
	}
	return err
}

// frameHandshake runs the transport's handshake, then the session start
// of the connection's mode, all within HANDSHAKE_IVL.
func (e *engine) frameHandshake() (err error) {
	var ctx context.Context
	var cancel context.CancelFunc
	if ivl := e.opts.HandshakeInterval; ivl > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), ivl)
	} else {
		ctx, cancel = context.WithCancel(context.Background())
	}
	defer cancel()
	// A frame connection has no deadlines: expiry closes it, which ends
	// whatever read or write is waiting. Stopping the engine cancels ctx.
	expired := context.AfterFunc(ctx, func() {
		if ctx.Err() == context.DeadlineExceeded {
			e.fc.Close()
		}
	})
	defer expired()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-e.done:
			cancel()
		case <-stopped:
		}
	}()
	defer func() {
		if err != nil && ctx.Err() == context.DeadlineExceeded && !e.doneClosed() {
			err = fmt.Errorf("%w (%w)", errHandshakeTimeout, err)
		}
	}()

	if hs, ok := e.fc.(transport.Handshaker); ok {
		if err := hs.Handshake(ctx); err != nil {
			return frameErr(err)
		}
	}
	mode := transport.FrameMechanism
	if m, ok := e.fc.(transport.FrameModer); ok {
		mode = m.FrameMode()
	}
	e.ver = zmtp.V30 // 3.0 rules: subscriptions as data, JOIN/LEAVE as commands
	switch mode {
	case transport.FrameMechanism:
		return e.mechanismHandshake()
	case transport.FrameRoutingID:
		e.noMech = true
		e.noPing = e.pinger == nil // no commands, so no ZMTP PING
		return e.routingIDHandshake()
	case transport.FrameNone:
		e.oneWay, e.noPing = true, true
		e.props = e.baseProps()
		return nil
	}
	return protoErr(fmt.Errorf("%w: frame connection reports unknown mode %v", ErrProtocol, mode))
}

// routingIDHandshake exchanges routing ids (bare ZWS 2.0): each side's
// first frame is its ZMQ_ROUTING_ID; the peer's becomes its Identity.
func (e *engine) routingIDHandshake() error {
	if err := e.fc.WriteFrame(e.opts.RoutingID, 0); err != nil {
		return err
	}
	if err := e.fc.Flush(); err != nil {
		return err
	}
	id, flags, err := e.fc.ReadFrame(nil)
	if err != nil {
		return frameErr(err)
	}
	e.recvSeen.Add(1)
	if flags != 0 || len(id) > 255 {
		return protoErr(fmt.Errorf("%w: bad routing-id frame (flags %#x, %d octets)", ErrProtocol, flags, len(id)))
	}
	e.props = e.baseProps()
	e.props.set("Identity", string(id))
	return nil
}

// readHandshakeFrame reads one frame of the mechanism handshake.
func (e *engine) readHandshakeFrame(body []byte) (byte, []byte, error) {
	b, flags, err := e.fc.ReadFrame(body)
	if err != nil {
		return 0, body, frameErr(err)
	}
	e.recvSeen.Add(1)
	if len(b) > maxHandshakeCommand {
		return 0, body, protoErr(fmt.Errorf("%w: %d octets", zmtp.ErrFrameTooLarge, len(b)))
	}
	return flags, b, nil
}

// readFrames is the reader loop over frames: it assembles messages in
// place in the read batch, as readLoop does over a stream.
func (e *engine) readFrames() error {
	var cmd []byte
	maxSize := e.opts.MaxMsgSize
	e.asm = newAssembly(&e.opts)
	e.inBatch = make([]Msg, readBatch+1)
	for {
		if e.nIn > 0 && (e.fb == nil || !e.fb.HasFrame()) {
			if err := e.flushIn(); err != nil {
				return err
			}
		}
		staging := &e.inBatch[e.nIn] // the message being assembled
		// The first frame is read straight into the message; later ones
		// into scratch, then copied as the assembly's growth rules say,
		// since the transport's append would double the message's buffer.
		dst := staging.buf
		first := e.asm.frames() == 0
		if !first {
			dst = e.asm.scratch[:0]
		}
		s := len(dst)
		var flags byte
		if e.xform {
			var err error
			if cmd, flags, err = e.fc.ReadFrame(cmd[:0]); err != nil {
				return e.readFramesEnd(err)
			}
			e.recvSeen.Add(1)
			// decrypt straight into the message being assembled
			out, fl, err := e.mech.Decode(dst, cmd, flags)
			if err != nil {
				return protoErr(err)
			}
			dst, flags = out, fl
		} else {
			b, fl, err := e.fc.ReadFrame(dst)
			if err != nil {
				staging.buf = staging.buf[:s]
				return e.readFramesEnd(err)
			}
			e.recvSeen.Add(1)
			dst, flags = b, fl
		}
		if flags&zmtp.FlagCommand != 0 {
			// The command's body stays intact past len(staging.buf) until
			// the next read; command copies what it keeps.
			if first {
				staging.buf = dst[:s]
			}
			if err := e.command(dst[s:]); err != nil {
				return err
			}
			continue
		}
		if maxSize >= 0 && int64(len(dst)-s) > maxSize {
			return protoErr(fmt.Errorf("%w: %d octets", zmtp.ErrFrameTooLarge, len(dst)-s))
		}
		if err := e.asm.check(staging, len(dst)-s, true); err != nil {
			return err
		}
		if first {
			e.asm.add(staging, dst, s, true)
		} else {
			e.asm.addCopy(staging, dst[s:])
			if cap(dst) <= 64<<10 {
				e.asm.scratch = dst[:0]
			}
		}
		if flags&zmtp.FlagMore != 0 {
			continue
		}
		if err := e.finishMsg(staging); err != nil {
			return err
		}
	}
}

// readFramesEnd ends the reader loop after a read error: the messages
// decoded before it are delivered first (a connection may end right after
// a frame HasFrame reported).
func (e *engine) readFramesEnd(err error) error {
	if e.nIn > 0 {
		_ = e.flushIn()
	}
	return frameErr(err)
}

// encodeFrame hands one frame to the frame connection, through the
// mechanism when it transforms frames.
func (e *engine) encodeFrame(body []byte, flags byte) error {
	if e.xform {
		var err error
		e.scratch3, flags, err = e.mech.Encode(e.scratch3[:0], body, flags)
		if err != nil {
			return err
		}
		body = e.scratch3
	}
	return e.fc.WriteFrame(body, flags)
}

// ping sends a heartbeat: the transport's ping where it has one, else a
// ZMTP PING command. It runs on the writer goroutine.
func (e *engine) ping() {
	if e.pinger != nil {
		if err := e.pinger.Ping(); err != nil {
			e.fail(err)
		}
		return
	}
	e.queueCommand(e.pingBody())
}

// seen counts what arrived from the peer, for heartbeats: frames, and
// the transport's pings and pongs.
func (e *engine) seen() uint64 {
	n := e.recvSeen.Load()
	if e.pinger != nil {
		n += e.pinger.Activity()
	}
	return n
}

// checkFrameSocket refuses socket types that can not run over frame
// transports: STREAM exchanges raw bytes, which have no frames.
func checkFrameSocket(t SocketType) error {
	if t == STREAM {
		return fmt.Errorf("%w: STREAM sockets need a byte-stream transport", ErrNoCompatProto)
	}
	return nil
}
