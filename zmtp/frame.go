package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/zmqkit/zmqkit/internal/bufpool"
)

// Frame flag bits (ZMTP 3.x). ZMTP 2.0 has MORE and LONG; ZMTP 1.0 only MORE.
const (
	FlagMore    byte = 0x01
	FlagLong    byte = 0x02
	FlagCommand byte = 0x04
)

// Errors returned by the frame codec.
var (
	// ErrFrameTooLarge: a frame is larger than the limit given.
	ErrFrameTooLarge = errors.New("zmtp: frame exceeds size limit")
	// ErrMalformed: the stream breaks the framing rules.
	ErrMalformed = errors.New("zmtp: malformed frame")
)

// AppendFrameHeader appends a ZMTP 3.x/2.0 frame header for a body of size
// octets: the short form up to 255 octets, the long form above, as libzmq.
func AppendFrameHeader(dst []byte, size int, flags byte) []byte {
	if size > 255 {
		dst = append(dst, flags|FlagLong)
		return binary.BigEndian.AppendUint64(dst, uint64(size))
	}
	return append(dst, flags&^FlagLong, byte(size))
}

// AppendFrame appends a whole ZMTP 3.x/2.0 frame.
func AppendFrame(dst, body []byte, flags byte) []byte {
	dst = AppendFrameHeader(dst, len(body), flags)
	return append(dst, body...)
}

// AppendV1FrameHeader appends a ZMTP/1.0 frame header: a length counting
// the flags octet, then the flags octet (bit 0 MORE).
func AppendV1FrameHeader(dst []byte, size int, more bool) []byte {
	n := uint64(size) + 1
	if n < 255 {
		dst = append(dst, byte(n))
	} else {
		dst = append(dst, 0xFF)
		dst = binary.BigEndian.AppendUint64(dst, n)
	}
	if more {
		return append(dst, FlagMore)
	}
	return append(dst, 0)
}

// HeaderSize returns the size of the 3.x/2.0 header for a body of size octets.
func HeaderSize(size int) int {
	if size > 255 {
		return 9
	}
	return 2
}

// Reader is a buffered reader of a ZMTP stream. It reads as much as the
// connection has per system call and decodes frame headers in place; bodies
// are copied out (ReadBody), or read straight into the destination when
// they are larger than what is buffered.
type Reader struct {
	r    io.Reader
	buf  []byte // nil while empty and idle (see idleReader)
	size int    // len(buf) once taken
	bufp *[]byte
	rpos int
	wpos int
	// maxRead caps a read while large frames flow, so their bodies are
	// read straight into the destination instead of through buf (0: no cap)
	maxRead int
	// rv, when the connection can scatter-read, reads a large body and
	// the start of what follows (the next header) with one system call.
	rv  buffersReader
	iov [][]byte
	// ir, when the connection can wait without a buffer, lets an empty
	// buffer go back to a pool while the reader waits for data.
	ir      idleReader
	getBuf  func() []byte
	putBuf  func()
	idleEnd int // where a read through ir ends (getBuf)
}

// idleReader is transport.IdleReader.
type idleReader interface {
	ReadIdle(get func() []byte, put func()) (int, error)
}

// take gives r its buffer if it has none.
func (r *Reader) take() {
	if r.buf == nil {
		r.bufp = bufpool.Get(r.size)
		r.buf = *r.bufp
	}
}

// release gives r's empty buffer back to the pool.
func (r *Reader) release() {
	if r.bufp != nil && r.rpos == r.wpos {
		bufpool.Put(r.bufp) // idle: the buffer goes back to the pool
		r.buf, r.bufp = nil, nil
		r.rpos, r.wpos = 0, 0
	}
}

// buffersReader is transport.BuffersReader (readv).
type buffersReader interface {
	ReadBuffers(bufs [][]byte) (int, error)
}

// directRead is the body remainder size from which ReadBody reads straight
// into the destination; smallRead is the read cap after such a body.
// directSpare is how much a direct read takes beyond the body: enough for
// the next frame's header and a little more. Bytes that land there are
// copied again if they belong to the next body, so it is kept small; a run
// of small frames after a large one costs one more read.
const (
	directRead  = 8 << 10
	smallRead   = 4 << 10
	directSpare = 128
)

// NewReader returns a Reader over r with a buffer of size octets.
func NewReader(r io.Reader, size int) *Reader {
	if size < 512 {
		size = 512
	}
	rd := &Reader{r: r, size: size}
	if rv, ok := r.(buffersReader); ok {
		rd.rv = rv
		rd.iov = make([][]byte, 2)
	}
	if ir, ok := r.(idleReader); ok {
		rd.ir = ir
		rd.getBuf = func() []byte {
			rd.take()
			return rd.buf[rd.wpos:rd.idleEnd]
		}
		rd.putBuf = rd.release
	} else {
		rd.buf = make([]byte, size)
	}
	return rd
}

