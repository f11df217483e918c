//go:build !amd64 || purego || !gc

package poly1305

// impl selects the implementation; only the generic one exists here.
var impl = implGeneric

// available reports whether implementation i can run on this machine.
func available(i int) bool { return i == implGeneric }

func sum(out *[16]byte, msg []byte, key *[32]byte) { sumGeneric(out, msg, key) }
