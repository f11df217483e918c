//go:build !cgo || nolibzmq

package interop

import (
	"os"
	"testing"
)

// TestLibzmqAvailable stands in for the whole suite when it is built
// without cgo or with -tags nolibzmq: the real tests need libzmq through
// cgo. In CI that is a failure, never a skip.
func TestLibzmqAvailable(t *testing.T) {
	msg := "interop tests need cgo and libzmq >= 4.3 (apt-get install libzmq3-dev pkg-config gcc; " +
		"build with CGO_ENABLED=1 and without -tags nolibzmq)"
	if os.Getenv("CI") != "" {
		t.Fatal("CI is set but " + msg)
	}
	t.Skip(msg)
}
