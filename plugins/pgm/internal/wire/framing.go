package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// libzmq's framing inside PGM (doc/zmq_pgm.adoc, src/pgm_sender.cpp,
// src/pgm_receiver.cpp): every APDU starts with a 16-bit big-endian offset
// to the first byte of the first message that starts in it, or NoOffset if
// only the middle of a message is there; the rest is a stream of ZMTP/1.0
// frames cut at APDU boundaries. A ZMTP/1.0 frame is a length octet (or
// 0xFF and a 64-bit length) counting the flags octet and the body, the
// flags octet (bit 0: MORE) and the body.

// NoOffset is the offset of an APDU in which no message starts.
const NoOffset = 0xFFFF

// OffsetLen is the size of the offset at the start of each APDU.
const OffsetLen = 2

const flagMore = 0x01

// Packer cuts the ZMTP/1.0 encoding of a stream of frames into APDUs of at
// most Max octets (offset included), the way libzmq's pgm_sender does.
// It fills buffers from Alloc, which returns an empty buffer of length
// Headroom (room for the PGM header, left untouched) and capacity at least
// Headroom+Max, and hands each finished one to Emit. Messages are packed
// back to back; Flush emits a partly filled APDU.
type Packer struct {
	Max      int
	Headroom int
	Alloc    func() []byte
	Emit     func(tpdu []byte)

	cur   []byte // the APDU being filled, nil if none
	inMsg bool   // the last frame written had MORE
}

// WriteFrame appends one frame; more says another frame of the same
// message follows.
func (p *Packer) WriteFrame(body []byte, more bool) {
	var hb [10]byte
	h := hb[:0]
	if n := uint64(len(body)) + 1; n < 0xFF {
		h = append(h, byte(n))
	} else {
		h = append(h, 0xFF)
		h = binary.BigEndian.AppendUint64(h, n)
	}
	if more {
		h = append(h, flagMore)
	} else {
		h = append(h, 0)
	}
	if !p.inMsg {
		p.ensure()
		off := p.cur[p.Headroom:]
		if binary.BigEndian.Uint16(off) == NoOffset {
			binary.BigEndian.PutUint16(off, uint16(len(off)-OffsetLen))
		}
	}
	p.inMsg = more
	if p.cur != nil && len(p.cur)+len(h)+len(body) <= p.Headroom+p.Max {
		// the usual case: the frame fits in the current APDU
		p.cur = append(append(p.cur, h...), body...)
		return
	}
	p.write(h)
	p.write(body)
}

// ensure makes sure a current APDU with room for at least one octet exists.
func (p *Packer) ensure() {
	if p.cur != nil && len(p.cur) < p.Headroom+p.Max {
		return
	}
	if p.cur != nil {
		p.Emit(p.cur)
	}
	b := p.Alloc()[:p.Headroom]
	p.cur = binary.BigEndian.AppendUint16(b, NoOffset)
}

func (p *Packer) write(b []byte) {
	for len(b) > 0 {
		p.ensure()
		room := p.Headroom + p.Max - len(p.cur)
		n := min(room, len(b))
		p.cur = append(p.cur, b[:n]...)
		b = b[n:]
	}
}

// Flush emits the current APDU if it holds any frame data.
func (p *Packer) Flush() {
	if p.cur != nil && len(p.cur) > p.Headroom+OffsetLen {
		p.Emit(p.cur)
		p.cur = nil
	}
}

// Pending reports whether a partly filled APDU waits for Flush.
func (p *Packer) Pending() bool { return p.cur != nil && len(p.cur) > p.Headroom+OffsetLen }

// InMessage reports whether the last frame written had MORE set.
func (p *Packer) InMessage() bool { return p.inMsg }

// Errors a Decoder reports (through Stats and the error of Feed).
var (
	ErrBadOffset  = errors.New("pgm: APDU offset outside the APDU")
	ErrShortAPDU  = errors.New("pgm: APDU shorter than its offset")
	ErrZeroLength = errors.New("pgm: ZMTP/1.0 frame of length 0")
	ErrTooLarge   = errors.New("pgm: message larger than MAXMSGSIZE")
	ErrBoundary   = errors.New("pgm: APDU offset is not at a message boundary")
)

// DecoderStats counts what a Decoder did.
type DecoderStats struct {
	Messages uint64 // complete messages delivered
	Resyncs  uint64 // times the stream was rejoined after a loss or an error
	Errors   uint64 // APDUs with malformed framing (each also a resync)
	Dropped  uint64 // partial messages thrown away
	Skipped  uint64 // APDUs skipped while waiting for a message start
}

// Decoder reassembles the messages of one sender (one TSI) from its APDUs
// in sequence order. It joins the stream at the first message start it
// sees, and after a loss (Lost) or a framing error it throws away the
// partial message and rejoins at the next APDU whose offset marks a
// message start, as libzmq's pgm_receiver does. It also checks each
// offset against its own parsing and rejoins there on a mismatch. Memory
// grows only with data that actually arrives.
type Decoder struct {
	// MaxMsgSize (ZMQ_MAXMSGSIZE) bounds each frame's declared size; <0:
	// no limit.
	MaxMsgSize int64
	// Deliver receives each complete message. The frames belong to the
	// callee, unless Borrow is set.
	Deliver func(frames [][]byte)
	// Borrow lends the frames to Deliver for the call only: the decoder
	// reuses their memory for the next message, so that decoding does not
	// allocate per message.
	Borrow bool

	Stats DecoderStats

	joined bool
	more   bool   // the last complete frame had MORE: the message goes on
	store  []byte // the bodies of the current message, back to back
	ends   []int  // where each complete frame of it ends in store
	out    [][]byte
	hdr    [10]byte // header octets read so far
	hdrN   int
	inBody bool   // reading a body
	left   uint64 // body octets still to come
	flags  byte
}

