package ws

import (
	"bytes"
	"testing"
)

type sizeRecorder struct {
	sizes []int
	all   bytes.Buffer
}

func (r *sizeRecorder) Write(b []byte) (int, error) {
	r.sizes = append(r.sizes, len(b))
	return r.all.Write(b)
}

// On wss every write to the *tls.Conn, and so every TLS record, stays
// within libzmq's 8 KiB read (see tlsRecordMax).
func TestWriteRecordsBound(t *testing.T) {
	for _, n := range []int{0, 1, tlsRecordMax - 1, tlsRecordMax, tlsRecordMax + 1, 65536 + 14} {
		b := bytes.Repeat([]byte{0xa5}, n)
		var r sizeRecorder
		if err := writeRecords(&r, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.all.Bytes(), b) {
			t.Fatalf("%d bytes: written bytes differ", n)
		}
		for _, s := range r.sizes {
			if s > tlsRecordMax || s == 0 {
				t.Fatalf("%d bytes: a write of %d", n, s)
			}
		}
		if want := (n + tlsRecordMax - 1) / tlsRecordMax; len(r.sizes) != want {
			t.Fatalf("%d bytes: %d writes, want %d", n, len(r.sizes), want)
		}
	}
}
