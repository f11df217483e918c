//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sockio

type readvState struct{}

func (r *Readv) try(fd uintptr) bool {
	r.err = ErrUnsupported
	return true
}

func (r *Readv) finish() (int, error) { return 0, r.err }
