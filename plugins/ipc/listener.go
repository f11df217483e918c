package ipc

import (
	"os"
)

// socketFile is what a bound ipc endpoint leaves in the file system: the
// socket file (none for abstract names) and the private directory of an
// ipc://* bind.
type socketFile struct {
	addr  address
	path  string      // bound path or "@name"
	dir   string      // wildcard directory to remove, or ""
	ident os.FileInfo // the socket file this listener created, or nil
}

// unlink removes the socket file unless a later bind replaced it, then
// the wildcard directory. Its error is reported as CLOSE_FAILED.
func (l *socketFile) unlink() error {
	if l.addr.abstract {
		return nil
	}
	fi, err := os.Lstat(l.path)
	if err == nil && l.ident != nil && !os.SameFile(fi, l.ident) {
		return nil // another listener's socket now
	}
	if err := os.Remove(l.path); err != nil {
		return err
	}
	if l.dir != "" {
		return os.Remove(l.dir)
	}
	return nil
}
