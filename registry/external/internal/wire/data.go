package wire

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// A mechanism's data channel carries batches: the host writes a request
// [count u32] then count frames [flags u8][length u32][body]; the plugin
// answers [count u32][error u8] then as many transformed frames, then,
// when error is 1, [length u32][JSON Error].

// MaxBatchFrame bounds one frame of a data channel batch.
const MaxBatchFrame = 1<<32 - 1

// WriteBatch writes frames as one batch (request or reply) and flushes.
func WriteBatch(w *bufio.Writer, frames []mechanism.Frame, withErr bool, err error) error {
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(frames)))
	n := 4
	if withErr {
		if err != nil {
			hdr[4] = 1
		}
		n = 5
	}
	if _, e := w.Write(hdr[:n]); e != nil {
		return e
	}
	for _, f := range frames {
		if uint64(len(f.Body)) > MaxBatchFrame {
			return fmt.Errorf("wire: frame of %d bytes", len(f.Body))
		}
		var fh [5]byte
		fh[0] = f.Flags
		binary.BigEndian.PutUint32(fh[1:], uint32(len(f.Body)))
		w.Write(fh[:])
		if _, e := w.Write(f.Body); e != nil {
			return e
		}
	}
	if withErr && err != nil {
		b, _ := json.Marshal(FromError(err))
		var lh [4]byte
		binary.BigEndian.PutUint32(lh[:], uint32(len(b)))
		w.Write(lh[:])
		w.Write(b)
	}
	return w.Flush()
}

// ReadBatch reads a batch, appending the bodies to dst and setting
// out[i] (grown as needed). It returns the error the batch carried (a
// reply's), or the error reading it as readErr.
func ReadBatch(r *bufio.Reader, dst []byte, out []mechanism.Frame, withErr bool, maxFrames int) (buf []byte, frames []mechanism.Frame, carried error, readErr error) {
	var hdr [5]byte
	n := 4
	if withErr {
		n = 5
	}
	if _, err := io.ReadFull(r, hdr[:n]); err != nil {
		return dst, out, nil, err
	}
	count := int(binary.BigEndian.Uint32(hdr[:4]))
	if maxFrames > 0 && count > maxFrames {
		return dst, out, nil, fmt.Errorf("wire: batch of %d frames", count)
	}
	flags := make([]byte, 0, count)
	offs := make([]int, 0, 2*count)
	for i := 0; i < count; i++ {
		var fh [5]byte
		if _, err := io.ReadFull(r, fh[:]); err != nil {
			return dst, out, nil, noEOF(err)
		}
		l := int(binary.BigEndian.Uint32(fh[1:]))
		s := len(dst)
		if cap(dst)-s < l {
			nb := make([]byte, s, 2*cap(dst)+l)
			copy(nb, dst)
			dst = nb
		}
		dst = dst[:s+l]
		if _, err := io.ReadFull(r, dst[s:]); err != nil {
			return dst[:s], out, nil, noEOF(err)
		}
		flags = append(flags, fh[0])
		offs = append(offs, s, s+l)
	}
	out = out[:0]
	for i := 0; i < count; i++ {
		out = append(out, mechanism.Frame{Body: dst[offs[2*i]:offs[2*i+1]:offs[2*i+1]], Flags: flags[i]})
	}
	if withErr && hdr[4] == 1 {
		var lh [4]byte
		if _, err := io.ReadFull(r, lh[:]); err != nil {
			return dst, out, nil, noEOF(err)
		}
		b := make([]byte, binary.BigEndian.Uint32(lh[:]))
		if _, err := io.ReadFull(r, b); err != nil {
			return dst, out, nil, noEOF(err)
		}
		var we Error
		if err := json.Unmarshal(b, &we); err != nil {
			return dst, out, nil, err
		}
		return dst, out, we.ToError(), nil
	}
	return dst, out, nil, nil
}
