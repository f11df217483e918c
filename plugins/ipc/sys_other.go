//go:build !linux

package ipc

import "net"

// maxPathLen is the longest path sun_path holds with its NUL (104-byte
// sun_path on the BSDs and macOS).
const maxPathLen = 103

// abstractSupported says whether "@name" addresses work here.
const abstractSupported = false

// setBacklog is a no-op outside Linux: the Go default backlog is kept.
func setBacklog(*net.UnixListener, int) error { return nil }