// Prefill buffers b as if read from the connection first: bytes that a
// handshake read past its end. It reports false, buffering nothing, when
// b does not fit the buffer (the caller then puts a reader in front).
// Unlike such a reader, it keeps the connection's idle reads (the buffer
// goes back to its pool once b is consumed and nothing else is there).
func (r *Reader) Prefill(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if len(b) > r.size-r.wpos {
		return false
	}
	r.take()
	r.wpos += copy(r.buf[r.wpos:], b)
	return true
}

// Release gives the buffer back to its pool when nothing is buffered
// (the connection ended).
func (r *Reader) Release() {
	if r.ir != nil {
		r.release()
	}
}

// readDirect fills seg straight from the connection; with scatter reads
// and last set (seg ends the frame) the bytes that follow land in buf (at
// most directSpare of them). Before the frame's last piece nothing may be
// read ahead: those bytes are still the body's.
func (r *Reader) readDirect(seg []byte, last bool) error {
	if r.rv == nil || r.rpos != r.wpos {
		_, err := io.ReadFull(r.r, seg)
		return err
	}
	r.rpos, r.wpos = 0, 0
	r.take()
	spare := r.buf[:directSpare]
	if !last {
		spare = nil
	}
	for len(seg) > 0 {
		r.iov[0], r.iov[1] = seg, spare
		k, err := r.rv.ReadBuffers(r.iov)
		r.iov[0], r.iov[1] = nil, nil
		if k <= len(seg) {
			seg = seg[k:]
		} else {
			r.wpos = k - len(seg)
			seg = nil
		}
		if err != nil && len(seg) > 0 {
			return err
		}
	}
	return nil
}

// Buffered returns the number of octets read but not yet consumed.
func (r *Reader) Buffered() int { return r.wpos - r.rpos }

