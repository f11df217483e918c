package wire

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Local channel records: [body length u64][flags u8][aux length u8][aux]
// [body]. Flags are the frame's (transport.FlagMore, FlagCommand); aux is
// a datagram's address. A record with FlagError ends the stream: its body
// is the error the plugin's connection returned.
const (
	recordHeader = 10
	// FlagError marks the last record, carrying an error message.
	FlagError byte = 0x80
	// FlagPing (host to plugin, no body) asks the plugin's connection to
	// send a transport ping (transport.Pinger).
	FlagPing byte = 0x40
	// FlagActivity (plugin to host, no body) says that the plugin's
	// connection saw activity (transport.Pinger.Activity moved) that no
	// frame carried, a pong say.
	FlagActivity byte = 0x20
	// FlagControl masks the control flags: records that are not frames.
	FlagControl = FlagPing | FlagActivity
)

// MaxRecord bounds a record's body.
const MaxRecord = 1 << 40

// AppendRecord appends one record to dst.
func AppendRecord(dst []byte, flags byte, aux string, body []byte) []byte {
	if len(aux) > 255 {
		aux = aux[:255]
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(len(body)))
	dst = append(dst, flags, byte(len(aux)))
	dst = append(dst, aux...)
	return append(dst, body...)
}

// RecordReader reads records from a local channel, many per read.
type RecordReader struct {
	br  *bufio.Reader
	hdr [recordHeader]byte
	aux [255]byte
}

// NewRecordReader reads from r.
func NewRecordReader(r io.Reader) *RecordReader {
	return &RecordReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Buffered reports whether a record's first octets are already read.
func (r *RecordReader) Buffered() bool { return r.br.Buffered() > 0 }

// Complete reports whether a whole record is already read (so Next will
// not block), and its flags.
func (r *RecordReader) Complete() (bool, byte) {
	n := r.br.Buffered()
	if n < recordHeader {
		return false, 0
	}
	h, err := r.br.Peek(recordHeader)
	if err != nil {
		return false, 0
	}
	size := binary.BigEndian.Uint64(h[:8])
	if size > MaxRecord {
		return true, h[8] // Next fails at once
	}
	return uint64(recordHeader)+uint64(h[9])+size <= uint64(n), h[8]
}

// ErrRemote is wrapped by the error of a FlagError record.
var ErrRemote = errors.New("plugin connection")

// Next appends the next record's body to buf. An error record gives an
// error wrapping ErrRemote with its message.
func (r *RecordReader) Next(buf []byte) (body []byte, flags byte, aux string, err error) {
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return buf, 0, "", err
	}
	n := binary.BigEndian.Uint64(r.hdr[:8])
	flags = r.hdr[8]
	al := int(r.hdr[9])
	if n > MaxRecord {
		return buf, 0, "", fmt.Errorf("wire: local channel record of %d bytes", n)
	}
	if al > 0 {
		if _, err := io.ReadFull(r.br, r.aux[:al]); err != nil {
			return buf, 0, "", noEOF(err)
		}
		aux = string(r.aux[:al])
	}
	s := len(buf)
	if cap(buf)-s < int(n) {
		nb := make([]byte, s, s+int(n))
		copy(nb, buf)
		buf = nb
	}
	buf = buf[:s+int(n)]
	if _, err := io.ReadFull(r.br, buf[s:]); err != nil {
		return buf[:s], 0, "", noEOF(err)
	}
	if flags&FlagError != 0 {
		var we Error
		if json.Unmarshal(buf[s:], &we) != nil {
			return buf[:s], 0, "", fmt.Errorf("%w: %s", ErrRemote, buf[s:])
		}
		return buf[:s], 0, "", fmt.Errorf("%w: %w", ErrRemote, we.ToError())
	}
	return buf, flags, aux, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AsyncWriter gathers records and writes them from its own goroutine:
// whatever accumulates while a write is under way goes out with the next
// one. Append waits while more than max bytes are pending.
type AsyncWriter struct {
	w   io.Writer
	max int

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte
	err     error
	closing bool
	done    chan struct{}
}

// NewAsyncWriter starts a writer to w.
func NewAsyncWriter(w io.Writer, max int) *AsyncWriter {
	a := &AsyncWriter{w: w, max: max, done: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	go a.run()
	return a
}

// Append queues a record.
func (a *AsyncWriter) Append(flags byte, aux string, body []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.err == nil && !a.closing && len(a.buf) > a.max {
		a.cond.Wait()
	}
	if a.err != nil {
		return a.err
	}
	if a.closing {
		return io.ErrClosedPipe
	}
	a.buf = AppendRecord(a.buf, flags, aux, body)
	a.cond.Broadcast()
	return nil
}

// Close writes what is queued, then stops; it does not close w.
func (a *AsyncWriter) Close() error {
	a.mu.Lock()
	a.closing = true
	a.cond.Broadcast()
	a.mu.Unlock()
	<-a.done
	return a.err
}

// Abort stops at once, dropping what is queued.
func (a *AsyncWriter) Abort(err error) {
	a.mu.Lock()
	if a.err == nil {
		a.err = err
	}
	a.cond.Broadcast()
	a.mu.Unlock()
}

func (a *AsyncWriter) run() {
	defer close(a.done)
	var out []byte
	for {
		a.mu.Lock()
		for len(a.buf) == 0 && !a.closing && a.err == nil {
			a.cond.Wait()
		}
		if a.err != nil || len(a.buf) == 0 && a.closing {
			a.mu.Unlock()
			return
		}
		out, a.buf = a.buf, out[:0]
		a.cond.Broadcast()
		a.mu.Unlock()
		if _, err := a.w.Write(out); err != nil {
			a.Abort(err)
			return
		}
	}
}

// ErrorRecord is the body of a FlagError record for err.
func ErrorRecord(err error) []byte {
	b, _ := json.Marshal(FromError(err))
	return b
}
