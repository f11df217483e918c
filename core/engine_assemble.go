package core

import (
	"fmt"
	"math"
	"runtime/debug"
	"sync"

	"github.com/zmqkit/zmqkit/zmtp"
)

// assembly is what a connection's reader keeps about the message it is
// assembling, frame by frame, in the next slot of its read batch
// (staging): where each frame ends, and the frames held outside the
// message's buffer. It bounds what a partial message holds:
//
//   - small frames are appended to staging.buf, which grows by a quarter
//     of its size at a time (never doubling);
//   - a large frame that does not fit in the buffer's spare capacity gets
//     an allocation of its own, so the frames before it are not copied;
//   - the bookkeeping is 4 octets per frame (its end offset).
//
// A partial message thus holds at most about 1.25 times its bytes plus 4
// octets per frame, where it used to hold up to 3.7 times its bytes (64
// KiB frames, whose buffer was reallocated and copied for every frame) and
// 17 times (1-byte frames). The whole message is bounded by
// MaxMultipartSize; a frame or a message the process could never hold
// (beyond the machine's memory) ends the connection at once.
type assembly struct {
	ends     []uint32 // per frame: end offset in buf, or extFrame|index in ext
	ext      [][]byte // frames held outside buf
	extBytes int64
	limit    int64 // MaxMultipartSize (-1: none)
	scratch  []byte
}

const (
	// extFrame marks an ends entry that indexes ext; offsets in buf stay
	// below it (frames past it go to ext).
	extFrame = 1 << 31
	// ownAlloc is the frame size from which a frame that does not fit in
	// the buffer's spare capacity is allocated on its own.
	ownAlloc = 4 << 10
	// frameCost is what each frame counts against MaxMultipartSize on top
	// of its octets: the reader's bookkeeping and the frame's slice header
	// in the finished message.
	frameCost = 16
)

func newAssembly(o *Options) assembly {
	return assembly{limit: o.MaxMultipartSize}
}

// held is what the partial message in staging holds, as counted against
// MaxMultipartSize.
func (a *assembly) held(staging *Msg) int64 {
	return int64(len(staging.buf)) + a.extBytes + frameCost*int64(len(a.ends))
}

// check refuses a next frame of size octets (data, or a command) that the
// process could never hold, or that makes the message larger than
// MaxMultipartSize.
func (a *assembly) check(staging *Msg, size int, data bool) error {
	total := a.held(staging) + int64(size) + frameCost
	if int64(size) > maxHoldable() || data && total > maxHoldable() {
		return protoErr(fmt.Errorf("%w: %w: a frame of %d octets, in a message of %d, can never be held here",
			ErrProtocol, zmtp.ErrFrameTooLarge, size, total))
	}
	if data && a.limit >= 0 && total > a.limit && len(a.ends) > 0 {
		return protoErr(fmt.Errorf("%w: multipart message of more than %d octets (MaxMultipartSize %d)",
			ErrMsgSize, total, a.limit))
	}
	return nil
}

// target returns the buffer the next frame's body (size octets, as the
// peer announced them) is to be appended to: staging.buf, grown by at
// least a quarter if it must grow, or nil for a frame of its own.
func (a *assembly) target(staging *Msg, size int) (dst []byte, inBuf bool) {
	n := len(staging.buf)
	if n == 0 || cap(staging.buf)-n >= size {
		return staging.buf, true
	}
	if size >= ownAlloc || int64(n)+int64(size) >= extFrame {
		return nil, false
	}
	c := cap(staging.buf)
	newCap := max(n+size, c+c/4, 512)
	nb := make([]byte, n, newCap)
	copy(nb, staging.buf)
	staging.buf = nb
	return staging.buf, true
}

// add records the frame just appended to dst from offset start (dst as
// target returned it, after the append).
func (a *assembly) add(staging *Msg, dst []byte, start int, inBuf bool) {
	if inBuf {
		staging.buf = dst
		if int64(len(dst)) < extFrame {
			a.ends = append(a.ends, uint32(len(dst)))
			return
		}
		// a frame of 2 GiB or more: keep it outside buf, which must not
		// share its memory
		staging.buf = nil
	}
	f := dst[start:]
	a.ext = append(a.ext, f)
	a.extBytes += int64(len(f))
	a.ends = append(a.ends, extFrame|uint32(len(a.ext)-1))
}

// addCopy appends body, read elsewhere, as the next frame.
func (a *assembly) addCopy(staging *Msg, body []byte) {
	dst, in := a.target(staging, len(body))
	if !in {
		dst = make([]byte, 0, len(body))
	}
	s := len(dst)
	a.add(staging, append(dst, body...), s, in)
}

// frames returns the number of frames assembled so far.
func (a *assembly) frames() int { return len(a.ends) }

// finish builds staging's frames and resets the assembly for the next
// message.
func (a *assembly) finish(staging *Msg) {
	nf := len(a.ends)
	if cap(staging.fr) < nf {
		staging.fr = make([][]byte, nf, nf+2)
	}
	staging.fr = staging.fr[:nf]
	prev := 0
	for i, end := range a.ends {
		if end&extFrame != 0 {
			staging.fr[i] = a.ext[end&^extFrame]
			continue
		}
		e := int(end)
		staging.fr[i] = staging.buf[prev:e:e]
		prev = e
	}
	staging.Frames = staging.fr
	a.ends = a.ends[:0]
	clear(a.ext)
	a.ext = a.ext[:0]
	a.extBytes = 0
	if cap(a.ends) > 1024 {
		a.ends = nil // do not keep the bookkeeping of a huge message
	}
}

// maxHoldable is the largest message the process could ever hold: the
// machine's memory and swap, or the Go memory limit if it is lower. A
// frame header announcing more is a peer to disconnect at once.
func maxHoldable() int64 {
	holdableOnce.Do(func() {
		holdable = machineMemory()
		if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < holdable {
			holdable = lim
		}
		if holdable <= 0 {
			holdable = math.MaxInt64
		}
	})
	return holdable
}

var (
	holdableOnce sync.Once
	holdable     int64
)