// keepStore is the largest message buffer a borrowing decoder keeps for
// the next message; larger ones go back to the garbage collector.
const keepStore = 1 << 20

// Joined reports whether the decoder follows the stream (it has seen a
// message start since the last loss).
func (d *Decoder) Joined() bool { return d.joined }

// atBoundary reports whether the parser sits between two messages.
func (d *Decoder) atBoundary() bool { return !d.more && d.hdrN == 0 && !d.inBody }

func (d *Decoder) reset() {
	if len(d.ends) > 0 || d.hdrN > 0 || d.inBody {
		d.Stats.Dropped++
	}
	d.clear()
	d.more = false
	d.hdrN = 0
	d.inBody = false
	d.left = 0
}

// clear empties the message buffer.
func (d *Decoder) clear() {
	d.ends = d.ends[:0]
	if cap(d.store) > keepStore {
		d.store = nil
	} else {
		d.store = d.store[:0]
	}
}

// Lost tells the decoder that data of the stream was lost: the partial
// message is dropped and the decoder waits for the next message start.
func (d *Decoder) Lost() {
	d.reset()
	if d.joined {
		d.Stats.Resyncs++
	}
	d.joined = false
}

// Feed decodes the next APDU of the stream. A malformed APDU is reported
// (and counted) and the decoder waits for the next message start, having
// delivered the messages that completed before the error.
func (d *Decoder) Feed(apdu []byte) error {
	if len(apdu) < OffsetLen {
		return d.fail(ErrShortAPDU)
	}
	off := int(binary.BigEndian.Uint16(apdu))
	data := apdu[OffsetLen:]
	if off != NoOffset && off > len(data) {
		return d.fail(fmt.Errorf("%w: %d of %d octets", ErrBadOffset, off, len(data)))
	}
	if !d.joined {
		if off == NoOffset || off == len(data) {
			d.Stats.Skipped++
			return nil
		}
		d.joined = true
		return d.decode(data[off:])
	}
	if off != NoOffset {
		if err := d.decode(data[:off]); err != nil {
			return err
		}
		if !d.atBoundary() {
			// our parse and the sender's offset disagree: trust the offset
			d.reset()
			d.Stats.Errors++
			d.Stats.Resyncs++
		}
		return d.decode(data[off:])
	}
	return d.decode(data)
}

func (d *Decoder) fail(err error) error {
	d.reset()
	d.Stats.Errors++
	if d.joined {
		d.Stats.Resyncs++
	}
	d.joined = false
	return err
}

func (d *Decoder) decode(b []byte) error {
	for len(b) > 0 {
		if d.inBody {
			n := uint64(len(b))
			if n > d.left {
				n = d.left
			}
			d.store = append(d.store, b[:n]...)
			d.left -= n
			b = b[n:]
			if d.left == 0 {
				d.finishFrame()
			}
			continue
		}
		// header: one length octet (or 0xFF and eight), then the flags
		d.hdr[d.hdrN] = b[0]
		d.hdrN++
		b = b[1:]
		need := 2
		if d.hdr[0] == 0xFF {
			need = 10
		}
		if d.hdrN < need {
			continue
		}
		var n uint64
		if need == 2 {
			n = uint64(d.hdr[0])
		} else {
			n = binary.BigEndian.Uint64(d.hdr[1:9])
		}
		d.flags = d.hdr[need-1] & flagMore
		d.hdrN = 0
		if n == 0 {
			return d.fail(ErrZeroLength)
		}
		n-- // the length counts the flags octet
		if d.MaxMsgSize >= 0 && n > uint64(d.MaxMsgSize) {
			return d.fail(fmt.Errorf("%w: frame of %d octets, limit %d", ErrTooLarge, n, d.MaxMsgSize))
		}
		d.inBody = true
		d.left = n
		if n == 0 {
			d.finishFrame()
		}
	}
	return nil
}

func (d *Decoder) finishFrame() {
	d.inBody = false
	d.ends = append(d.ends, len(d.store))
	d.more = d.flags&flagMore != 0
	if d.more {
		return
	}
	d.Stats.Messages++
	if d.Deliver == nil {
		d.clear()
		return
	}
	var fr [][]byte
	src := d.store
	if d.Borrow {
		fr = d.out[:0]
	} else {
		// one allocation for the bodies, one for the frame list
		src = make([]byte, len(d.store))
		copy(src, d.store)
		fr = make([][]byte, 0, len(d.ends))
	}
	start := 0
	for _, e := range d.ends {
		fr = append(fr, src[start:e:e])
		start = e
	}
	d.clear()
	if d.Borrow {
		d.out = fr
	}
	d.Deliver(fr)
	if d.Borrow {
		clear(d.out)
	}
}
