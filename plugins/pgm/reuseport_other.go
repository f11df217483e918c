//go:build unix && !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pgm

func setReusePort(int) error { return nil }
