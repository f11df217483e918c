package core

import (
	"errors"
	"io"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

// Batched traffic transforms (mechanism.BatchSession): the writer stages
// the frames of a write batch and encodes them with one EncodeBatch call
// when it flushes; the reader takes every wire frame it has buffered and
// decodes them with one DecodeBatch call. A mechanism that runs in another
// process (registry/external) thus costs one round trip per batch, not per
// frame.

// Bounds of one batch.
const (
	maxBatchFrames = 256
	maxBatchBytes  = 256 << 10
)

// batchCodec is an engine's state for a BatchSession.
type batchCodec struct {
	sess mechanism.BatchSession

	// writer side
	stBuf  []byte            // staged frame bodies
	stOffs []int             // start, end of each staged body in stBuf
	stFl   []byte            // flags of each staged frame
	in     []mechanism.Frame // staged frames, for EncodeBatch
	out    []mechanism.Frame // EncodeBatch's output
	encBuf []byte            // storage of out

	// reader side
	wireBuf  []byte
	wireOffs []int
	wireFl   []byte
	rin      []mechanism.Frame
	rout     []mechanism.Frame
	decBuf   []byte
	pos, n   int   // rout[pos:n] are decoded frames not yet consumed
	decErr   error // DecodeBatch's error, returned once rout is consumed
}

// stage copies one outgoing frame into the batch, encoding the batch when
// it is full.
func (b *batchCodec) stage(e *engine, body []byte, flags byte) error {
	s := len(b.stBuf)
	b.stBuf = append(b.stBuf, body...)
	b.stOffs = append(b.stOffs, s, len(b.stBuf))
	b.stFl = append(b.stFl, flags)
	if len(b.stFl) >= maxBatchFrames || len(b.stBuf) >= maxBatchBytes {
		return b.encode(e)
	}
	return nil
}

// encode encodes the staged frames with one EncodeBatch and puts the wire
// frames in the engine's output. The output references encBuf, which the
// next EncodeBatch reuses, so what is pending is written out first.
func (b *batchCodec) encode(e *engine) error {
	nf := len(b.stFl)
	if nf == 0 {
		return nil
	}
	if len(e.iov) > 0 {
		if err := e.writeOut(); err != nil {
			return err
		}
	}
	b.in = b.in[:0]
	for i := 0; i < nf; i++ {
		b.in = append(b.in, mechanism.Frame{Body: b.stBuf[b.stOffs[2*i]:b.stOffs[2*i+1]], Flags: b.stFl[i]})
	}
	if cap(b.out) < nf {
		b.out = make([]mechanism.Frame, nf)
	}
	out := b.out[:nf]
	var err error
	b.encBuf, err = b.sess.EncodeBatch(b.encBuf[:0], b.in, out)
	clear(b.in)
	b.stBuf, b.stOffs, b.stFl = b.stBuf[:0], b.stOffs[:0], b.stFl[:0]
	if err != nil {
		return err
	}
	for i := range out {
		if err := e.put(out[i].Body, out[i].Flags, false); err != nil {
			return err
		}
	}
	clear(out)
	return nil
}

// next returns the next decoded frame, reading and decoding a batch when
// none is left: at least one wire frame, waiting for it, and then every
// frame already buffered.
func (b *batchCodec) next(e *engine, maxSize int64) (mechanism.Frame, error) {
	if b.pos < b.n {
		f := b.rout[b.pos]
		b.pos++
		return f, nil
	}
	if b.decErr != nil {
		return mechanism.Frame{}, b.decErr
	}
	b.wireBuf, b.wireOffs, b.wireFl = b.wireBuf[:0], b.wireOffs[:0], b.wireFl[:0]
	for len(b.wireFl) == 0 || e.rd.HasFrame() && len(b.wireFl) < maxBatchFrames && len(b.wireBuf) < maxBatchBytes {
		flags, size, err := e.rd.ReadHeader(maxSize, true)
		if err != nil {
			if errors.Is(err, zmtp.ErrFrameTooLarge) || errors.Is(err, zmtp.ErrMalformed) {
				err = protoErr(err)
			}
			if len(b.wireFl) == 0 {
				return mechanism.Frame{}, err
			}
			b.decErr = err // decode what came before it first
			break
		}
		e.recvSeen.Add(1)
		s := len(b.wireBuf)
		if b.wireBuf, err = e.rd.ReadBody(b.wireBuf, size); err != nil {
			if len(b.wireFl) == 0 {
				return mechanism.Frame{}, err
			}
			b.wireBuf = b.wireBuf[:s]
			b.decErr = err
			break
		}
		b.wireOffs = append(b.wireOffs, s, len(b.wireBuf))
		b.wireFl = append(b.wireFl, flags)
	}
	nf := len(b.wireFl)
	b.rin = b.rin[:0]
	for i := 0; i < nf; i++ {
		b.rin = append(b.rin, mechanism.Frame{Body: b.wireBuf[b.wireOffs[2*i]:b.wireOffs[2*i+1]], Flags: b.wireFl[i]})
	}
	if cap(b.rout) < nf {
		b.rout = make([]mechanism.Frame, nf)
	}
	var n int
	var err error
	b.decBuf, n, err = b.sess.DecodeBatch(b.decBuf[:0], b.rin, b.rout[:nf])
	clear(b.rin)
	if err != nil {
		b.decErr = protoErr(err)
	}
	b.pos, b.n = 0, n
	return b.next(e, maxSize)
}

// readLoopBatch is readLoop for a BatchSession: frames come decoded from
// the batch codec and are copied into the message being assembled.
func (e *engine) readLoopBatch() error {
	maxSize := e.opts.MaxMsgSize
	e.asm = newAssembly(&e.opts)
	e.inBatch = make([]Msg, readBatch+1)
	for {
		if e.nIn > 0 && e.bat.pos == e.bat.n && !e.rd.HasFrame() {
			if err := e.flushIn(); err != nil {
				return err
			}
		}
		f, err := e.bat.next(e, maxSize)
		if err != nil {
			return err
		}
		if f.Flags&zmtp.FlagCommand != 0 {
			if err := e.command(f.Body); err != nil {
				return err
			}
			continue
		}
		staging := &e.inBatch[e.nIn]
		if err := e.asm.check(staging, len(f.Body), true); err != nil {
			return err
		}
		e.asm.addCopy(staging, f.Body)
		if f.Flags&zmtp.FlagMore != 0 {
			continue
		}
		if err := e.finishMsg(staging); err != nil {
			return err
		}
	}
}

// closeMech closes the mechanism session if it holds resources (a session
// of an out-of-process mechanism); run calls it once the connection ends.
func (e *engine) closeMech() {
	if c, ok := e.mech.(io.Closer); ok {
		_ = c.Close()
	}
}
