//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sockio

const writevSupported = false

type writevState struct{}

func (w *Writev) try(uintptr) bool {
	w.err = ErrUnsupported
	return true
}
