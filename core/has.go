package core

import (
	"slices"
	"strings"

	"github.com/zmqkit/zmqkit/registry"
)

// Has reports whether a capability is available, by the names libzmq's
// zmq_has knows: a transport ("ipc", "pgm", "tipc", "norm", "vmci",
// "vsock", "WS", "WSS"), a security mechanism ("curve", "gssapi"), or
// "draft" (always true: zmqkit implements the DRAFT API listed in
// DraftAPI). It answers from registry.Default, so it says what this
// program has registered, in process or served by a plugin binary: a
// transport or mechanism counts when its plugin is imported or loaded.
// Use Context.Has for a context with its own registry.
//
// Unlike libzmq, any registered scheme counts ("tcp", "inproc", "udp",
// "epgm" and third-party schemes too; libzmq answers false for those), the
// names are case-insensitive ("ws" and "WS"), and "null" and "plain" are
// answered too (true when their mechanism is available).
func Has(capability string) bool { return hasIn(registry.Default, capability) }

// Has is the package-level Has answered from the context's registry.
func (c *Context) Has(capability string) bool { return hasIn(c.reg, capability) }

func hasIn(r *registry.Registry, capability string) bool {
	switch strings.ToLower(capability) {
	case "":
		return false
	case "draft", "null":
		return true
	}
	if slices.Contains(r.Mechanisms(), strings.ToUpper(capability)) {
		return true
	}
	return slices.Contains(r.Transports(), strings.ToLower(capability))
}