// fill reads until at least n octets are buffered (n <= len(buf)).
func (r *Reader) fill(n int) error {
	if r.wpos-r.rpos >= n {
		return nil
	}
	if r.rpos > 0 && (r.size-r.rpos < n || r.rpos == r.wpos) {
		r.wpos = copy(r.buf, r.buf[r.rpos:r.wpos])
		r.rpos = 0
	}
	for r.wpos-r.rpos < n {
		end := r.size
		if r.maxRead > 0 && r.wpos+r.maxRead < end && r.wpos+r.maxRead-r.rpos >= n {
			end = r.wpos + r.maxRead
		}
		var k int
		var err error
		if r.ir != nil && r.wpos == 0 {
			// nothing buffered: wait without holding the buffer
			r.idleEnd = end
			k, err = r.ir.ReadIdle(r.getBuf, r.putBuf)
		} else {
			r.take()
			k, err = r.r.Read(r.buf[r.wpos:end])
		}
		if r.maxRead > 0 && k == end-r.wpos {
			// the stream has more than the cap: small frames again?
			if r.maxRead *= 2; r.maxRead >= r.size {
				r.maxRead = 0
			}
		}
		r.wpos += k
		if err != nil {
			if r.wpos-r.rpos >= n {
				return nil
			}
			if err == io.EOF && r.wpos-r.rpos > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// Peek returns the next n octets without consuming them (n at most 64).
// The slice is valid until the next call on r.
func (r *Reader) Peek(n int) ([]byte, error) {
	if err := r.fill(n); err != nil {
		return nil, err
	}
	return r.buf[r.rpos : r.rpos+n], nil
}

// PeekAvailable returns at least one octet, and whatever else is buffered.
func (r *Reader) PeekAvailable() ([]byte, error) {
	if err := r.fill(1); err != nil {
		return nil, err
	}
	return r.buf[r.rpos:r.wpos], nil
}

// Discard consumes n buffered octets (n must not exceed Buffered).
func (r *Reader) Discard(n int) { r.rpos += n }

// ReadFull fills p.
func (r *Reader) ReadFull(p []byte) error {
	for len(p) > 0 {
		if r.rpos == r.wpos {
			if len(p) >= r.size {
				_, err := io.ReadFull(r.r, p)
				return err
			}
			if err := r.fill(1); err != nil {
				return err
			}
		}
		k := copy(p, r.buf[r.rpos:r.wpos])
		r.rpos += k
		p = p[k:]
	}
	return nil
}

// HasFrame reports whether a whole ZMTP 3.x/2.0 frame (header and body)
// is buffered, so decoding it will not block.
func (r *Reader) HasFrame() bool {
	n := r.wpos - r.rpos
	if n < 2 {
		return false
	}
	b := r.buf[r.rpos:r.wpos]
	if b[0]&FlagLong == 0 {
		return 2+int(b[1]) <= n
	}
	if n < 9 {
		return false
	}
	size := binary.BigEndian.Uint64(b[1:9])
	return size <= uint64(n-9)
}

// ReadHeader reads a ZMTP 3.x or 2.0 frame header. maxSize (< 0: no limit)
// is checked before anything is allocated. For ZMTP 2.0 pass
// allowCommand=false: the COMMAND bit is then a protocol error.
func (r *Reader) ReadHeader(maxSize int64, allowCommand bool) (flags byte, size int, err error) {
	if err := r.fill(2); err != nil {
		return 0, 0, err
	}
	flags = r.buf[r.rpos]
	if !allowCommand && flags&FlagCommand != 0 {
		return 0, 0, fmt.Errorf("%w: command flag in ZMTP/2.0", ErrMalformed)
	}
	var n uint64
	if flags&FlagLong != 0 {
		if err := r.fill(9); err != nil {
			return 0, 0, err
		}
		n = binary.BigEndian.Uint64(r.buf[r.rpos+1 : r.rpos+9])
		r.rpos += 9
	} else {
		n = uint64(r.buf[r.rpos+1])
		r.rpos += 2
	}
	if n > math.MaxInt || (maxSize >= 0 && n > uint64(maxSize)) {
		return 0, 0, fmt.Errorf("%w: %d octets", ErrFrameTooLarge, n)
	}
	return flags &^ FlagLong, int(n), nil
}

// ReadV1Header reads a ZMTP/1.0 frame header and returns MORE as flags.
func (r *Reader) ReadV1Header(maxSize int64) (flags byte, size int, err error) {
	if err := r.fill(1); err != nil {
		return 0, 0, err
	}
	var n uint64
	if r.buf[r.rpos] == 0xFF {
		if err := r.fill(10); err != nil {
			return 0, 0, err
		}
		n = binary.BigEndian.Uint64(r.buf[r.rpos+1 : r.rpos+9])
		flags = r.buf[r.rpos+9]
		r.rpos += 10
	} else {
		if err := r.fill(2); err != nil {
			return 0, 0, err
		}
		n = uint64(r.buf[r.rpos])
		flags = r.buf[r.rpos+1]
		r.rpos += 2
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("%w: zero ZMTP/1.0 length", ErrMalformed)
	}
	n--
	if n > math.MaxInt || (maxSize >= 0 && n > uint64(maxSize)) {
		return 0, 0, fmt.Errorf("%w: %d octets", ErrFrameTooLarge, n)
	}
	return flags & FlagMore, int(n), nil
}

// ReadBody reads the next size octets and appends them to dst. Memory
// grows with the data that actually arrives (at most doubling), so a peer
// that announces a huge frame and sends little costs little.
func (r *Reader) ReadBody(dst []byte, size int) ([]byte, error) {
	avail := r.wpos - r.rpos
	if size <= avail {
		dst = append(dst, r.buf[r.rpos:r.rpos+size]...)
		r.rpos += size
		return dst, nil
	}
	start := len(dst)
	dst = append(dst, r.buf[r.rpos:r.wpos]...)
	r.rpos, r.wpos = 0, 0
	for got := avail; got < size; {
		want := size - got
		if free := cap(dst) - len(dst); free < want {
			grow := want
			if limit := 2*len(dst) + bodyChunk; grow > limit {
				grow = limit // allocate no faster than data arrives
			}
			nd := make([]byte, len(dst), len(dst)+grow)
			copy(nd, dst)
			dst = nd
		}
		n := cap(dst) - len(dst)
		if n > want {
			n = want
		}
		seg := dst[len(dst) : len(dst)+n]
		var err error
		if n >= directRead {
			err = r.readDirect(seg, n == want)
			r.maxRead = smallRead
		} else {
			err = r.ReadFull(seg)
		}
		if err != nil {
			return dst[:start], unexpected(err)
		}
		dst = dst[:len(dst)+n]
		got += n
	}
	return dst, nil
}

// bodyChunk bounds the first allocation for a frame body that has not
// arrived yet.
const bodyChunk = 1 << 20

// BodyInBuffer returns the next size octets in place when they are already
// buffered (ok false otherwise); they are consumed.
func (r *Reader) BodyInBuffer(size int) (body []byte, ok bool) {
	if r.wpos-r.rpos < size {
		return nil, false
	}
	body = r.buf[r.rpos : r.rpos+size]
	r.rpos += size
	return body, true
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
